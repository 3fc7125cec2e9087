"""`zhucan settle --month 2025-06 [--district NAME_OR_CODE]`: generate the month's draft statements
as the system (all jurisdictions, or one district) and print a summary per district."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from zhucan.core.errors import DomainError
from zhucan.core.money import fen_to_grouped as _yuan
from zhucan.regions.models import Level, Region
from zhucan.settlement.forms import parse_month
from zhucan.settlement.selectors import DistrictRow
from zhucan.settlement.services import statement_generate


class Command(BaseCommand):
    help = "生成某月各助餐点的结算单草稿（generate a month's draft statements）"

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--district", help="区县名称或区划代码（district name or code）")

    def handle(self, *args, month: str, district: str | None = None, **options):
        try:
            first = parse_month(month)
        except ValueError as exc:
            raise CommandError(f"月份格式应为 YYYY-MM：{month}") from exc
        region = None
        if district:
            matches = list(Region.objects.filter(Q(code=district) | Q(name=district), level=Level.DISTRICT))
            if len(matches) != 1:
                raise CommandError(f"未找到唯一的区县：{district}（{len(matches)} 个匹配）")
            region = matches[0]
        try:
            statements = statement_generate(actor=None, month=first, district=region)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh}") from exc
        rows: dict[str, DistrictRow] = {}
        for st in statements:
            r = st.canteen.region
            dpath = "/".join(r.path.split("/")[:2]) + "/"
            row = rows.setdefault(dpath, DistrictRow(district=Region.objects.get(path=dpath)))
            row.canteens += 1
            row.meals += st.elder_meals
            row.benefit_fen += st.benefit_fen
            row.benefit_city_fen += st.benefit_city_fen
            row.benefit_district_fen += st.benefit_district_fen
            row.gross_fen += st.gross_fen
        self.stdout.write(f"{first:%Y年%m月} 结算单草稿已生成：{len(statements)} 个助餐点")
        for dpath in sorted(rows):
            row = rows[dpath]
            city = row.district.parent.name if row.district.parent else ""
            self.stdout.write(
                f"  {city}{row.name}：助餐点 {row.canteens} 个，助餐 {row.meals} 人次，消费 {_yuan(row.gross_fen)} 元，"
                f"补贴 {_yuan(row.benefit_fen)} 元（市级 {_yuan(row.benefit_city_fen)}，区级 "
                f"{_yuan(row.benefit_district_fen)}）")
