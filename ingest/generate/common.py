"""Small helpers shared by the generator: row writers, apportionment, codes and dates."""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from stdnum.cn import uscc

__all__ = [
    "COLUMNS",
    "Progress",
    "RowWriter",
    "apportion",
    "day_after",
    "iso_day",
    "make_uscc",
    "pick",
    "scaled",
]

T = TypeVar("T")
Progress = Callable[[str, int], None]

COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": (
        "id", "name", "kinds", "uscc", "region", "description", "aliases", "clearance",
    ),
    "equipment": ("id", "name", "maker_ids", "field", "description", "catalogue", "status"),
    "patents": ("id", "title", "abstract", "ipc", "owner_ids", "filed", "granted"),
    "technologies": (
        "id", "name", "description", "origin", "field", "trl", "owner_id", "clearance",
    ),
    "alliances": ("id", "name", "kind", "field", "member_ids"),
    "projects": (
        "id", "name", "owner_id", "kind", "region", "description", "budget_wan", "clearance",
    ),
    "demands": ("id", "project_id", "text", "field", "quantity", "budget_wan", "needed_by"),
    "pitches": ("id", "title", "summary", "org_id", "field", "stage", "trl"),
    "relations": ("source", "type", "target", "role", "weight"),
}

_EVERY = 10_000


class RowWriter:
    """Writes one interchange file row by row, counting rows and reporting progress."""

    def __init__(self, out_dir: Path, kind: str, progress: Progress | None) -> None:
        self.kind = kind
        self.count = 0
        self._progress = progress
        self._fh = (out_dir / f"{kind}.csv").open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._fh, lineterminator="\n")
        self._csv.writerow(COLUMNS[kind])

    def row(self, *values: object) -> None:
        self._csv.writerow(["" if v is None else v for v in values])
        self.count += 1
        if self._progress is not None and self.count % _EVERY == 0:
            self._progress(self.kind, self.count)

    def close(self) -> None:
        if self._fh.closed:
            return
        self._fh.close()
        if self._progress is not None:
            self._progress(self.kind, self.count)

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def scaled(base: int, scale: float) -> int:
    """``base`` items per unit of scale, at least one."""
    return max(1, round(base * scale))


def apportion(weights: Sequence[int], n: int) -> Iterator[int]:
    """Indices into ``weights``, ``n`` of them: every index once, then by highest averages.

    The first ``len(weights)`` items cover every index in order (when ``n`` allows), the rest go
    to the index with the largest ``weight / (count + 1)`` (D'Hondt), ties to the lower index.

    >>> list(apportion([1, 3], 4))
    [0, 1, 1, 1]
    """
    first = min(n, len(weights))
    yield from range(first)
    heap = [(-w / 2, i) for i, w in enumerate(weights)]
    heapq.heapify(heap)
    counts = [1] * len(weights)
    for _ in range(n - first):
        _, i = heapq.heappop(heap)
        yield i
        counts[i] += 1
        heapq.heappush(heap, (-weights[i] / (counts[i] + 1), i))


def pick(rng: random.Random, items: Sequence[T], weights: Sequence[int] | None = None) -> T:
    if weights is None:
        return items[rng.randrange(len(items))]
    return rng.choices(items, weights)[0]


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(serial: int) -> str:
    """A nine-character organisation code (GB 11714) with its check character."""
    body = f"{serial:08d}"
    total = sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_uscc(authority: str, division: str, index: int, seed: int) -> str:
    """A valid 18-character unified social credit code (GB 32100-2015), unique per ``index``.

    ``authority`` is the two leading characters (91 enterprise, 12 public institution,
    51 social organisation, 11 government body).

    >>> uscc.is_valid(make_uscc("91", "500112", 1, 7))
    True
    """
    serial = (index * 48_271 + 10_000_000 + seed * 7_919) % 90_000_000 + 10_000_000
    first17 = authority + division + _org_code(serial)
    return first17 + uscc.calc_check_digit(first17)


def iso_day(start: dt.date, end: dt.date, rng: random.Random) -> str:
    span = (end - start).days
    return (start + dt.timedelta(days=rng.randrange(span + 1))).isoformat()


def day_after(day: str, low: int, high: int, rng: random.Random) -> str:
    base = dt.date.fromisoformat(day)
    return (base + dt.timedelta(days=rng.randint(low, high))).isoformat()
