"""Bulk import of elders from the .xlsx / .csv sheets districts already keep.

Three steps, each a keyword-only function:

* `read_sheet` turns the uploaded bytes into header texts and rows of trimmed strings (pure: no
  database). A file it cannot use (corrupt, wrong type, missing or unknown header, too many rows)
  raises `FileRejected` naming the problem in Chinese.
* `validate_rows` checks every row against the registry and the user's jurisdiction and returns an
  `ImportReport`: the new rows, the rows already registered (skipped, so re-importing a file adds
  nothing) and the errors as (row as Excel numbers it, column header, reason in Chinese).
* The services (preview, confirm all-or-none, cancel) are in `import_services.py`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings

from zhucan.accounts.scoping import restrict
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.core.idnumber import mask_id_number
from zhucan.core.text import is_storable
from zhucan.elders import errors as elder_errors
from zhucan.elders import services
from zhucan.elders.models import Elder, ElderStatus, Tag
from zhucan.elders.sealed import mask_phone
from zhucan.regions.models import Level, Region

PAYLOAD_CONTEXT = "elders.import_batch"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
HEADER_SEARCH_ROWS = 10  # a district sheet often has a title row or two above the headers


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the canonical header, as in the template
    required: bool
    aliases: tuple[str, ...]
    note: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, ("老人姓名",)),
    Column("id_number", "身份证号", True, ("身份证号码", "公民身份号码", "身份证"), "18位，请设为文本格式"),
    Column("community", "所属社区", True, ("社区", "所属社区(村)", "社区(村)", "所属村(社区)", "村(社区)"),
           "您辖区内的社区/村名称；重名时写“街道名/社区名”"),
    Column("phone", "联系电话", False, ("手机号", "手机号码", "电话", "电话号码", "联系方式")),
    Column("address", "居住地址", False, ("地址", "家庭住址", "家庭地址", "现住址")),
    Column("hukou", "户籍区县", False, ("户籍所在区县", "户籍所在地", "户籍"), "本市区县名；市外户籍照写"),
    Column("card", "市民卡号", False, ("市民卡",)),
    Column("tags", "标签", False, ("人员类别",), "如 低保、独居；多个用顿号、逗号或空格分隔"),
    Column("status", "状态", False, ("人员状态",), "正常 / 已故 / 已迁出，空白为正常"),
    Column("status_since", "状态变更日期", False, ("变更日期",), "已故、已迁出时必填，如 2024-05-01"),
    # Derived from the ID number; accepted so that existing sheets load, and cross-checked.
    Column("sex", "性别", False, ()),
    Column("birth_date", "出生日期", False, ()),
    Column("seq", "序号", False, ()),
    Column("age", "年龄", False, ()),
)
TEMPLATE_COLUMNS = [c for c in COLUMNS if c.key not in ("sex", "birth_date", "seq", "age")]
_HEADER_KEYS = {}
for _c in COLUMNS:
    for _h in (_c.header, *_c.aliases):
        _HEADER_KEYS[unicodedata.normalize("NFKC", _h)] = _c.key

STATUS_WORDS = {
    "正常": ElderStatus.ACTIVE, "在册": ElderStatus.ACTIVE,
    "已故": ElderStatus.DECEASED, "死亡": ElderStatus.DECEASED, "去世": ElderStatus.DECEASED,
    "已迁出": ElderStatus.MOVED_AWAY, "迁出": ElderStatus.MOVED_AWAY,
}
_TAG_SPLIT = re.compile(r"[、,，;；\s]+")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
_DECIMAL = re.compile(r"^\d+\.\d+$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_PHONE = re.compile(r"^\+?[\d\-() ]{7,20}$")
_REGION_NOISE = re.compile(r"[\s/\\·•\-－—_|,，]+")


class FileRejected(DomainError):
    """The whole file cannot be used; `problems` lists every reason, each naming what is wrong."""

    def __init__(self, problems: list[str]):
        super().__init__(code="ELDER_IMPORT_BAD_FILE", message_zh="；".join(problems),
                         message_en="the file cannot be imported", details={"problems": problems})
        self.problems = problems


class ImportChanged(DomainError):
    """Re-validation at confirmation found rows that no longer pass: nothing was imported."""

    def __init__(self, report: ImportReport):
        super().__init__(code="ELDER_IMPORT_CHANGED",
                         message_zh="数据已发生变化，部分原本有效的行现在无法导入，本次未导入任何记录，请核对后重新确认",
                         message_en="the data changed since the preview; nothing was imported", http_status=409)
        self.report = report


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel shows it: the header is row 1 when it is the first row
    column: str  # the header text as written in the file
    reason: str


@dataclass
class NewRow:
    row: int
    data: services.ElderData
    masked: str

    @property
    def status_label(self) -> str:
        return ElderStatus(self.data.status).label

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.data.phone)

    @property
    def tag_names(self) -> str:
        names = dict(Tag.objects.values_list("code", "name")) if self.data.tag_codes else {}
        return "、".join(names.get(c, c) for c in self.data.tag_codes)


@dataclass
class ImportReport:
    total: int
    new_rows: list[NewRow] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (row, name, masked ID)
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def as_tuples(self) -> list[tuple[int, str, str]]:
        return [(e.row, e.column, e.reason) for e in self.errors]


@dataclass
class Sheet:
    """What `read_sheet` found: the header text per field key and each non-blank row's values."""

    headers: dict[str, str]  # field key → header text as in the file
    rows: list[tuple[int, dict[str, str]]]  # (row number, field key → trimmed text)


