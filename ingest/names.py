"""Organisation name normalisation: one spelling for the many ways a name is written.

Full-width and half-width forms, （）and (), spaces, traditional and simplified characters, case,
and the legal-form endings 有限公司 / 有限责任公司 / 股份有限公司 all fold to one key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["name_key"]

_LEGAL_ENDINGS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "公司",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
    "gmbh",
    "s.p.a.",
    "spa",
    "s.a.",
    "sa",
    "bv",
    "ag",
)
_DROP = re.compile(r"[\s()\[\]【】（）·,，.。'\"“”‘’\-_/]+")
_SPACE = re.compile(r"\s+")
_ENDING = re.compile("(?:" + "|".join(map(re.escape, _LEGAL_ENDINGS)) + ")$")


@lru_cache(maxsize=1)
def _to_simplified() -> dict[int, str]:
    """Character-level traditional→simplified table from OpenCC's own dictionary.

    Phrase-level conversion (OpenCC's ``t2s``) costs ~100 µs a name; a name key only needs
    characters, and ``str.translate`` with this table costs well under 1 µs.
    """
    from importlib import resources

    text = (
        resources.files("opencc")
        .joinpath("dictionary", "TSCharacters.txt")
        .read_text(encoding="utf-8")
    )
    table: dict[int, str] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            table[ord(parts[0])] = parts[1].split(" ")[0]
    return table


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """The comparison key of an organisation name.

    >>> name_key("重庆机床（集团）有限责任公司") == name_key("重慶機床(集團)有限公司")
    True
    >>> name_key("ＡＢＣ Tech Co.,Ltd.")
    'abctech'
    """
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    text = text.translate(_to_simplified())
    compact = _SPACE.sub("", text)
    # endings come off in passes until none is left ("…集团有限公司" loses both); a name keeps
    # two characters at least. The pattern spares names that end in none a pass.
    while _ENDING.search(compact):
        before = compact
        for ending in _LEGAL_ENDINGS:
            if compact.endswith(ending) and len(compact) > len(ending) + 1:
                compact = compact[: -len(ending)]
        if compact == before:
            break
    return _DROP.sub("", compact)
