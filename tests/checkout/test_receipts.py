"""Receipts: GB18030 text in Chinese mode, exact amounts, 58/80 mm layout, printer
targets, and a receipt from a really committed meal. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import time
import unicodedata
from datetime import UTC, datetime

import pytest
from escpos.printer import Dummy, File, Network, Serial, Usb

from tests.checkout.conftest import at
from zhucan.checkout import services as S
from zhucan.checkout.models import Meal
from zhucan.checkout.receipts import (
    FS_CHINESE_ON,
    PrinterError,
    ReceiptData,
    fen_to_yuan,
    mask_name,
    print_receipt,
    printer_from_url,
    receipt_bytes,
    receipt_from_meal,
    render_lines,
)

LONG_NAME = "秘制红烧肉配时令蔬菜及紫菜蛋花汤（大份）"
SPECIAL = "（¥）：，"  # no common Han character: the library's code-page path prints "?" for these


def sale(**kw) -> ReceiptData:
    data = dict(
        canteen_name="北山长者食堂", receipt_no="C00001-00000012", at=datetime(2025, 6, 2, 3, 30, tzinfo=UTC),
        elder_label="张*英", items=[("套餐", 1, 1500, 1500), (LONG_NAME, 2, 2000, 4000), (SPECIAL, 1, 100, 100)],
        gross_fen=5600, benefit_by_funder=[("city", 450), ("district", 200), ("canteen", 50)], payable_fen=4900,
        tenders=[("cash", 900), ("card", 1000), ("wechat", 1000), ("alipay", 1000), ("other", 1000)],
        remaining=[{"name_zh": "市级助餐补贴", "remaining_fen": 1400, "remaining_meals": 0}],
        explanation_zh="80周岁以上7折，每日优惠上限20.00元",
    )
    return ReceiptData(**(data | kw))


def void() -> ReceiptData:
    return ReceiptData(
        canteen_name="北山长者食堂", receipt_no="C00001-00000013", at=datetime(2025, 6, 2, 3, 35, tzinfo=UTC),
        kind="void", reverses_receipt_no="C00001-00000012", elder_label="张*英", items=[("套餐", -1, 1500, -1500)],
        gross_fen=-1500, benefit_by_funder=[("city", -450)], payable_fen=-1050, tenders=[("cash", -1050)],
        explanation_zh="撤销 C00001-00000012",
    )


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)


def text_runs(payload: bytes) -> list[str]:
    """The printable text lines of an ESC/POS stream, decoded from GB18030 (commands stripped)."""
    runs = []
    for chunk in payload.split(b"\n"):
        commands = (b"\x1b@", b"\x1c&", b"\x1bE\x00", b"\x1bE\x01", b"\x1ba\x00")
        while prefix := next((c for c in commands if chunk.startswith(c)), None):
            chunk = chunk[len(prefix):]
        chunk = chunk.removesuffix(b"\x1bE\x00")
        try:
            text = chunk.decode("gb18030")
        except UnicodeDecodeError:
            continue  # the QR code's image data
        if text and all(ch.isprintable() for ch in text):
            runs.append(text)
    return runs


def joined(lines: list[str]) -> str:
    return "\n".join(" ".join(line.split()) for line in lines)  # runs of spaces → one, for matching


def test_amounts_are_formatted_exactly_from_fen():
    assert [fen_to_yuan(f) for f in (1234, 5, 0, -450, 100000001, -1)] == [
        "12.34", "0.05", "0.00", "-4.50", "1000000.01", "-0.01"]
    with pytest.raises(TypeError):
        fen_to_yuan(12.34)


def test_names_are_masked():
    assert [mask_name(n) for n in ("张秀英", "张三", "欧阳春花", "李")] == ["张*英", "张*", "欧**花", "李"]


@pytest.mark.parametrize("width", [32, 48])
def test_lines_fit_the_paper_and_a_long_dish_name_wraps(width):
    lines = render_lines(sale(), width)
    assert max(columns(line) for line in lines) <= width
    name_lines = [line for line in lines if line.strip() and line.strip()[0] in "秘菜汤（" and "元" not in line]
    assert len(name_lines) >= 2, lines  # the long name takes more than one line
    assert "".join(line.split("  ")[0].strip() for line in name_lines[:2]) == LONG_NAME
    text = joined(lines)
    assert "合计 56.00" in text and "应付 49.00" in text and "今日剩余优惠额度 14.00 元" in text
    assert "今日剩余补助餐次 0" in text


def test_58mm_sample_layout():
    lines = render_lines(sale(items=[("套餐", 1, 1500, 1500)], gross_fen=1500,
                              benefit_by_funder=[("city", 450)], payable_fen=1050, tenders=[("cash", 1050)]))
    assert lines[0].strip() == "北山长者食堂" and lines[1].strip() == "助餐消费小票"
    assert "时间：2025-06-02 11:30:00" in lines  # Asia/Shanghai, not UTC
    assert "长者：张*英" in lines and "单号：C00001-00000012" in lines
    assert "合计                       15.00" in lines
    assert "市级优惠                    4.50" in lines
    assert "应付                       10.50" in lines
    assert "    1 × 15.00             15.00" in lines
    assert lines[-1].strip() == "全城通 智慧助餐 · 凭小票可查询"


def test_print_to_dummy_is_chinese_mode_gb18030(capsys):
    printer = Dummy()
    sent = print_receipt(sale(), printer)
    out = printer.output
    assert out == sent
    assert out.startswith(b"\x1b@" + FS_CHINESE_ON) and b"\x1c\x26" in out
    runs = text_runs(out)
    text = joined(runs)
    for expected in ("北山长者食堂", "助餐消费小票", "单号：C00001-00000012", "长者：张*英", "套餐", "合计 56.00",
                     "市级优惠 4.50", "区级补贴 2.00", "助餐机构让利 0.50", "优惠合计 7.00", "应付 49.00",
                     "现金 9.00", "市民卡 10.00", "微信 10.00", "支付宝 10.00", "其他 10.00",
                     "今日剩余优惠额度 14.00 元", "今日剩余补助餐次 0", "全城通 智慧助餐 · 凭小票可查询"):
        assert expected in text, expected
    # The trap: a line without a Han character must still carry ¥，：（） (no "?" substitution).
    assert SPECIAL in runs and "（¥）：，".encode("gb18030") in out
    assert "    1 × 1.00".encode("gb18030") in out
    assert not any("?" in run for run in runs)
    assert b"\x1dv0" in out  # the receipt number as a QR code (raster image)
    assert capsys.readouterr().out == ""  # python-escpos prints nothing to stdout


def test_the_library_text_path_would_lose_the_symbols():
    """Why we send GB18030 ourselves: documents the trap this module avoids."""
    naive = Dummy()
    naive.text(SPECIAL + "\n")
    assert b"?" in naive.output


def test_control_characters_in_names_cannot_inject_printer_commands():
    out = receipt_bytes(sale(items=[("坏\x1b@\x1dV\x00名", 1, 100, 100)]), qr=False)
    assert out.count(b"\x1b@") == 1 and b"\x1dV\x00" not in out[:-8]


def test_void_prints_as_such_with_negative_amounts():
    printer = Dummy()
    print_receipt(void(), printer, qr=False)
    assert b"\x1dv0" not in printer.output
    text = joined(text_runs(printer.output))
    for expected in ("撤销小票", "撤销原单号：C00001-00000012", "-1 × 15.00 -15.00", "合计 -15.00",
                     "市级优惠 -4.50", "应付（撤销） -10.50", "现金 -10.50"):
        assert expected in text, expected
    refund = ReceiptData(**(void().__dict__ | {"kind": "refund"}))
    assert "退款原单号：C00001-00000012" in render_lines(refund)


def test_print_to_file_in_tmp_dir(tmp_path):
    path = tmp_path / "receipts" / "x.bin"
    printer = printer_from_url(f"file://{path}")
    assert isinstance(printer, File)
    print_receipt(sale(), printer)
    data = path.read_bytes()
    assert b"\x1c\x26" in data
    assert "应付 49.00" in joined(text_runs(data))
    # One file per receipt when the path names it.
    print_receipt(void(), printer_from_url(f"file://{tmp_path}/r/{{receipt_no}}.bin?cols=48"))
    data = (tmp_path / "r" / "C00001-00000013.bin").read_bytes()
    runs = text_runs(data)
    assert "市级优惠 -4.50" in joined(runs) and max(columns(r) for r in runs) <= 48
    assert any(columns(r) > 32 for r in runs)  # laid out for 80 mm


def test_printer_urls():
    net = printer_from_url("tcp://10.0.0.5:9100")
    assert isinstance(net, Network) and (net.host, net.port, net.timeout) == ("10.0.0.5", 9100, 2.0)
    assert printer_from_url("tcp://printer.local?timeout=5").port == 9100
    usb = printer_from_url("usb://04b8:0202")
    assert isinstance(usb, Usb) and usb.usb_args == {"idVendor": 0x04B8, "idProduct": 0x0202}
    ser = printer_from_url("serial:///dev/ttyUSB0?baudrate=9600")
    assert isinstance(ser, Serial) and (ser.devfile, ser.baudrate) == ("/dev/ttyUSB0", 9600)
    f = printer_from_url("file:///tmp/receipts/x.bin?cols=48")
    assert isinstance(f, File) and f.devfile == "/tmp/receipts/x.bin" and f.receipt_width == 48
    assert net.receipt_width == 32


@pytest.mark.parametrize("url", [
    "", "http://10.0.0.5", "tcp://", "tcp://10.0.0.5:99999", "tcp://10.0.0.5:abc", "tcp://10.0.0.5?timeout=x",
    "tcp://10.0.0.5?colour=red", "usb://04b8", "usb://zzzz:0202", "serial://", "serial:///dev/ttyUSB0?baudrate=0",
    "file://", "file://host/tmp/x.bin", "file:relative.bin", "tcp://10.0.0.5?cols=20",
])
def test_bad_printer_url_is_refused_clearly(url):
    with pytest.raises(PrinterError) as err:
        printer_from_url(url)
    assert err.value.code == "PRINTER_URL_INVALID"
    assert "打印机地址无效" in err.value.message_zh and err.value.http_status == 400


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_network_printer_fails_fast_and_clearly():
    printer = printer_from_url(f"tcp://127.0.0.1:{_unused_port()}")
    assert printer.timeout <= 2
    started = time.monotonic()
    with pytest.raises(PrinterError) as err:
        print_receipt(sale(), printer)
    assert time.monotonic() - started < 2.5
    assert err.value.code == "PRINTER_UNREACHABLE" and "无法连接小票打印机" in err.value.message_zh
    assert "127.0.0.1" in err.value.message_zh


def test_unwritable_file_is_unreachable(tmp_path):
    (tmp_path / "dir.bin").mkdir()
    with pytest.raises(PrinterError) as err:
        print_receipt(sale(), printer_from_url(f"file://{tmp_path}/dir.bin"))
    assert err.value.code == "PRINTER_UNREACHABLE"


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        render_lines(sale(at=datetime(2025, 6, 2, 11, 30)))


# ---------------------------------------------------------------------------------------------
# From the ledger


def commit(world, elder, lines, key, when="2025-06-02 11:30", **kw):
    return S.meal_commit(canteen=kw.pop("canteen", world.canteen), elder=elder, lines=lines, idempotency_key=key,
                         request_digest=kw.pop("digest", key), identified_by="card", at=at(when), **kw)


def test_receipt_from_a_committed_meal_and_its_void(world, menu, tmp_path):
    lines = [S.OrderLine(dish_id=menu["套餐"].pk, quantity=1), S.OrderLine(dish_id=menu["米饭"].pk, quantity=1)]
    result = commit(world, world.elder, lines, "rc1",
                    tenders=[S.TenderIn("cash", 120), S.TenderIn("wechat", 1000, "wx-1")])
    data = receipt_from_meal(result.meal, remaining=result.remaining)
    assert (data.canteen_name, data.elder_label, data.kind) == ("北山长者食堂", "张*英", "sale")
    assert data.items == [("套餐", 1, 1500, 1500), ("米饭", 1, 100, 100)]
    assert (data.gross_fen, data.benefit_by_funder, data.payable_fen) == (1600, [("city", 480)], 1120)
    assert data.tenders == [("cash", 120), ("wechat", 1000)]
    printer = Dummy()
    print_receipt(data, printer)
    text = joined(text_runs(printer.output))
    for expected in (f"单号：{result.meal.receipt_no}", "时间：2025-06-02 11:30:00", "长者：张*英", "合计 16.00",
                     "市级优惠 4.80", "应付 11.20", "现金 1.20", "微信 10.00", "今日剩余优惠额度 15.20 元",
                     "7折"):
        assert expected in text, expected

    reversal = S.meal_reverse(canteen=world.canteen, receipt_no=result.meal.receipt_no, kind="void",
                              idempotency_key="rc2", request_digest="rc2", at=at("2025-06-02 11:35")).meal
    vdata = receipt_from_meal(reversal)
    assert (vdata.kind, vdata.reverses_receipt_no) == ("void", result.meal.receipt_no)
    assert vdata.remaining == []
    print_receipt(vdata, printer_from_url(f"file://{tmp_path}/void.bin"))
    text = joined(text_runs((tmp_path / "void.bin").read_bytes()))
    for expected in ("撤销小票", f"撤销原单号：{result.meal.receipt_no}", "合计 -16.00", "市级优惠 -4.80",
                     "应付（撤销） -11.20", "现金 -1.20", "微信 -10.00"):
        assert expected in text, expected


def test_printer_failure_leaves_the_committed_meal(world, menu):
    result = commit(world, None, [S.OrderLine(dish_id=menu["套餐"].pk, quantity=1)], "walkin")
    data = receipt_from_meal(result.meal)
    assert data.elder_label == "" and data.benefit_by_funder == []
    with pytest.raises(PrinterError):
        print_receipt(data, printer_from_url(f"tcp://127.0.0.1:{_unused_port()}?timeout=1"))
    assert Meal.objects.filter(pk=result.meal.pk).exists()
    assert not any(line.startswith("长者：") for line in render_lines(data))
