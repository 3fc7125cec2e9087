"""`zhucan alerts detect [--date YYYY-MM-DD] [--days N]`: run the anomaly detection as the system
over one past local date (default: yesterday) or the N days ending there, and print what it raised."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from zhucan.alerts import rules
from zhucan.alerts.detection import detect
from zhucan.core import clock


class Command(BaseCommand):
    help = "预警检测（run the anomaly alert detection）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("detect", help="检测某一天的就餐记录（detect one day）")
        run.add_argument("--date", help="YYYY-MM-DD，默认昨天（default: yesterday）")
        run.add_argument("--days", type=int, default=1, help="连续检测的天数，截至该日期（days ending at --date）")

    def handle(self, *args, action: str, date: str | None = None, days: int = 1, **options):
        today = clock.local_today()
        try:
            last = _parse(date) if date else today - timedelta(days=1)
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from exc
        if last >= today:
            raise CommandError("只能检测今天以前的日期")
        if days < 1 or days > 366:
            raise CommandError("--days 应在 1 到 366 之间")
        failed = False
        for offset in range(days - 1, -1, -1):
            result = detect(day=last - timedelta(days=offset))
            parts = "，".join(f"{rules.rule_title(code)} {n} 条" for code, n in sorted(result.by_rule.items()))
            self.stdout.write(f"{result.day:%Y-%m-%d}：新增预警 {result.raised} 条，已有 {result.seen} 条"
                              + (f"（{parts}）" if parts else ""))
            for code, message in result.errors.items():
                failed = True
                self.stderr.write(f"  {rules.rule_title(code)} 检测失败：{message}")
        if failed:
            raise CommandError("部分规则检测失败")


def _parse(text: str):
    return date.fromisoformat(text.strip())
