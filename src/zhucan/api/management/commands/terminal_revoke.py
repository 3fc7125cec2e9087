"""`zhucan terminal_revoke KEY_ID`: refuse every later request signed with that key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zhucan.api.services import terminal_revoke
from zhucan.core.errors import DomainError


class Command(BaseCommand):
    help = "Revoke a terminal's key (its past meals stay in the ledger)."

    def add_arguments(self, parser):
        parser.add_argument("key_id")

    def handle(self, *args, **options):
        try:
            terminal = terminal_revoke(actor=None, key_id=options["key_id"])
        except DomainError as exc:
            raise CommandError(f"{exc.message_zh} ({exc.code})") from exc
        when = f"{terminal.revoked_at:%Y-%m-%d %H:%M:%S}"
        self.stdout.write(f"终端已停用 (revoked): {terminal.name} ({terminal.key_id}) at {when}")
