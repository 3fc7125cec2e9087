from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_terminal_terminalnonce")]

    operations = [
        migrations.AddField(
            model_name="user", name="phone_encrypted",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
    ]
