from django.db import migrations

STANDARD_TAGS = [
    ("dibao", "低保"),
    ("tekun", "特困"),
    ("disabled", "失能"),
    ("living_alone", "独居"),
    ("empty_nest", "空巢"),
    ("purchased_home_care", "购买居家养老服务"),
]


def add_tags(apps, schema_editor):
    Tag = apps.get_model("elders", "Tag")
    for code, name in STANDARD_TAGS:
        Tag.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("elders", "0001_initial")]
    operations = [migrations.RunPython(add_tags, migrations.RunPython.noop)]
