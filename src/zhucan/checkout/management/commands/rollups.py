from django.core.management.base import BaseCommand

from zhucan.checkout.management.commands.ledger import _day
from zhucan.checkout.rollups import rollups_rebuild, whole_months


class Command(BaseCommand):
    help = ("Roll-up tools. `zhucan rollups rebuild [--from DATE] [--to DATE]` recomputes the dashboards' "
            "roll-ups (canteen × day, rule × day, elder × month, community × day) from the ledger, in one "
            "transaction: for an upgrade of a database that has meals, or after a repair. The range is "
            "widened to whole months; without it, everything is rebuilt.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"])
        parser.add_argument("--from", dest="start", type=str, help="first local date (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", type=str, help="last local date (YYYY-MM-DD)")

    def handle(self, *args, action, start, end, **options):
        from datetime import date

        days = None
        if start or end:
            days = (_day(start) if start else date.min, _day(end) if end else date.max)
        written = rollups_rebuild(days)
        span = whole_months(days)
        where = "all dates" if span is None else f"{_text(span[0])} .. {_text(span[1])}"
        self.stdout.write(f"roll-ups rebuilt for {where}: " + ", ".join(f"{n} {k} rows" for k, n in written.items()))


def _text(day) -> str:
    from datetime import date

    return "start" if day == date.min else "end" if day == date.max else day.isoformat()
