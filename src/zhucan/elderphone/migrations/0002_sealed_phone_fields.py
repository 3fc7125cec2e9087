from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("elderphone", "0001_initial")]

    # The plain column loses its uniqueness and format check here, so that going back (which empties
    # it before 0003 refills it) can re-add the column before restoring them.
    operations = [
        migrations.RemoveConstraint(model_name="phoneaccount", name="phone_account_mobile"),
        migrations.AlterField(model_name="phoneaccount", name="phone",
                              field=models.CharField(blank=True, max_length=11, verbose_name="手机号")),
        migrations.AlterField(model_name="smscode", name="phone",
                              field=models.CharField(blank=True, db_index=True, max_length=11)),
        migrations.AddField(model_name="phoneaccount", name="phone_encrypted",
                            field=models.CharField(default="", editable=False, max_length=200), preserve_default=False),
        migrations.AddField(model_name="phoneaccount", name="phone_index",
                            field=models.CharField(default="", editable=False, max_length=64), preserve_default=False),
        migrations.AddField(model_name="smscode", name="phone_index",
                            field=models.CharField(default="", max_length=64), preserve_default=False),
    ]
