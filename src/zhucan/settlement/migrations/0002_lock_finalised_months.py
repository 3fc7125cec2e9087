"""Close in the ledger every canteen-month whose statement is already finalised or paid: from here
on the ledger reads its own locked-month table instead of the statements."""

from django.db import migrations

LOCKED_STATUSES = ("finalised", "paid")


def lock_finalised_months(apps, schema_editor):
    Statement = apps.get_model("settlement", "Statement")
    LockedMonth = apps.get_model("checkout", "LockedMonth")
    rows = Statement.objects.filter(status__in=LOCKED_STATUSES).values_list("canteen_id", "month", "finalised_at",
                                                                            "generated_at")
    LockedMonth.objects.bulk_create(
        [LockedMonth(canteen_id=canteen_id, month=month.replace(day=1), locked_at=finalised_at or generated_at)
         for canteen_id, month, finalised_at, generated_at in rows],
        ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("checkout", "0003_lockedmonth"),
        ("settlement", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(lock_finalised_months, migrations.RunPython.noop),
    ]
