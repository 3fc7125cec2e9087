from django.core.management.base import BaseCommand, CommandError

from zhucan.checkout.verification import ledger_verify


class Command(BaseCommand):
    help = "Ledger tools. `zhucan ledger verify [--canteen ID ...]` checks every canteen's hash chain."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--canteen", type=int, action="append", help="only these canteen ids")

    def handle(self, *args, action, canteen, **options):
        checked, problems = ledger_verify(canteen_ids=canteen)
        for problem in problems:
            self.stdout.write(f"PROBLEM {problem}")
        self.stdout.write(f"{checked} records checked, {len(problems)} problems")
        if problems:
            raise CommandError("ledger verification failed: the ledger was altered")
