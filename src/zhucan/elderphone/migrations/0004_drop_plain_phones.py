from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("elderphone", "0003_seal_phones")]

    operations = [
        migrations.RemoveIndex(model_name="smscode", name="elderphone__phone_a5b1b7_idx"),
        migrations.RemoveField(model_name="phoneaccount", name="phone"),
        migrations.RemoveField(model_name="smscode", name="phone"),
        migrations.AlterField(model_name="phoneaccount", name="phone_index",
                              field=models.CharField(editable=False, max_length=64, unique=True)),
        migrations.AddIndex(model_name="smscode",
                            index=models.Index(fields=["phone_index", "created_at"],
                                               name="elderphone__phone_i_376907_idx")),
    ]
