"""JSON Lines files of labelled cases and tasks: numbered records, blank lines skipped.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.jsonl"
>>> _ = p.write_text('{"a": 1}\\n\\n{oops\\n', encoding="utf-8")
>>> [(n, type(r).__name__) for n, r in numbered_records(p)]
[(1, 'dict'), (3, 'JSONDecodeError')]
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["numbered_records", "records"]


def numbered_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    """``(line number from 1, parsed value or the JSONDecodeError)`` for each non-blank line
    (UTF-8, a BOM allowed): callers say what a bad line means to them."""
    for n, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, exc


def records(path: str | Path) -> list[Any]:
    """Every record of a file whose lines must all be JSON (a bad one raises)."""
    out = []
    for _, rec in numbered_records(path):
        if isinstance(rec, json.JSONDecodeError):
            raise rec
        out.append(rec)
    return out
