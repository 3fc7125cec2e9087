"""`zhucan video <subcommand>`: the video app's commands. Each part of the app adds its subcommands
through a module with `add_arguments(subparsers)` and `handle(name, options, out)`:
  probe, playback     zhucan.video.cli_health (health probes, the 7-day playback check)
  relay, simulate     zhucan.video.cli_viewing (the media relay, simulated cameras and recorder)"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

PARTS = ["zhucan.video.cli_health", "zhucan.video.cli_viewing"]


class Command(BaseCommand):
    help = "Video: health probes, the 7-day playback check, the media relay, simulated cameras and recorder."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        self._owners = {}
        for part in PARTS:
            before = set(sub.choices)
            import_string(f"{part}.add_arguments")(sub)
            for name in set(sub.choices) - before:
                self._owners[name] = part

    def handle(self, *args, subcommand: str, **options) -> None:
        import_string(f"{self._owners[subcommand]}.handle")(subcommand, options, self.stdout)
