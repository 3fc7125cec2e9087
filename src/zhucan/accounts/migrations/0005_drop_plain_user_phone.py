from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_seal_user_phones")]

    operations = [migrations.RemoveField(model_name="user", name="phone")]
