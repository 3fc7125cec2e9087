from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("elders", "0004_seal_contact_fields_and_move_cards")]

    operations = [
        migrations.RemoveField(model_name="elder", name="phone"),
        migrations.RemoveField(model_name="elder", name="address"),
        migrations.RemoveField(model_name="elder", name="citizen_card_number"),
        migrations.AlterField(
            model_name="elder", name="status",
            field=models.CharField(
                choices=[("active", "正常"), ("deceased", "已故"), ("moved_away", "已迁出"), ("withdrawn", "已退出")],
                default="active", max_length=16, verbose_name="状态",
            ),
        ),
    ]
