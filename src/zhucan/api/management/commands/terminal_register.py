"""`zhucan terminal_register --canteen <id or name> --name <n> [--vendor v] [--json]`

Prints the key id and the secret ONCE; the secret is stored encrypted and cannot be shown again
(register a new terminal and revoke the old one if it is lost)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from zhucan.api.services import terminal_register
from zhucan.canteens.models import Canteen
from zhucan.core.errors import DomainError


def find_canteen(ref: str) -> Canteen:
    ref = ref.strip()
    if ref.isdigit():
        canteen = Canteen.objects.select_related("region").filter(pk=int(ref)).first()
        if canteen:
            return canteen
    matches = list(Canteen.objects.select_related("region").filter(name=ref)[:2])
    if not matches:
        raise CommandError(f"没有助餐点：{ref} (no such canteen)")
    if len(matches) > 1:
        raise CommandError(f"有多个助餐点名为 {ref}，请用编号 (ambiguous name: use the canteen id)")
    return matches[0]


class Command(BaseCommand):
    help = "Register a cashier terminal or vendor POS to a canteen; prints its key id and secret once."

    def add_arguments(self, parser):
        parser.add_argument("--canteen", required=True, help="canteen id or exact name")
        parser.add_argument("--name", required=True, help="terminal name, e.g. 1号收银台")
        parser.add_argument("--vendor", default="", help="POS vendor, if any")
        parser.add_argument("--json", action="store_true", help="print one JSON object (for scripts)")

    def handle(self, *args, **options):
        canteen = find_canteen(options["canteen"])
        try:
            registered = terminal_register(actor=None, canteen=canteen, name=options["name"],
                                           vendor=options["vendor"])
        except DomainError as exc:
            raise CommandError(f"{exc.message_zh} ({exc.code})") from exc
        terminal = registered.terminal
        if options["json"]:
            self.stdout.write(json.dumps({"key_id": terminal.key_id, "secret": registered.secret,
                                          "canteen_id": canteen.pk, "name": terminal.name}, ensure_ascii=False))
            return
        self.stdout.write(f"终端已登记 (terminal registered): {terminal.name} @ {canteen.name} "
                          f"(canteen_id={canteen.pk})")
        self.stdout.write(f"key_id: {terminal.key_id}")
        self.stdout.write(f"secret: {registered.secret}")
        self.stdout.write("请立即妥善保存密钥，之后无法再次显示。(Store the secret now: it is not shown again.)")
