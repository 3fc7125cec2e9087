from datetime import date

from django.core.management.base import BaseCommand, CommandError

from zhucan.checkout.reach import reach_verify
from zhucan.checkout.rollups import rollups_verify
from zhucan.checkout.usage_verification import usage_verify
from zhucan.checkout.verification import chains_verify


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = ("Ledger tools. `zhucan ledger verify [--canteen ID ...] [--since DATE] [--until DATE]` checks "
            "every canteen's hash chain, then reconciles every elder's day-usage counters with the ledger "
            "(sales minus voids and refunds) and the per-period and daily limits of the policy in force, "
            "then holds the dashboards' roll-ups against a GROUP BY over the ledger, to the fen. "
            "The counters are city-wide: --canteen narrows the chains only; --since/--until the elder-days "
            "and the roll-ups (whole months).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--canteen", type=int, action="append", help="only these canteen ids' chains")
        parser.add_argument("--since", type=str, help="reconcile elder-days from this local date (YYYY-MM-DD)")
        parser.add_argument("--until", type=str, help="reconcile elder-days up to this local date (YYYY-MM-DD)")

    def handle(self, *args, action, canteen, since, until, **options):
        days = None
        if since or until:
            days = (_day(since) if since else date.min, _day(until) if until else date.max)
        checked, chain_problems = chains_verify(canteen_ids=canteen)
        elder_days, counter_problems = usage_verify(days=days)
        rollup_rows, rollup_problems = rollups_verify(days)
        reach_rows, reach_problems = reach_verify()
        problems = [*chain_problems, *counter_problems, *rollup_problems, *reach_problems]
        for problem in problems:
            self.stdout.write(f"PROBLEM {problem}")
        self.stdout.write(f"{checked} records checked, {elder_days} elder-days reconciled, "
                          f"{len(problems)} problems; "
                          f"{rollup_rows} roll-up rows compared with the ledger, {reach_rows} elders' coverage facts "
                          "with the registry and the month roll-up")
        reasons = []
        if chain_problems:
            reasons.append("the ledger was altered")
        if counter_problems:
            reasons.append("usage counters disagree with the ledger or a limit is exceeded")
        if rollup_problems:
            reasons.append("roll-ups disagree with the ledger (zhucan rollups rebuild recomputes them)")
        if reach_problems:
            reasons.append("the elders' coverage facts disagree with the registry or the month roll-up "
                           "(zhucan rollups rebuild recomputes the months)")
        if reasons:
            raise CommandError(f"ledger verification failed: {'; '.join(reasons)}")
