"""HTML to PDF with Chinese text (WeasyPrint + Debian's fonts-noto-cjk).

Why a subset font: Noto Sans CJK is a 19 MB collection of ~65,000 glyphs, and WeasyPrint subsets
every font it embeds, in every PDF. With HarfBuzz's subsetter (Debian 12's libharfbuzz-subset0)
that costs ~0.2 s; where WeasyPrint falls back to fontTools (no libharfbuzz-subset ≥ 4.1) it costs
6–20 s per PDF per CJK font. So at first use we cut Noto Sans CJK SC down once to the GB2312
repertoire (+ ASCII and the punctuation our documents use) — a 3.4 MB file under
``<VAR_DIR>/fonts/`` — and name it first in the font stack. The full Noto CJK families follow as
fallbacks, so a rare character in an elder's or a canteen's name (䶮, 𠮷) still renders, from the
full font, paying its cost only in the documents that need it. The subset itself is cut by HarfBuzz
(zhucan.core.hb_subset, well under a second), or by fontTools (10–15 s) where HarfBuzz is missing.

Only ``file:`` and ``data:`` URLs are fetched while rendering: documents never reach the network.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse

from zhucan.core import hb_subset

logger = logging.getLogger(__name__)

SUBSET_NAME = "zhucan-cjk-subset.otf"
SUBSET_FAMILY = "Zhucan CJK Subset"
FULL_FAMILY = "Noto Sans CJK SC"
# Fallbacks after the full Sans SC: other Noto CJK cuts carry a few glyphs SC lacks.
FALLBACK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK HK", "Noto Serif CJK SC")
_DEBIAN_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

# Printable ASCII, Latin-1 signs, and the full-width punctuation of our documents (most are in
# GB2312 already; listed so the subset never depends on that).
_EXTRA_CHARS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "¥£€°±×÷·—–‘’“”…‰‹›※ "
    + "，。：；？！（）【】《》〈〉「」『』、〃〔〕～￥％＋－＝＜＞／＠＃＆＊"
    + "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    + "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
    + "〇一二三四五六七八九十百千万亿元角分"
)


def subset_characters() -> str:
    """The GB2312 repertoire (6,763 hanzi + 682 symbols) plus ASCII and common punctuation."""
    chars = set(_EXTRA_CHARS)
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(chars))


def find_full_font() -> tuple[Path, int]:
    """Path and collection index of Noto Sans CJK SC (fontconfig first, then Debian's path)."""
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            out = subprocess.run([fc_match, "-f", "%{file}\t%{index}\t%{family}", FULL_FAMILY],
                                 capture_output=True, text=True, timeout=10, check=True).stdout
            file, index, family = out.split("\t", 2)
            if FULL_FAMILY in family and Path(file).exists():
                return Path(file), int(index or 0)
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    if _DEBIAN_TTC.exists():
        return _DEBIAN_TTC, _collection_index(_DEBIAN_TTC, FULL_FAMILY)
    raise RuntimeError(f"{FULL_FAMILY} not found: install Debian's fonts-noto-cjk")


def _collection_index(path: Path, family: str) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    for i, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == family:
            return i
    raise RuntimeError(f"{family} not in {path}")


def subset_font_path() -> Path:
    return Path(settings.VAR_DIR) / "fonts" / SUBSET_NAME


def ensure_cjk_subset() -> Path:
    """The subset font, built at first use and reused after. Built under a file lock into a
    temporary file and renamed into place, so concurrent workers never see half a font."""
    target = subset_font_path()
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / (SUBSET_NAME + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not target.exists():  # another worker may have built it while we waited
                build_subset(target, subset_characters())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def build_subset(target: Path, characters: str) -> None:
    """Write Noto Sans CJK SC cut down to `characters` to `target` (atomically: a temporary file
    renamed into place). HarfBuzz's subsetter cuts it to GB2312 in well under a second; fontTools,
    where HarfBuzz is missing, takes 10–15 s."""
    source, index = find_full_font()
    logger.info("building the CJK subset font %s from %s#%d", target, source, index)
    data = hb_subset.subset_font(source, index, characters)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".subset-", suffix=".otf")
    try:
        with os.fdopen(fd, "wb") as out:
            if data is not None:
                out.write(data)
            else:
                _fonttools_subset(source, index, characters).save(out)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; workers may run as another user
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fonttools_subset(source: Path, index: int, characters: str):
    """The subset as a fontTools font: the fallback where HarfBuzz's subsetter is unavailable."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    # recalcBBoxes=False: the full font's bounds still bound the subset, and recomputing them means
    # drawing every CFF glyph (~30 s).
    font = TTFont(str(source), fontNumber=index, recalcBBoxes=False, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    return font


def font_css(subset: Path) -> str:
    stack = ", ".join(f'"{f}"' for f in (SUBSET_FAMILY, *FALLBACK_FAMILIES))
    return (
        f'@font-face {{ font-family: "{SUBSET_FAMILY}"; src: url("{subset.as_uri()}"); }}\n'
        f"html, body, table, th, td {{ font-family: {stack}, sans-serif; }}\n"
    )


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes with the CJK font stack (subset first, full Noto CJK
    as fallback). The document's own CSS may set sizes and layout; its fonts are ours."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    font_config = FontConfiguration()
    stylesheet = CSS(string=font_css(ensure_cjk_subset()), font_config=font_config, url_fetcher=fetcher)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)


def pdf_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
