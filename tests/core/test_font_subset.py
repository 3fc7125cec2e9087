"""The CJK subset font: cut by HarfBuzz where its subsetter is installed (as `make system-deps`
does), by fontTools where it is not; either way a small font with the glyphs of our documents."""

from __future__ import annotations

import ctypes
import logging
from io import BytesIO

from fontTools.ttLib import TTFont

from zhucan.core import hb_subset
from zhucan.core import pdf as core_pdf

SAMPLE = "杭州市西湖区北山长者食堂 月度结算单 合计 1,704.60 元（市级、区级）"


def _font(data: bytes) -> TTFont:
    return TTFont(BytesIO(data), lazy=True)


def _full_font() -> TTFont:
    source, index = core_pdf.find_full_font()
    return TTFont(str(source), fontNumber=index, lazy=True)


def _same_glyphs_as_the_full_font(subset: TTFont, text: str) -> None:
    """Every character of `text` maps to a glyph with the full font's advance width."""
    full = _full_font()
    full_cmap, cmap = full.getBestCmap(), subset.getBestCmap()
    for char in set(text):
        assert subset["hmtx"][cmap[ord(char)]][0] == full["hmtx"][full_cmap[ord(char)]][0], char


def test_harfbuzz_subset_has_the_glyphs_of_chinese_text_and_is_small():
    assert hb_subset.available()  # libharfbuzz-subset0 is one of `make system-deps`' packages
    source, index = core_pdf.find_full_font()
    data = hb_subset.subset_font(source, index, core_pdf.subset_characters())
    font = _font(data)
    _same_glyphs_as_the_full_font(font, SAMPLE)
    full_cmap = _full_font().getBestCmap()
    assert set(font.getBestCmap()) == {ord(c) for c in core_pdf.subset_characters()} & set(full_cmap)
    assert ord("䶮") not in font.getBestCmap()  # outside GB2312: left to the full font
    assert font["name"].getDebugName(1) == core_pdf.FULL_FAMILY  # the name records are kept
    assert "CFF " in font and font["maxp"].numGlyphs < 20_000
    assert 1_000_000 < len(data) < source.stat().st_size / 4


def test_harfbuzz_subset_of_a_few_characters_keeps_only_those():
    source, index = core_pdf.find_full_font()
    font = _font(hb_subset.subset_font(source, index, "食堂"))
    assert set(font.getBestCmap()) == {ord("食"), ord("堂")}


def test_harfbuzz_gives_up_on_a_file_that_is_not_a_font(tmp_path):
    not_a_font = tmp_path / "x.otf"
    not_a_font.write_bytes(b"not a font")
    assert hb_subset.subset_font(not_a_font, 0, "食堂") is None
    assert hb_subset.subset_font(tmp_path / "missing.otf", 0, "食堂") is None


def test_the_subset_font_is_the_harfbuzz_subset(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    path = core_pdf.ensure_cjk_subset()
    source, index = core_pdf.find_full_font()
    assert path.read_bytes() == hb_subset.subset_font(source, index, core_pdf.subset_characters())


def test_without_harfbuzz_the_subset_font_is_built_by_fonttools(tmp_path, monkeypatch, caplog):
    """A machine without libharfbuzz-subset (the system library is what is missing here): the subset
    is still built, by fontTools, with the glyphs of the characters asked for (here a sample: the whole
    repertoire takes fontTools 10–15 s, and the characters are the same argument either way)."""
    real_cdll = ctypes.CDLL

    def no_harfbuzz(name, *args, **kwargs):
        if "harfbuzz" in str(name):
            raise OSError(f"{name}: cannot open shared object file")
        return real_cdll(name, *args, **kwargs)

    monkeypatch.setattr(ctypes, "CDLL", no_harfbuzz)
    hb_subset._libraries.cache_clear()
    target = tmp_path / "subset.otf"
    try:
        assert not hb_subset.available()
        caplog.set_level(logging.INFO, logger="zhucan.core.pdf")
        core_pdf.build_subset(target, SAMPLE)
    finally:
        monkeypatch.undo()
        hb_subset._libraries.cache_clear()
    assert hb_subset.available()
    font = TTFont(str(target), lazy=True)
    assert set(font.getBestCmap()) == {ord(c) for c in SAMPLE}
    _same_glyphs_as_the_full_font(font, SAMPLE)
    assert [p.name for p in tmp_path.iterdir()] == ["subset.otf"]  # no temporary file left behind
    assert len([r for r in caplog.records if r.getMessage().startswith("building the CJK subset font")]) == 1
