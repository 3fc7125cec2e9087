"""`zhucan qr_prune_uses`: drop single-use records of long-expired dynamic codes (run daily)."""

from django.core.management.base import BaseCommand

from zhucan.identity.services import qr_use_prune


class Command(BaseCommand):
    help = "Delete QrUse rows of codes that expired more than ten minutes ago."

    def handle(self, *args, **options):
        self.stdout.write(f"deleted {qr_use_prune()} QR use records")
