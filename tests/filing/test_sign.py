"""The unified sign: a PDF with the city's programme mark, the canteen's name and filing number,
and a QR code that leads to the canteen's public page (read back with pypdf and zxing-cpp)."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2
import zxingcpp
from pypdf import PdfReader

A4_PT = (595, 842)
A3_PT = (842, 1191)


def _qr_texts(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=2).to_pil().convert("L")
    found = zxingcpp.read_barcodes(np.asarray(image), formats=zxingcpp.BarcodeFormat.QRCode)
    return [b.text for b in found if b.valid]


def _sign(client, canteen, size="A4"):
    response = client.get(f"/public/canteens/{canteen.pk}/sign.pdf?size={size}")
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_hangzhou_sign_a4(public_world, client):
    pdf = _sign(client, public_world.canteen)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == A4_PT
    text = reader.pages[0].extract_text()
    assert "北山长者食堂" in text and "西湖〔2026〕第001号" in text and "全城通" in text
    assert _qr_texts(pdf) == [f"http://testserver/public/canteens/{public_world.canteen.pk}/"]


def test_liaocheng_sign_a3_uses_the_public_address(public_world, client, settings):
    settings.ZHUCAN_PUBLIC_BASE_URL = "https://zhucan.example.cn/"
    pdf = _sign(client, public_world.lc_canteen, "A3")
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == A3_PT
    text = reader.pages[0].extract_text()
    assert "蒋官屯幸福食堂" in text and "开发区〔2026〕第001号" in text and "幸福食堂定点机构" in text
    assert "全城通" not in text
    assert _qr_texts(pdf) == [f"https://zhucan.example.cn/public/canteens/{public_world.lc_canteen.pk}/"]


def test_sign_follows_a_change_of_name(public_world, client):
    from tests.conftest import _system_user
    from zhucan.canteens.services import canteen_update

    assert "北山长者食堂" in PdfReader(io.BytesIO(_sign(client, public_world.canteen))).pages[0].extract_text()
    canteen_update(actor=_system_user(), canteen_id=public_world.canteen.pk, values={"name": "北山颐乐食堂"})
    text = PdfReader(io.BytesIO(_sign(client, public_world.canteen))).pages[0].extract_text()
    assert "北山颐乐食堂" in text and "北山长者食堂" not in text


def test_no_sign_for_a_canteen_not_designated(public_world, client):
    for canteen in [public_world.suspended, public_world.revoked, public_world.submitted]:
        assert client.get(f"/public/canteens/{canteen.pk}/sign.pdf").status_code == 404


def test_sign_size_must_be_a4_or_a3(public_world, client):
    response = client.get(f"/public/canteens/{public_world.canteen.pk}/sign.pdf?size=B5")
    assert response.status_code == 400
    assert "A4 或 A3" in response.content.decode()


def _glyph_height(pdf: bytes, text: str) -> float:
    page = pypdfium2.PdfDocument(pdf)[0].get_textpage()
    _left, bottom, _right, top = page.get_charbox(page.get_text_range().index(text))
    return top - bottom


def test_the_a3_sign_is_the_a4_sign_enlarged(public_world, client):
    name = public_world.canteen.name
    a4 = _glyph_height(_sign(client, public_world.canteen, "A4"), name)
    a3 = _glyph_height(_sign(client, public_world.canteen, "A3"), name)
    # A3 is A4 enlarged by √2 on each side; the type grows with the paper so it reads from as far.
    assert 1.35 < a3 / a4 < 1.48
