"""`zhucan qr_rotate_key [--stage]`: a new signing key for elder codes (see identity/keys.py)."""

from django.core.management.base import BaseCommand

from zhucan.core import clock
from zhucan.identity.keys import public_key_set, signing_key_rotate


class Command(BaseCommand):
    help = "Rotate the elder QR signing key (--stage: publish a new key that signs from the next rotation)."

    def add_arguments(self, parser):
        parser.add_argument("--stage", action="store_true", help="publish the key now, start signing later")

    def handle(self, *args, **options):
        key = signing_key_rotate(actor=None, stage=options["stage"])
        state = "staged" if options["stage"] else "signing"
        self.stdout.write(f"key {key.kid}: {state}")
        for kid, info in public_key_set(clock.real_now())["keys"].items():
            until = info["verify_until"] or "-"
            self.stdout.write(f"  {kid}  {info['status']:<8} verify_until={until}")