# --- reading ---------------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Past 15 significant digits a double has already lost the ID number's tail; keep Excel's
        # scientific spelling so that validation can say so instead of inventing digits.
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15G}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip().strip("\u200b\ufeff").strip()
    if len(text) >= 3 and text.startswith('="') and text.endswith('"'):  # the CSV "keep as text" trick
        text = text[2:-1].strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text


def _header_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"\s+", "", t).strip("*")
    t = re.sub(r"\((必填|选填|可选)\)$", "", t).strip("*")
    return _HEADER_KEYS.get(t, "")


def _decode_csv(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRejected(["无法识别文件的文字编码，请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后再导入"])


def _csv_rows(content: bytes) -> list[list[str]]:
    text = _decode_csv(content)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileRejected([f"CSV 文件格式有误，无法读取（{exc}）"]) from exc


def _xlsx_rows(content: bytes):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as exc:
        raise FileRejected(["无法读取该 Excel 文件，文件可能已损坏；请用 Excel 打开后另存为 .xlsx 再导入"]) from exc
    except Exception as exc:  # openpyxl raises assorted errors on malformed parts
        raise FileRejected(["无法读取该 Excel 文件，文件可能已损坏；请用 Excel 打开后另存为 .xlsx 再导入"]) from exc
    try:
        ws = wb.active or wb.worksheets[0]
        yield from ws.iter_rows(values_only=True)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(["Excel 文件内容有误，无法读取；请用 Excel 打开后另存为 .xlsx 再导入"]) from exc
    finally:
        wb.close()


def read_sheet(*, filename: str, content: bytes, max_rows: int | None = None) -> Sheet:
    """Headers and non-blank rows of an uploaded .xlsx or .csv; `FileRejected` if it is unusable."""
    max_rows = max_rows or settings.ZHUCAN_IMPORT_MAX_ROWS
    max_bytes = getattr(settings, "ZHUCAN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if not content:
        raise FileRejected(["文件是空的"])
    if len(content) > max_bytes:
        raise FileRejected([f"文件超过 {max_bytes // (1024 * 1024)} MB 上限，请拆分后分批导入"])
    name = filename.lower()
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(["不支持 .xls 旧格式，请在 Excel 中另存为 .xlsx 或 CSV 后再导入"])
    if content.startswith(b"PK\x03\x04"):
        raw_rows = _xlsx_rows(content)
    elif name.endswith((".csv", ".txt")):
        raw_rows = iter(_csv_rows(content))
    elif name.endswith((".xlsx", ".xlsm")):
        raise FileRejected(["无法读取该 Excel 文件，文件可能已损坏；请用 Excel 打开后另存为 .xlsx 再导入"])
    else:
        raise FileRejected(["只支持 .xlsx 和 .csv 文件"])

    header_row, header_cells = 0, []
    rows: list[tuple[int, dict[str, str]]] = []
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    for number, raw in enumerate(raw_rows, start=1):
        cells = [_cell_text(v) for v in raw]
        if not header_row:
            if not any(cells):
                continue
            # The header row is the first that names a known column (title rows above it are skipped).
            if any(_header_key(c) for c in cells):
                header_row = number
                columns, headers = _map_headers(cells)
                continue
            header_cells = header_cells or cells
            if number >= HEADER_SEARCH_ROWS:
                _map_headers(header_cells)  # raises, naming what is missing or unknown
            continue
        if not any(cells[i] for i in columns if i < len(cells)):
            continue  # blank row (or only text under unnamed columns)
        if len(rows) >= max_rows:
            raise FileRejected([f"文件超过 {max_rows} 行上限，请拆分后分批导入"])
        rows.append((number, {key: (cells[i] if i < len(cells) else "") for i, key in columns.items()}))
    if not header_row:
        if header_cells:
            _map_headers(header_cells)  # raises, naming what is missing or unknown
        raise FileRejected(["文件中没有表头和数据"])
    if not rows:
        raise FileRejected(["文件中没有数据行"])
    return Sheet(headers=headers, rows=rows)


def _map_headers(cells: list[str]) -> tuple[dict[int, str], dict[str, str]]:
    problems: list[str] = []
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    for i, text in enumerate(cells):
        if not text:
            continue
        key = _header_key(text)
        if not key:
            problems.append(f"无法识别的列“{text}”")
        elif key in headers:
            problems.append(f"列“{text}”与“{headers[key]}”重复")
        else:
            columns[i], headers[key] = key, text
    for column in COLUMNS:
        if column.required and column.key not in headers:
            problems.append(f"缺少必填列“{column.header}”")
    if problems:
        raise FileRejected(problems)
    return columns, headers


# --- validation ------------------------------------------------------------------------------------


def _region_key(text: str) -> str:
    return _REGION_NOISE.sub("", unicodedata.normalize("NFKC", text))


def _card(raw: str) -> str | None:
    """A card number as the card table keeps it, or None when it is not card-shaped."""
    from zhucan.core.errors import DomainError
    from zhucan.identity.services import card_number_normalise

    try:
        return card_number_normalise(raw) if raw else None
    except DomainError:
        return None


class _Lookups:
    """Everything a row is checked against, loaded once per file (a few queries, not per row)."""

    def __init__(self, *, actor, sheet: Sheet):
        self.communities: dict[str, list[Region]] = {}
        qs = restrict(Region.objects.filter(level=Level.COMMUNITY), actor, "view").select_related("parent")
        for region in qs:
            keys = {_region_key(region.name), region.code}
            if region.parent_id:
                keys.add(_region_key(region.parent.name + region.name))
            for key in keys:
                self.communities.setdefault(key, []).append(region)
        self.districts: dict[str, list[Region]] = {}
        for region in Region.objects.filter(level=Level.DISTRICT):
            self.districts.setdefault(_region_key(region.name), []).append(region)
        self.tags: dict[str, str] = {}
        for tag in Tag.objects.all():
            self.tags[tag.code] = tag.code
            self.tags[unicodedata.normalize("NFKC", tag.name)] = tag.code
        # Card numbers live only in the identity app's card table, found by blind index.
        from zhucan.identity.models import CitizenCard
        from zhucan.identity.services import card_number_index

        by_index = {card_number_index(c): c for c in (_card(v.get("card", "")) for _, v in sheet.rows) if c}
        self.taken_cards = {by_index[i] for i in CitizenCard.objects.filter(
            number_index__in=list(by_index)).values_list("number_index", flat=True)} if by_index else set()

    def community(self, text: str) -> Region | list[Region] | None:
        found = self.communities.get(_region_key(text), [])
        return found[0] if len(found) == 1 else (found or None)

    def district(self, text: str, community: Region | None) -> Region | None:
        found = self.districts.get(_region_key(text), [])
        if len(found) > 1 and community is not None:
            found = [d for d in found if community.path.startswith(d.path)] or found
        return found[0] if len(found) == 1 else None


def _parse_date(text: str) -> date | None:
    text = unicodedata.normalize("NFKC", text).strip().split(" ")[0].split("T")[0]
    m = _DATE.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _registered(numbers: list[str]) -> set[str]:
    """Blind indexes, among `numbers`, of elders already in the registry (whole city, any district)."""
    indexes = [services.id_number_index(n) for n in numbers]
    found: set[str] = set()
    for start in range(0, len(indexes), 500):
        chunk = indexes[start:start + 500]
        found.update(Elder.objects.filter(id_number_index__in=chunk).values_list("id_number_index", flat=True))
    return found


UNSTORABLE_REASON = "含有无法保存的字符（空字符或残缺的 Unicode 字符），请删除后重新导入"


def _unstorable_cells(sheet: Sheet) -> dict[int, list[str]]:
    """Row number → field keys whose text the database cannot store (a NUL, e.g. pasted from
    another system): such a row is an error of its own and is kept away from every query."""
    found: dict[int, list[str]] = {}
    for number, values in sheet.rows:
        keys = [key for key, value in values.items() if not is_storable(value)]
        if keys:
            found[number] = keys
    return found


def validate_rows(*, actor, sheet: Sheet) -> ImportReport:
    """Check every row; pure reads. Errors are (row, column header, reason), in row then column order."""
    h = sheet.headers
    unstorable = _unstorable_cells(sheet)
    look = _Lookups(actor=actor, sheet=Sheet(headers=h, rows=[r for r in sheet.rows if r[0] not in unstorable]))
    report = ImportReport(total=len(sheet.rows))
    order = {key: i for i, key in enumerate(h)}
    first_seen_id: dict[str, int] = {}
    first_seen_card: dict[str, int] = {}
    parsed: dict[int, tuple[str, date, str]] = {}
    row_errors: dict[int, list[RowError]] = {}

    for number, values in sheet.rows:
        errs = row_errors.setdefault(number, [])
        if number in unstorable:
            errs.extend(RowError(number, h[key], UNSTORABLE_REASON) for key in unstorable[number])
            continue
        raw_id = values.get("id_number", "")
        if _SCIENTIFIC.match(raw_id) or _DECIMAL.match(raw_id):
            errs.append(RowError(number, h["id_number"],
                                 f"身份证号被 Excel 存成了数字（{raw_id}），后几位已丢失；"
                                 "请把该列设置为“文本”格式，重新填写身份证号后再导入"))
            continue
        try:
            parsed[number] = services.id_number_check(raw_id)
        except DomainError as exc:
            errs.append(RowError(number, h["id_number"], exc.message_zh))

    registered = _registered([p[0] for p in parsed.values()])
    today = clock.local_today()
    for number, values in sheet.rows:
        if number in unstorable:
            continue
        errs = row_errors[number]
        ident = parsed.get(number)
        if ident is not None:
            id_no = ident[0]
            if id_no in first_seen_id:
                errs.append(RowError(number, h["id_number"], f"与第{first_seen_id[id_no]}行身份证号重复"))
                ident = None
            else:
                first_seen_id[id_no] = number
                if services.id_number_index(id_no) in registered:
                    report.skipped.append((number, values.get("name", ""), mask_id_number(id_no)))
                    errs.clear()
                    continue
        data_errs, data = _check_fields(values, h, look, ident, today, first_seen_card, number)
        errs.extend(data_errs)
        if not errs and ident is not None and data is not None:
            report.new_rows.append(NewRow(number, data, mask_id_number(ident[0])))

    for number, _values in sheet.rows:
        report.errors.extend(sorted(row_errors[number],
                                    key=lambda e: order.get(_key_of(h, e.column), 99)))
    return report


def _key_of(headers: dict[str, str], column: str) -> str:
    return next((k for k, v in headers.items() if v == column), "")


def _check_fields(values, h, look: _Lookups, ident, today, first_seen_card, number):
    errs: list[RowError] = []

    def err(key: str, reason: str) -> None:
        errs.append(RowError(number, h[key], reason))

    name = values.get("name", "")
    if not name:
        err("name", "请填写姓名")
    elif len(name) > 50:
        err("name", "姓名不能超过50个字")

    community = None
    text = values.get("community", "")
    if not text:
        err("community", "请填写所属社区")
    else:
        found = look.community(text)
        if found is None:
            err("community", f"在您的辖区内找不到社区“{text}”")
        elif isinstance(found, list):
            err("community", f"您的辖区内有多个“{text}”，请写成“街道名/社区名”")
        else:
            community = found

    phone = values.get("phone", "")
    if phone and not (_PHONE.match(phone) and 7 <= sum(ch.isdigit() for ch in phone) <= 15):
        err("phone", f"联系电话“{phone}”格式不正确")
    address = values.get("address", "")
    if len(address) > 200:
        err("address", "居住地址不能超过200个字")

    hukou_district, hukou_note = None, ""
    hukou = values.get("hukou", "")
    if hukou:
        hukou_district = look.district(hukou, community)
        if hukou_district is None:
            if len(hukou) > 100:
                err("hukou", "户籍不能超过100个字")
            hukou_note = hukou  # outside the city: kept as written (户籍（市外）)

    raw_card = values.get("card", "")
    card = _card(raw_card) or ""
    if raw_card:
        if not card:
            err("card", f"市民卡号“{raw_card}”格式不正确（6至32位数字或字母）")
        elif card in first_seen_card:
            err("card", f"与第{first_seen_card[card]}行市民卡号重复")
        elif card in look.taken_cards:
            err("card", elder_errors.duplicate_card().message_zh)
        else:
            first_seen_card[card] = number

    tag_codes: list[str] = []
    unknown: list[str] = []
    for word in _TAG_SPLIT.split(values.get("tags", "")):
        if not word:
            continue
        code = look.tags.get(unicodedata.normalize("NFKC", word))
        if code is None:
            unknown.append(word)
        elif code not in tag_codes:
            tag_codes.append(code)
    if unknown:
        err("tags", f"未知标签：{'、'.join(unknown)}")

    status = ElderStatus.ACTIVE
    status_text = values.get("status", "")
    if status_text:
        status = STATUS_WORDS.get(status_text)
        if status is None:
            err("status", f"状态“{status_text}”无法识别，只能填写“正常”“已故”或“已迁出”")
    since = None
    since_text = values.get("status_since", "")
    if since_text:
        since = _parse_date(since_text)
        if since is None:
            err("status_since", f"日期“{since_text}”无法识别，请写成 2024-05-01 的格式")
        elif since > today:
            err("status_since", "状态变更日期不能晚于今天")
    elif status in (ElderStatus.DECEASED, ElderStatus.MOVED_AWAY):
        err("status" if "status_since" not in h else "status_since", elder_errors.status_needs_date().message_zh)

    if ident is not None:
        _, birth, sex = ident
        sex_text = values.get("sex", "")
        if sex_text and {"男": "M", "女": "F"}.get(sex_text) != sex:
            err("sex", f"性别“{sex_text}”与身份证号不符")
        birth_text = values.get("birth_date", "")
        if birth_text and _parse_date(birth_text) != birth:
            err("birth_date", f"出生日期“{birth_text}”与身份证号不符")

    if errs or community is None or status is None or ident is None:
        return errs, None
    data = services.ElderData(
        name=name, id_number=ident[0], community=community, phone=phone, address=address,
        hukou_district=hukou_district, hukou_note=hukou_note, citizen_card_number=card or None,
        tag_codes=tuple(tag_codes), status=status, status_since=since if status != ElderStatus.ACTIVE else None,
    )
    return errs, data
