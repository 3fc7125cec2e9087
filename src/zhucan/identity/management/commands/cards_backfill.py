"""`zhucan cards_backfill [--dry-run]`: CitizenCard rows from the elders' plain card numbers."""

from django.core.management.base import BaseCommand

from zhucan.identity.services import cards_backfill


class Command(BaseCommand):
    help = "Create CitizenCard rows (encrypted, blind-indexed) from Elder.citizen_card_number; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count only, write nothing")

    def handle(self, *args, **options):
        counts = cards_backfill(actor=None, dry_run=options["dry_run"])
        prefix = "would create" if options["dry_run"] else "created"
        self.stdout.write(f"{prefix} {counts['created']} cards; already bound {counts['already']}; "
                          f"skipped: {counts['skipped_invalid']} invalid, {counts['skipped_taken']} taken")
