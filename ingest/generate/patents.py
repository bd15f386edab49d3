"""Real Chinese patents, classified into equipment fields and product families.

The titles and IPC subclasses are real (``../shared/data/cn_patents/patents.csv``); the demo
only invents who owns them. A patent's field comes from its IPC subclasses through the small
table ``ipc_fields.csv`` (the most specific match wins); a title keyword of a product family
(盾构, 滚齿, 换流…) ties it to that family when the family's field agrees with the IPC field, or
when the IPC field is only a generic one. Beyond the real patents, benchmark scales get synthetic
ones recombined from two real titles of the same field, with ids that no real patent has.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from ingest.generate.vocab import FAMILIES

__all__ = [
    "DEFAULT_PATENTS",
    "RealPatent",
    "classify",
    "load_real_patents",
    "synthetic_patent",
]

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PATENTS = REPO.parent / "shared" / "data" / "cn_patents" / "patents.csv"


@dataclass(frozen=True)
class RealPatent:
    id: str
    title: str
    ipc: str  # ';'-separated subclasses
    field: str
    family: str | None


@cache
def _ipc_table() -> dict[str, tuple[str, int]]:
    """IPC prefix (a class like ``B61`` or a subclass like ``B61L``) → (field, priority)."""
    text = resources.files("ingest.generate").joinpath("ipc_fields.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["ipc"]: (r["field"], int(r["priority"])) for r in rows}


@cache
def _keywords() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    """A pattern finding family keywords (longest first) and keyword → (family, field)."""
    table: dict[str, tuple[str, str]] = {}
    for f in FAMILIES:
        for k in f.keywords:
            table.setdefault(k, (f.key, f.field))
    words = sorted(table, key=lambda k: (-len(k), k))
    return re.compile("|".join(map(re.escape, words))), table


def ipc_field(ipcs: Sequence[str]) -> tuple[str | None, int]:
    """The field of the most specific mapped IPC subclass, and that mapping's priority."""
    table = _ipc_table()
    best: tuple[str | None, int] = (None, 99)
    for code in ipcs:
        hit = table.get(code[:4]) or table.get(code[:3])
        if hit is not None and hit[1] < best[1]:
            best = hit
    return best


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def classify(title: str, ipcs: Sequence[str]) -> tuple[str | None, str | None]:
    """(field, family key) of a patent; either may be None.

    >>> classify("可360°旋转的盾构管片拼装装置", ["E21D", "G05B"])
    ('field:construction.tunnel', 'epb_shield')
    >>> classify("一种交叉洞室爆破开挖方法", ["E21D"])
    ('field:construction.tunnel', None)
    """
    field, priority = ipc_field(ipcs)
    pattern, table = _keywords()
    words = sorted({m.group() for m in pattern.finditer(title)}, key=lambda k: (-len(k), k))
    hits = [table[w] for w in words]
    if field is not None:
        for fam, ffield in hits:
            if _related(ffield, field):
                return ffield, fam
    if hits and (field is None or priority >= 3):
        return hits[0][1], hits[0][0]
    return field, None


def load_real_patents(path: Path) -> list[RealPatent]:
    """Every real patent in ``path`` that falls in an equipment field, in file order."""
    stat = path.stat()
    return list(_load(str(path.resolve()), stat.st_mtime_ns, stat.st_size))


@cache
def _load(path: str, mtime_ns: int, size: int) -> tuple[RealPatent, ...]:
    out: list[RealPatent] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            pid, title, ipc = row["id"].strip(), row["title"].strip(), row["ipc"].strip()
            if not pid or not title or pid in seen:
                continue
            field, family = classify(title, ipc.split(";"))
            if field is None:
                continue
            seen.add(pid)
            out.append(RealPatent(pid, title, ipc, field, family))
    return tuple(out)


def _stem(title: str) -> str:
    for head in ("一种", "一类"):
        if title.startswith(head):
            return title[len(head):]
    return title


def synthetic_patent(index: int, a: RealPatent, b: RealPatent, rng: random.Random) -> RealPatent:
    """A made-up patent recombined from two real ones of the same field.

    Its id ``CN9NNNNNNNN[A|U]`` is outside the ranges real publication numbers use.
    """
    second = _stem(b.title)
    if len(a.title) + len(second) < 60:
        title = f"{a.title}{pick_joiner(rng)}{second}"
    else:
        title = a.title + "的改进结构"
    ipcs = list(dict.fromkeys(a.ipc.split(";") + b.ipc.split(";")))
    kind = "U" if index % 3 == 0 else "A"
    return RealPatent(f"CN9{index:08d}{kind}", title, ";".join(ipcs), a.field, a.family)


def pick_joiner(rng: random.Random) -> str:
    return ("及", "及其", "和")[rng.randrange(3)]
