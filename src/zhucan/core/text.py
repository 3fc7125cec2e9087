"""Text the database can store. PostgreSQL refuses a NUL character in any text value, and a lone
UTF-16 surrogate (which JSON's ``\\ud800`` escape and Python strings allow) cannot be encoded as
UTF-8 at all: either reaches the database as an error, i.e. a 500 after part of the work is done.
Every channel that takes text from outside (API, console forms, file imports) checks it here first
and refuses it with one stable code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from zhucan.core.errors import DomainError

CODE = "TEXT_NOT_STORABLE"
MESSAGE_ZH = "含有无法保存的字符（空字符或残缺的 Unicode 字符），请删除后重新输入"
MESSAGE_EN = "the text contains a character that cannot be stored (NUL or a lone surrogate)"

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def unstorable_paths(data, path: str = "") -> Iterator[str]:
    """Dotted paths (``items.0.name``) of the strings in `data` (nested dicts, lists and tuples as
    JSON gives them; dict keys count too) that cannot be stored."""
    if isinstance(data, str):
        if not is_storable(data):
            yield path
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and not is_storable(key):
                yield where
            else:
                yield from unstorable_paths(value, where)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from unstorable_paths(value, f"{path}.{index}" if path else str(index))


def text_not_storable(*, field: str | None = None) -> DomainError:
    # The field name may itself hold the bad character (a JSON key): name it without that.
    shown = _UNSTORABLE.sub("\ufffd", field) if field else None
    return DomainError(code=CODE, message_zh=f"{shown} {MESSAGE_ZH}" if shown else MESSAGE_ZH,
                       message_en=f"{shown}: {MESSAGE_EN}" if shown else MESSAGE_EN, field=shown, http_status=400)


def require_storable(data, *, field: str | None = None) -> None:
    """Raise TEXT_NOT_STORABLE naming the first string in `data` that cannot be stored."""
    for path in unstorable_paths(data):
        where = ".".join(p for p in (field, path) if p) or None
        raise text_not_storable(field=where)
