from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("elders", "0002_standard_tags")]

    operations = [
        migrations.AddField(
            model_name="elder", name="phone_encrypted",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddField(
            model_name="elder", name="phone_index",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="elder", name="address_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="elder", name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
