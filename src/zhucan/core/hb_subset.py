"""Cut a font down to a set of characters with HarfBuzz's subsetter (libharfbuzz-subset, called
through ctypes): for Noto Sans CJK to GB2312 it takes well under a second, where fontTools needs
10–15 s of CPU. Returns None where the library is missing or too old, so the caller can fall back
to fontTools."""

from __future__ import annotations

import ctypes
import logging
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

# hb_subset_sets_t and hb_subset_flags_t (hb-subset.h; stable since HarfBuzz 2.9).
_SETS_UNICODE = 1
_SETS_NAME_ID = 4
_SETS_NAME_LANG_ID = 5
_FLAG_NOTDEF_OUTLINE = 0x40
# hb_subset_input_create_or_fail and hb_set_invert on an input's sets: HarfBuzz ≥ 3.0 (Debian 12: 6.0).
_MIN_VERSION = (3, 0, 0)


@cache
def _libraries():
    """(libharfbuzz, libharfbuzz-subset) with the signatures we call, or None."""
    try:
        hb = ctypes.CDLL("libharfbuzz.so.0")
        sub = ctypes.CDLL("libharfbuzz-subset.so.0")
    except OSError:
        return None
    p, u, i = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int
    for lib, name, res, args in [
        (hb, "hb_version_atleast", i, [u, u, u]),
        (hb, "hb_blob_create_from_file_or_fail", p, [ctypes.c_char_p]),
        (hb, "hb_blob_destroy", None, [p]),
        (hb, "hb_blob_get_data", ctypes.POINTER(ctypes.c_char), [p, ctypes.POINTER(u)]),
        (hb, "hb_face_create", p, [p, u]),
        (hb, "hb_face_get_glyph_count", u, [p]),
        (hb, "hb_face_reference_blob", p, [p]),
        (hb, "hb_face_destroy", None, [p]),
        (hb, "hb_set_add", None, [p, u]),
        (hb, "hb_set_clear", None, [p]),
        (hb, "hb_set_invert", None, [p]),
        (sub, "hb_subset_input_create_or_fail", p, []),
        (sub, "hb_subset_input_destroy", None, [p]),
        (sub, "hb_subset_input_set", p, [p, i]),
        (sub, "hb_subset_input_set_flags", None, [p, u]),
        (sub, "hb_subset_or_fail", p, [p, p]),
    ]:
        try:
            function = getattr(lib, name)
        except AttributeError:  # an older HarfBuzz without this entry point
            return None
        function.restype, function.argtypes = res, args
    if not hb.hb_version_atleast(*_MIN_VERSION):
        return None
    return hb, sub


def available() -> bool:
    return _libraries() is not None


def subset_font(source: Path, index: int, characters: str) -> bytes | None:
    """The font `source` (face `index` of a collection) keeping only the glyphs of `characters`
    (and what they need: .notdef with its outline, composites, layout closure), with every name
    record kept. None where HarfBuzz's subsetter is not available or fails on this font."""
    libraries = _libraries()
    if libraries is None:
        return None
    hb, sub = libraries
    blob = hb.hb_blob_create_from_file_or_fail(str(source).encode())
    if not blob:
        return None
    face = subset_face = out = plan = None
    try:
        face = hb.hb_face_create(blob, index)
        if not face or hb.hb_face_get_glyph_count(face) == 0:  # an empty face: bad index or file
            return None
        plan = sub.hb_subset_input_create_or_fail()
        if not plan:
            return None
        unicodes = sub.hb_subset_input_set(plan, _SETS_UNICODE)
        for code in sorted({ord(c) for c in characters}):
            hb.hb_set_add(unicodes, code)
        for kind in (_SETS_NAME_ID, _SETS_NAME_LANG_ID):  # every name record, as fontTools' name_IDs="*"
            names = sub.hb_subset_input_set(plan, kind)
            hb.hb_set_clear(names)
            hb.hb_set_invert(names)
        sub.hb_subset_input_set_flags(plan, _FLAG_NOTDEF_OUTLINE)
        subset_face = sub.hb_subset_or_fail(face, plan)
        if not subset_face:
            logger.warning("HarfBuzz could not subset %s#%d", source, index)
            return None
        out = hb.hb_face_reference_blob(subset_face)
        length = ctypes.c_uint(0)
        data = hb.hb_blob_get_data(out, ctypes.byref(length))
        return ctypes.string_at(data, length.value) if length.value else None
    finally:
        if out:
            hb.hb_blob_destroy(out)
        if subset_face:
            hb.hb_face_destroy(subset_face)
        if plan:
            sub.hb_subset_input_destroy(plan)
        if face:
            hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
