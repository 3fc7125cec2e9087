"""Bulk import of elders: preview report is exact, all-or-none, idempotent, scoped."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from openpyxl import Workbook, load_workbook

from tests.conftest import login, make_user
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.idnumber import check_digit, make_id_number
from zhucan.core.models import AuditLog
from zhucan.elders import import_services, importing, services
from zhucan.elders.models import Elder, ImportBatch, ImportStatus

GOOD_A = make_id_number("330106", date(1945, 3, 15), 11, "F")
GOOD_B = make_id_number("330106", date(1938, 7, 1), 12, "M")
GOOD_C = make_id_number("330102", date(1950, 12, 31), 13, "F")
BAD_CHECK = GOOD_A[:17] + ("0" if GOOD_A[17] != "0" else "1")
_FEB30 = "33010619450230" + "024"
BAD_DATE = _FEB30 + check_digit(_FEB30)
SCIENTIFIC = 3.30106194503151e17  # what Excel keeps of an 18-digit number typed into a General cell

HEADERS = ["姓名", "身份证号码", "联系电话", "所属社区", "户籍区县", "标签", "状态", "状态变更日期"]


def sample_rows(registered_id: str) -> list[list]:
    """Rows 2.. of the sample file; the comment is the row number Excel shows."""
    return [
        ["王秀英", GOOD_A, "13800001234", "保俶社区", "西湖区", "独居、低保", "", ""],  # 2 good
        ["陈建国", GOOD_B, "", "北山街道/保俶社区", "安徽省歙县", "", "已故", "2024-05-01"],  # 3 good
        ["赵大", BAD_CHECK, "", "保俶社区", "", "", "", ""],  # 4 check digit
        ["钱二", BAD_DATE, "", "保俶社区", "", "", "", ""],  # 5 impossible date
        ["孙三", GOOD_C[:-4] + "0000", "", "不存在社区", "", "", "", ""],  # 6 unknown community (+ bad id)
        ["李四", make_id_number("330102", date(1944, 1, 2), 5, "M"), "", "东坡社区", "", "", "", ""],  # 7
        ["", make_id_number("330106", date(1944, 1, 3), 6, "F"), "", "西溪社区", "", "", "", ""],  # 8
        ["周五", make_id_number("330106", date(1944, 1, 4), 7, "M"), "", "西溪社区", "", "低保、富豪", "", ""],
        ["吴六", make_id_number("330106", date(1944, 1, 5), 8, "F"), "", "西溪社区", "", "", "已迁出",
         "2024-13-01"],  # 10 bad status date
        ["王秀英", GOOD_A, "", "保俶社区", "", "", "", ""],  # 11 duplicate of row 2
        ["张秀英", registered_id, "", "保俶社区", "", "", "", ""],  # 12 already registered
        ["", "", "", "", "", "", "", ""],  # 13 blank: skipped, not counted
        ["郑七", GOOD_C, "0571-87654321", "330106002001", "上城区", "dibao", "正常", ""],  # 14 good (by code)
        ["冯八", SCIENTIFIC, "", "保俶社区", "", "", "", ""],  # 15 precision lost
        ["褚九", make_id_number("330106", date(1944, 1, 6), 9, "M"), "12", "保俶社区", "", "", "已故", ""],  # 16
    ]


def expected_errors(registered_id: str) -> list[tuple[int, str, str]]:
    return [
        (4, "身份证号码", "身份证号码校验位不正确，请核对最后一位"),
        (5, "身份证号码", "身份证号码中的出生日期 1945-02-30 不存在"),
        (6, "身份证号码", "身份证号码校验位不正确，请核对最后一位"),
        (6, "所属社区", "在您的辖区内找不到社区“不存在社区”"),
        (7, "所属社区", "在您的辖区内找不到社区“东坡社区”"),
        (8, "姓名", "请填写姓名"),
        (9, "标签", "未知标签：富豪"),
        (10, "状态变更日期", "日期“2024-13-01”无法识别，请写成 2024-05-01 的格式"),
        (11, "身份证号码", "与第2行身份证号重复"),
        (15, "身份证号码", "身份证号被 Excel 存成了数字（3.30106194503151E+17），后几位已丢失；"
                         "请把该列设置为“文本”格式，重新填写身份证号后再导入"),
        (16, "联系电话", "联系电话“12”格式不正确"),
        (16, "状态变更日期", "已故或迁出的老人需填写变更日期"),
    ]


def xlsx_file(headers, rows, *, title: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_file(headers, rows, *, encoding: str) -> bytes:
    def text(v):
        return f"{v:.15G}" if isinstance(v, float) else str(v)

    lines = [",".join(headers)] + [",".join(text(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture(scope="module")
def _world_once(module_db):
    """The world built once for this module (as tests/conftest.py module_world), its elders on ID-number
    sequences 100 and 101: module_world's 1 is the import template's example row."""
    import tests.conftest

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tests.conftest, "_seq", iter(range(100, 110)))
        return tests.conftest.build_world()


@pytest.fixture
def world(_world_once, db):
    """Each test in a savepoint of the module's world: its writes roll back. The concurrent-registration
    test needs committed rows: test_import_concurrency.py."""
    return _world_once


@pytest.fixture
def admin(world):
    return world.users["district_admin"]


def preview(actor, content, filename="老人名单.xlsx"):
    return import_services.elder_import_preview(actor=actor, filename=filename, content=content)


# --- the preview report ------------------------------------------------------------------------------


def test_xlsx_preview_report_is_exact(world, admin):
    before = Elder.objects.count()
    batch, report = preview(admin, xlsx_file(HEADERS, sample_rows(world.elder.plain_id_number)))
    assert report.as_tuples() == expected_errors(world.elder.plain_id_number)
    assert report.total == 14  # the blank row 13 is not a data row
    assert [r.row for r in report.new_rows] == [2, 3, 14]
    assert [(r, n) for r, n, _m in report.skipped] == [(12, "张秀英")]
    assert report.skipped[0][2] == world.elder.id_number_masked
    assert report.error_rows == 10
    assert (batch.status, batch.row_count, batch.valid_count) == (ImportStatus.PREVIEWED, 14, 3)
    assert Elder.objects.count() == before  # the preview writes nothing to the registry
    # The rows wait encrypted: no ID number in the clear.
    assert GOOD_A not in batch.payload_encrypted and "王秀英" not in batch.payload_encrypted


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-8"])
def test_csv_preview_matches_xlsx(world, admin, encoding):
    content = csv_file(HEADERS, sample_rows(world.elder.plain_id_number), encoding=encoding)
    _batch, report = preview(admin, content, filename="名单.csv")
    assert report.as_tuples() == expected_errors(world.elder.plain_id_number)
    assert [r.row for r in report.new_rows] == [2, 3, 14]


def test_valid_rows_carry_parsed_values(world, admin):
    _batch, report = preview(admin, xlsx_file(HEADERS, sample_rows(world.elder.plain_id_number)))
    a, b, c = (r.data for r in report.new_rows)
    assert (a.name, a.community, a.phone, a.hukou_district, a.tag_codes) == (
        "王秀英", world.xihu_c1, "13800001234", world.xihu, ("living_alone", "dibao"))
    assert (b.community, b.hukou_district, b.hukou_note, b.status, b.status_since) == (
        world.xihu_c1, None, "安徽省歙县", "deceased", date(2024, 5, 1))
    assert (c.community, c.hukou_district, c.tag_codes, c.status) == (world.xihu_c2, world.shangcheng,
                                                                      ("dibao",), "active")
    assert report.new_rows[0].masked == GOOD_A[:6] + "********" + GOOD_A[14:]


def test_wrong_header_is_a_file_error_and_writes_nothing(world, admin):
    content = xlsx_file(["姓名", "身份证", "手机", "社区名称"], [["王秀英", GOOD_A, "13800001234", "保俶社区"]])
    with pytest.raises(importing.FileRejected) as exc:
        preview(admin, content)
    assert exc.value.problems == ["无法识别的列“手机”", "无法识别的列“社区名称”", "缺少必填列“所属社区”"]
    assert ImportBatch.objects.count() == 0


def test_duplicate_header_and_title_row(world, admin):
    with pytest.raises(importing.FileRejected) as exc:
        preview(admin, xlsx_file(["姓名", "身份证号", "公民身份号码", "所属社区"],
                                 [["王", GOOD_A, GOOD_A, "保俶社区"]]))
    assert exc.value.problems == ["列“公民身份号码”与“身份证号”重复"]
    # A title row above the headers is common in district sheets; row numbers stay Excel's.
    content = xlsx_file(["姓名*", "身份证号", "所属社区(村)", "序号"], [["王秀英", GOOD_A, "保俶社区", 1],
                                                                  ["", BAD_CHECK, "保俶社区", 2]],
                        title="西湖区老年人名单")
    _batch, report = preview(admin, content)
    assert report.as_tuples() == [(4, "姓名*", "请填写姓名"), (4, "身份证号", "身份证号码校验位不正确，请核对最后一位")]
    assert [r.row for r in report.new_rows] == [3]


def test_sex_and_birth_date_columns_are_cross_checked(world, admin):
    rows = [["王秀英", GOOD_A, "保俶社区", "男", "1945-03-15"], ["陈建国", GOOD_B, "保俶社区", "男", "1938/7/2"]]
    _batch, report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区", "性别", "出生日期"], rows))
    assert report.as_tuples() == [(2, "性别", "性别“男”与身份证号不符"),
                                  (3, "出生日期", "出生日期“1938/7/2”与身份证号不符")]


CORRUPT = "无法读取该 Excel 文件，文件可能已损坏；请用 Excel 打开后另存为 .xlsx 再导入"
OLD_XLS = "不支持 .xls 旧格式，请在 Excel 中另存为 .xlsx 或 CSV 后再导入"


@pytest.mark.parametrize(("filename", "content", "problem"), [
    ("a.xlsx", b"PK\x03\x04not really a zip", CORRUPT),
    ("a.xlsx", b"plain text", CORRUPT),
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, OLD_XLS),
    ("a.pdf", b"%PDF-1.4", "只支持 .xlsx 和 .csv 文件"),
    ("a.csv", b"", "文件是空的"),
    ("a.csv", b"\x80\x81\xff", "无法识别文件的文字编码，请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后再导入"),
    ("a.csv", "姓名,身份证号,所属社区\r\n".encode(), "文件中没有数据行"),
    ("a.csv", b"\r\n\r\n", "文件中没有表头和数据"),
])
def test_unusable_files_get_a_clear_message(world, admin, filename, content, problem):
    with pytest.raises(importing.FileRejected) as exc:
        preview(admin, content, filename=filename)
    assert exc.value.problems == [problem]
    assert ImportBatch.objects.count() == 0


def test_row_and_size_limits(world, admin, settings):
    settings.ZHUCAN_IMPORT_MAX_ROWS = 2
    rows = [["甲", GOOD_A, "保俶社区"], ["乙", GOOD_B, "保俶社区"], ["丙", GOOD_C, "保俶社区"]]
    with pytest.raises(importing.FileRejected) as exc:
        preview(admin, xlsx_file(["姓名", "身份证号", "所属社区"], rows))
    assert exc.value.problems == ["文件超过 2 行上限，请拆分后分批导入"]
    settings.ZHUCAN_IMPORT_MAX_ROWS = 100
    settings.ZHUCAN_IMPORT_MAX_BYTES = 1024 * 1024
    with pytest.raises(importing.FileRejected) as exc:
        preview(admin, b"x" * (1024 * 1024 + 1), filename="big.csv")
    assert exc.value.problems == ["文件超过 1 MB 上限，请拆分后分批导入"]


def test_subdistrict_staff_cannot_import_into_a_neighbouring_subdistrict(world):
    staff = world.users["subdistrict_staff"]  # 北山街道: 保俶社区 yes, 西溪社区 (西溪街道) no
    rows = [["甲", GOOD_A, "保俶社区"], ["乙", GOOD_B, "西溪社区"]]
    _batch, report = preview(staff, xlsx_file(["姓名", "身份证号", "所属社区"], rows))
    assert report.as_tuples() == [(3, "所属社区", "在您的辖区内找不到社区“西溪社区”")]


def test_ambiguous_community_name_asks_for_the_subdistrict(world):
    from tests.conftest import make_region

    make_region("330106002002", "保俶社区", "community", world.xihu_sub2)  # same name, other subdistrict
    rows = [["甲", GOOD_A, "保俶社区"], ["乙", GOOD_B, "北山街道 保俶社区"]]
    _batch, report = preview(world.users["district_admin"], xlsx_file(["姓名", "身份证号", "所属社区"], rows))
    assert report.as_tuples() == [(2, "所属社区", "您的辖区内有多个“保俶社区”，请写成“街道名/社区名”")]
    assert report.new_rows[0].data.community == world.xihu_c1


# --- confirmation ------------------------------------------------------------------------------------


def test_confirm_imports_exactly_the_valid_rows_and_twice_adds_nothing(world, admin):
    content = xlsx_file(HEADERS, sample_rows(world.elder.plain_id_number))
    before = Elder.objects.count()
    batch, _report = preview(admin, content)
    done = import_services.elder_import_confirm(actor=admin, batch_id=batch.pk, ip="10.0.0.1")
    assert (done.status, done.imported_count, done.payload_encrypted) == (ImportStatus.IMPORTED, 3, "")
    assert done.finished_at is not None
    assert Elder.objects.count() == before + 3
    wang = Elder.objects.get(id_number_index=services.id_number_index(GOOD_A))
    assert (wang.name, wang.community, wang.phone, wang.birth_date, wang.sex) == (
        "王秀英", world.xihu_c1, "13800001234", date(1945, 3, 15), "F")
    assert sorted(wang.tags.values_list("code", flat=True)) == ["dibao", "living_alone"]
    chen = Elder.objects.get(id_number_index=services.id_number_index(GOOD_B))
    assert (chen.status, chen.status_since, chen.hukou_note) == ("deceased", date(2024, 5, 1), "安徽省歙县")
    # One audit row per elder (through elder_register) and one for the batch, all by the importer.
    assert AuditLog.objects.filter(action="elder.create", actor=admin).count() == 3
    assert AuditLog.objects.filter(action="elder.import", actor=admin, object_id=str(batch.pk)).count() == 1

    # The same file again: the good rows are now "already registered"; nothing is added.
    batch2, report2 = preview(admin, content)
    assert report2.new_rows == []
    assert [r for r, _n, _m in report2.skipped] == [2, 3, 12, 14]
    assert report2.as_tuples() == expected_errors(world.elder.plain_id_number)
    import_services.elder_import_confirm(actor=admin, batch_id=batch2.pk)
    assert Elder.objects.count() == before + 3


def _refuse_the_third_imported_elders_audit_row() -> None:
    """A database rule that refuses the audit row of the third imported elder, as a full disk would:
    the confirm fails half-way through its writes."""
    if connection.vendor == "postgresql":
        statements = [
            """CREATE FUNCTION test_refuse_third() RETURNS trigger AS $$ BEGIN
                 IF NEW.note = '批量导入' AND (SELECT count(*) FROM core_auditlog WHERE note = '批量导入') >= 2 THEN
                   RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full';
                 END IF;
                 RETURN NEW;
               END $$ LANGUAGE plpgsql""",
            """CREATE TRIGGER test_refuse_third BEFORE INSERT ON core_auditlog
               FOR EACH ROW EXECUTE FUNCTION test_refuse_third()""",
        ]
    else:
        statements = ["""CREATE TRIGGER test_refuse_third BEFORE INSERT ON core_auditlog
                         WHEN NEW.note = '批量导入'
                              AND (SELECT count(*) FROM core_auditlog WHERE note = '批量导入') >= 2
                         BEGIN SELECT RAISE(ABORT, 'disk full'); END"""]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _drop_the_rule() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER test_refuse_third ON core_auditlog")
            cursor.execute("DROP FUNCTION test_refuse_third()")
        else:
            cursor.execute("DROP TRIGGER test_refuse_third")


def test_failure_mid_import_leaves_nothing(world, admin):
    rows = [[f"老人{i}", make_id_number("330106", date(1940, 1, 1 + i), i, "F"), "保俶社区"] for i in range(5)]
    batch, report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区"], rows))
    assert len(report.new_rows) == 5
    _refuse_the_third_imported_elders_audit_row()
    before, audits = Elder.objects.count(), AuditLog.objects.count()
    with pytest.raises((DatabaseError, DomainError)):
        import_services.elder_import_confirm(actor=admin, batch_id=batch.pk)
    assert Elder.objects.count() == before and AuditLog.objects.count() == audits
    assert Elder.tags.through.objects.filter(elder__name__startswith="老人").count() == 0
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED and batch.payload_encrypted
    _drop_the_rule()
    assert import_services.elder_import_confirm(actor=admin, batch_id=batch.pk).imported_count == 5


def test_confirm_revalidates_a_row_that_now_fails_imports_nothing(world, admin):
    rows = [["甲", GOOD_A, "保俶社区", "CARD0001"], ["乙", GOOD_B, "保俶社区", "CARD0002"]]
    batch, _report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区", "市民卡号"], rows))
    # Meanwhile someone gives card CARD0002 to another elder: row 3 would now fail.
    services.elder_register(actor=admin, data=services.ElderData(
        name="别人", id_number=GOOD_C, community=world.xihu_c2, citizen_card_number="CARD0002"))
    before = Elder.objects.count()
    with pytest.raises(importing.ImportChanged) as exc:
        import_services.elder_import_confirm(actor=admin, batch_id=batch.pk)
    assert exc.value.report.as_tuples() == [(3, "市民卡号", "该市民卡号已绑定其他老人")]
    assert Elder.objects.count() == before
    batch.refresh_from_db()
    assert (batch.status, batch.valid_count) == (ImportStatus.PREVIEWED, 1)
    # Confirming the new report imports the row that is still valid.
    assert import_services.elder_import_confirm(actor=admin, batch_id=batch.pk).imported_count == 1
    assert Elder.objects.count() == before + 1


def test_row_registered_since_the_preview_is_skipped(world, admin):
    rows = [["甲", GOOD_A, "保俶社区"], ["乙", GOOD_B, "保俶社区"]]
    batch, _report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区"], rows))
    services.elder_register(actor=admin, data=services.ElderData(name="甲", id_number=GOOD_A,
                                                                 community=world.xihu_c1))
    assert import_services.elder_import_confirm(actor=admin, batch_id=batch.pk).imported_count == 1


def test_batch_is_confirmed_once_and_only_by_its_creator(world, admin):
    batch, _report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区"], [["甲", GOOD_A, "保俶社区"]]))
    colleague = make_user("xihu_admin2", "district_admin", region=world.xihu)
    for other in (colleague, world.users["city_admin"], world.other["district_admin"]):
        with pytest.raises(NotFound):
            import_services.elder_import_confirm(actor=other, batch_id=batch.pk)
        with pytest.raises(NotFound):
            import_services.elder_import_cancel(actor=other, batch_id=batch.pk)
    assert Elder.objects.filter(name="甲").count() == 0
    import_services.elder_import_confirm(actor=admin, batch_id=batch.pk)
    count = Elder.objects.count()
    with pytest.raises(DomainError) as exc:
        import_services.elder_import_confirm(actor=admin, batch_id=batch.pk)
    assert exc.value.code == "ELDER_IMPORT_CLOSED" and exc.value.message_zh == "该导入批次已导入，不能再次操作"
    assert Elder.objects.count() == count


def test_cancel_drops_the_payload(world, admin):
    batch, _report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区"], [["甲", GOOD_A, "保俶社区"]]))
    import_services.elder_import_cancel(actor=admin, batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.payload_encrypted) == (ImportStatus.CANCELLED, "")
    with pytest.raises(DomainError) as exc:
        import_services.elder_import_confirm(actor=admin, batch_id=batch.pk)
    assert exc.value.message_zh == "该导入批次已取消，不能再次操作"
    assert not Elder.objects.filter(name="甲").exists()


@pytest.mark.parametrize("role", ["cashier", "auditor", "canteen_manager"])
def test_roles_without_import_permission_are_refused(world, role):
    with pytest.raises(PermissionDenied):
        preview(world.users[role], xlsx_file(["姓名", "身份证号", "所属社区"], [["甲", GOOD_A, "保俶社区"]]))
    assert ImportBatch.objects.count() == 0


def test_2000_rows_import_in_one_go(world, admin):
    rows = [[f"老人{i}", make_id_number("330106", date(1930 + i % 40, 1 + i % 12, 1 + i % 28), i // 480, "MF"[i % 2]),
             "保俶社区" if i % 2 else "西溪社区", "", "", "独居" if i % 3 else ""] for i in range(2000)]
    batch, report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区", "联系电话", "户籍区县", "标签"], rows))
    assert (len(report.new_rows), report.errors) == (2000, [])
    before = Elder.objects.count()
    import_services.elder_import_confirm(actor=admin, batch_id=batch.pk)
    assert Elder.objects.count() == before + 2000


# --- views -------------------------------------------------------------------------------------------


def upload(client, content, name="老人名单.xlsx"):
    return client.post("/elders/import/", {"file": SimpleUploadedFile(name, content)})


def test_views_upload_preview_confirm(world, admin, client):
    login(client, admin)
    assert client.get("/elders/import/").status_code == 200
    before = Elder.objects.count()
    response = upload(client, xlsx_file(HEADERS, sample_rows(world.elder.plain_id_number)))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="count-new">3<' in body and 'id="count-skipped">1<' in body and 'id="count-errors">10<' in body
    assert "与第2行身份证号重复" in body and "在您的辖区内找不到社区“东坡社区”" in body
    assert GOOD_A not in body and GOOD_A[:6] + "********" + GOOD_A[14:] in body  # masked in the sample
    assert Elder.objects.count() == before
    batch = ImportBatch.objects.get()
    # The pending batch can be reopened, and its error report downloaded.
    assert client.get(f"/elders/import/?batch={batch.pk}").status_code == 200
    report = client.get(f"/elders/import/?batch={batch.pk}&format=xlsx")
    ws = load_workbook(io.BytesIO(report.content)).active
    assert [tuple(r) for r in ws.iter_rows(min_row=2, values_only=True)] == expected_errors(
        world.elder.plain_id_number)

    response = client.post("/elders/import/confirm/", {"batch": batch.pk, "action": "confirm"})
    assert response.status_code == 302 and response["Location"] == "/elders/"
    assert Elder.objects.count() == before + 3
    # A second confirm does nothing.
    response = client.post("/elders/import/confirm/", {"batch": batch.pk, "action": "confirm"}, follow=True)
    assert "该导入批次已导入，不能再次操作" in response.content.decode()
    assert Elder.objects.count() == before + 3
    # Uploading the same file again and confirming adds nothing.
    upload(client, xlsx_file(HEADERS, sample_rows(world.elder.plain_id_number)))
    batch2 = ImportBatch.objects.exclude(pk=batch.pk).get()
    client.post("/elders/import/confirm/", {"batch": batch2.pk, "action": "confirm"})
    assert Elder.objects.count() == before + 3


def test_views_file_error_and_cancel(world, admin, client):
    login(client, admin)
    response = upload(client, xlsx_file(["姓名", "身份证", "手机"], [["甲", GOOD_A, "1"]]))
    assert response.status_code == 400
    body = response.content.decode()
    assert "无法识别的列“手机”" in body and "缺少必填列“所属社区”" in body
    assert ImportBatch.objects.count() == 0
    assert client.post("/elders/import/", {}).status_code == 400

    upload(client, csv_file(["姓名", "身份证号", "所属社区"], [["甲", GOOD_A, "保俶社区"]], encoding="gb18030"),
           name="名单.csv")
    batch = ImportBatch.objects.get()
    response = client.post("/elders/import/confirm/", {"batch": batch.pk, "action": "cancel"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert not Elder.objects.filter(name="甲").exists()


def test_views_another_user_cannot_confirm(world, admin, client):
    batch, _report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区"], [["甲", GOOD_A, "保俶社区"]]))
    login(client, world.users["city_admin"])
    response = client.post("/elders/import/confirm/", {"batch": batch.pk, "action": "confirm"})
    assert response.status_code == 404
    assert client.get(f"/elders/import/?batch={batch.pk}").status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED
    assert not Elder.objects.filter(name="甲").exists()


def test_views_changed_data_shows_the_new_report(world, admin, client):
    rows = [["甲", GOOD_A, "保俶社区", "CARD0001"], ["乙", GOOD_B, "保俶社区", "CARD0002"]]
    login(client, admin)
    upload(client, xlsx_file(["姓名", "身份证号", "所属社区", "市民卡号"], rows))
    batch = ImportBatch.objects.get()
    services.elder_register(actor=admin, data=services.ElderData(
        name="别人", id_number=GOOD_C, community=world.xihu_c2, citizen_card_number="CARD0001"))
    before = Elder.objects.count()
    response = client.post("/elders/import/confirm/", {"batch": batch.pk, "action": "confirm"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "本次未导入任何记录" in body and "该市民卡号已绑定其他老人" in body
    assert Elder.objects.count() == before


@pytest.mark.parametrize("role", ["cashier", "auditor", "canteen_manager"])
def test_views_refuse_roles_without_permission(world, client, role):
    login(client, world.users[role])
    content = xlsx_file(["姓名", "身份证号", "所属社区"], [["甲", GOOD_A, "保俶社区"]])
    assert client.get("/elders/import/").status_code == 403
    assert client.get("/elders/import/template.xlsx").status_code == 403
    assert upload(client, content).status_code == 403
    assert ImportBatch.objects.count() == 0
    batch, _report = preview(world.users["district_admin"], content)
    assert client.post("/elders/import/confirm/", {"batch": batch.pk, "action": "confirm"}).status_code == 403
    assert not Elder.objects.filter(name="甲").exists()


def test_template_has_the_exact_headers_and_imports_cleanly(world, admin, client):
    login(client, admin)
    response = client.get("/elders/import/template.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ["姓名", "身份证号", "所属社区", "联系电话", "居住地址", "户籍区县", "市民卡号", "标签",
                             "状态", "状态变更日期"]
    assert ws["B3"].number_format == "@"  # typed ID numbers stay text
    _batch, report = preview(admin, response.content)
    assert (len(report.new_rows), report.errors) == (1, [])


def test_bulk_write_matches_elder_register(world, admin):
    """The batched write leaves the same record and audit snapshot as the one-by-one service."""
    data = services.ElderData(name="王秀英", id_number=GOOD_A, community=world.xihu_c1, phone="13800001234",
                              hukou_district=world.xihu, tag_codes=("living_alone", "dibao"))
    one = services.elder_register(actor=admin, data=data)
    one_audit = AuditLog.objects.get(action="elder.create", object_id=str(one.pk))
    row = importing.NewRow(2, services.ElderData(**{**data.__dict__, "id_number": GOOD_B}), "")
    (many,) = import_services.elders_register_many(actor=admin, rows=[row])
    many_audit = AuditLog.objects.get(action="elder.create", object_id=str(many.pk))
    strip = {"id_number_masked", "birth_date", "sex"}
    assert {k: v for k, v in many_audit.after.items() if k not in strip} == {
        k: v for k, v in one_audit.after.items() if k not in strip}
    assert list(many_audit.after) == list(one_audit.after)
    assert services.elder_reveal_id_number(actor=admin, elder_id=many.pk) == GOOD_B
    assert sorted(many.tags.values_list("code", flat=True)) == ["dibao", "living_alone"]
    with pytest.raises(PermissionDenied):
        import_services.elders_register_many(actor=world.users["auditor"], rows=[row])


def test_excel_typed_cells_dates_and_numbers(world, admin):
    from datetime import datetime

    rows = [["甲", GOOD_A, 13800001234.0, "保俶社区", "已迁出", datetime(2024, 5, 1)],
            ["乙", GOOD_B, 13800001235, "保俶社区", "已故", "2024年5月2日"]]
    _batch, report = preview(admin, xlsx_file(["姓名", "身份证号", "手机号", "社区", "状态", "状态变更日期"], rows))
    assert report.errors == []
    a, b = (r.data for r in report.new_rows)
    assert (a.phone, a.status, a.status_since) == ("13800001234", "moved_away", date(2024, 5, 1))
    assert (b.phone, b.status, b.status_since) == ("13800001235", "deceased", date(2024, 5, 2))


def test_a_zip_that_is_not_a_workbook(world, admin):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(importing.FileRejected) as exc:
        preview(admin, out.getvalue(), filename="名单.docx")
    assert exc.value.problems == [CORRUPT]


def test_cells_with_nul_are_row_errors_not_a_crash(world, admin):
    # A NUL pasted from another system reaches a CSV cell as is (openpyxl never yields one from a
    # workbook: it cannot be written in its XML), and would reach the registry's queries.
    headers = [*HEADERS, "市民卡号"]
    rows = [
        ["王秀英", GOOD_A, "1380000\x001234", "保俶社区", "", "", "", "", ""],  # 2: NUL in the phone
        ["陈\x00建国", GOOD_B, "", "保俶社区", "", "", "", "", "3301\x00"],  # 3: in the name and the card
        ["郑七", GOOD_C, "", "保俶社区", "", "", "", "", ""],  # 4: good
    ]
    batch, report = preview(admin, csv_file(headers, rows, encoding="utf-8"), filename="名单.csv")
    reason = importing.UNSTORABLE_REASON
    assert report.as_tuples() == [(2, "联系电话", reason), (3, "姓名", reason), (3, "市民卡号", reason)]
    assert [r.row for r in report.new_rows] == [4]
    before = Elder.objects.count()
    import_services.elder_import_confirm(actor=admin, batch_id=batch.pk)
    assert Elder.objects.count() == before + 1 and Elder.objects.filter(name="郑七").exists()
