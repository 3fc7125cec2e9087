"""The `zhucan` command.

`zhucan policy ...` runs the pure policy engine without Django (fast, usable on a terminal or by a
policy officer). Every other subcommand is a Django management command (`zhucan migrate`,
`zhucan seed_demo`, `zhucan ledger ...`).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "policy":
        from zhucan.policy.cli import main as policy_main

        return policy_main(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhucan", *args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
