"""Read interchange-format input into raw rows that remember where they came from.

Input is a folder of ``KIND.csv`` / ``KIND.jsonl`` files, single such files, or an XLSX workbook
with one sheet per kind. Every cell is checked here for what no kind accepts: oversized cells and
spreadsheet formulas. Problems become ``RowError``s; reading carries on to report them all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from graph.errors import RowError
from ingest.encoding import BinaryFile, decode_text

__all__ = [
    "KINDS",
    "MAX_CELL",
    "PART_BYTES",
    "Part",
    "RawRow",
    "discover",
    "plan_parts",
    "read_file",
]

KINDS = (
    "organizations",
    "equipment",
    "patents",
    "technologies",
    "alliances",
    "projects",
    "demands",
    "pitches",
    "relations",
)
MAX_CELL = 100_000  # characters; a longer cell is refused, not truncated
# Spreadsheet formula injection: =… and @… always; +/- only when followed by a name or
# formula syntax, so that "-40℃" or "+86 23 …" stay ordinary text.
_FORMULA = re.compile(r"^[=@]|^[+-]\s*[A-Za-z(]|^[+-].*[|!]")
_FORMULA_START = "=@+-"  # a cell starting with one of these gets the full check
PART_BYTES = 4_000_000  # CSV files are read in parts of about this many bytes

csv.field_size_limit(1 << 30)  # we check cell sizes ourselves, with a clear message


@dataclass(slots=True)
class RawRow:
    """One input row: its kind, where it came from and its non-empty cells."""

    kind: str
    file: str
    line: int
    values: dict[str, Any]
    columns: dict[str, int]  # column name → 1-based column number (shared by a file's rows)


def discover(path: Path) -> list[tuple[str, Path]]:
    """The (kind, file) pairs under ``path``: a folder, a kind file or a workbook."""
    if path.is_dir():
        found = [
            (p.stem, p)
            for p in sorted(path.iterdir())
            if p.stem in KINDS and p.suffix.lower() in (".csv", ".jsonl", ".xlsx")
        ]
        return found
    if path.suffix.lower() == ".xlsx":
        return [("*", path)]
    return [(path.stem, path)]


def _check_cell(
    kind: str, file: str, line: int, col: int, name: str, value: str
) -> RowError | None:
    if len(value) > MAX_CELL:
        return RowError(
            file, line, name, f"cell has {len(value):,} characters; the limit is {MAX_CELL:,}", col
        )
    if _FORMULA.match(value):
        return RowError(
            file,
            line,
            name,
            f"looks like a spreadsheet formula ({value[:20]!r}); formulas are refused for safety",
            col,
        )
    return None


def _clean(
    kind: str,
    file: str,
    line: int,
    header: list[str],
    cells: list[Any],
    errors: list[RowError],
    columns: dict[str, int] | None = None,
) -> RawRow | None:
    """The row's non-empty cells by column name, or None when a cell is refused.

    ``columns`` (name → 1-based number) may be shared by every row of a file.
    """
    values: dict[str, Any] = {}
    ok = True
    for name, cell in zip(header, cells, strict=False):
        if cell is None or cell == "":
            continue
        if isinstance(cell, str):
            cell = cell.strip()
            if not cell:
                continue
            if cell[0] in _FORMULA_START or len(cell) > MAX_CELL:
                problem = _check_cell(kind, file, line, header.index(name) + 1, name, cell)
                if problem:
                    errors.append(problem)
                    ok = False
                    continue
        values[name] = cell
    if len(cells) > len(header) and any(
        str(c).strip() for c in cells[len(header) :] if c is not None
    ):
        errors.append(
            RowError(
                file,
                line,
                "",
                f"{len(cells)} cells but the header has {len(header)}",
                len(header) + 1,
            )
        )
        ok = False
    if not ok:
        return None
    if columns is None:
        columns = {name: col for col, name in enumerate(header, start=1)}
    return RawRow(kind, file, line, values, columns)


@dataclass(frozen=True, slots=True)
class Part:
    """A part of a CSV file: bytes [begin, end) after a header that ends at ``header_end``,
    ``skipped`` lines after the header, decoded with the file's ``encoding``."""

    encoding: str
    header_end: int
    begin: int
    end: int
    skipped: int


def plan_parts(data: bytes, encoding: str, size: int = PART_BYTES) -> list[Part]:
    """Cut a CSV file into parts of about ``size`` bytes at record boundaries: after a newline
    where the quotes before are balanced (not inside a quoted cell). Newline and quote bytes
    never occur inside a UTF-8 or GB18030 character, so the bytes can be cut before decoding.
    One part when the file is small or its header is quoted."""
    first = data.find(b"\n") + 1
    parts = max(1, len(data) // size)
    if parts == 1 or not first or b'"' in data[:first]:
        return [Part(encoding, 0, 0, len(data), 0)]
    cuts = [first]
    counted = quotes = 0
    for k in range(1, parts):
        pos = max(first + (len(data) - first) * k // parts, cuts[-1])
        while True:
            pos = data.find(b"\n", pos)
            if pos < 0:
                pos = len(data)
                break
            pos += 1
            quotes += data.count(b'"', counted, pos)
            counted = pos
            if quotes % 2 == 0:
                break
        cuts.append(pos)
    cuts.append(len(data))
    out: list[Part] = []
    skipped = 0
    for begin, end in pairwise(cuts):
        out.append(Part(encoding, first, begin, end, skipped))
        skipped += data.count(b"\n", begin, end)
    return [p for p in out if p.end > p.begin] or out[:1]


def _read_part(path: Path, part: Part) -> str:
    """The header line and the rows of ``part``, as text."""
    with path.open("rb") as fh:
        head = fh.read(part.header_end)
        fh.seek(part.begin)
        body = fh.read(part.end - part.begin)
    if not part.header_end:  # the whole file
        return body.decode(part.encoding)
    rest = "utf-8" if part.encoding == "utf-8-sig" else part.encoding  # a BOM starts the file
    return head.decode(part.encoding) + body.decode(rest)


def _read_csv(
    kind: str,
    path: Path,
    text: str,
    errors: list[RowError],
    headers: dict[str, list[str]],
    skipped: int = 0,
) -> Iterator[RawRow]:
    """Rows of CSV ``text``; ``skipped`` lines of the file lie between its header and rows."""
    name = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        errors.append(RowError(name, 1, "", "empty file: no header row"))
        return
    except csv.Error as exc:
        errors.append(RowError(name, 1, "", f"unreadable header: {exc}"))
        return
    if not any(header):
        errors.append(RowError(name, 1, "", "empty header row"))
        return
    for col, h in enumerate(header, start=1):
        if h and header.index(h) != col - 1:
            errors.append(RowError(name, 1, h, "column appears twice in the header", col))
            return
    headers[name] = header
    columns = {h: col for col, h in enumerate(header, start=1)}
    width = len(header)
    # The fast path below takes rows whose cells need no per-cell check: no cell can be over
    # the limit (no line is that long, and the row is on one line), no cell starts with a
    # formula character, and there are no cells past the header. Others go through ``_clean``.
    long_lines = len(text) > MAX_CELL and max(map(len, text.split("\n"))) > MAX_CELL
    done = reader.line_num
    try:
        for cells in reader:
            line = skipped + done + 1
            spans = reader.line_num - done > 1
            done = reader.line_num
            values = {h: v for h, c in zip(header, cells, strict=False) if (v := c.strip())}
            if len(cells) <= width and not (
                (long_lines or spans) and max(map(len, cells), default=0) > MAX_CELL
            ):
                for v in values.values():
                    if v[0] in _FORMULA_START:
                        break
                else:
                    if values:
                        yield RawRow(kind, name, line, values, columns)
                    continue
            if not any(c.strip() for c in cells):  # a blank row, however many cells
                continue
            if (row := _clean(kind, name, line, header, cells, errors, columns)) is not None:
                yield row
    except csv.Error as exc:
        errors.append(RowError(name, skipped + done + 1, "", f"malformed CSV: {exc}"))


def _read_jsonl(
    kind: str, path: Path, text: str, errors: list[RowError], headers: dict[str, list[str]]
) -> Iterator[RawRow]:
    name = str(path)
    seen: dict[str, None] = {}
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(RowError(name, line, "", f"not valid JSON: {exc.msg}", exc.colno))
            continue
        if not isinstance(obj, dict):
            errors.append(RowError(name, line, "", "each line must be a JSON object"))
            continue
        header = list(obj)
        seen.update(dict.fromkeys(header))
        headers[name] = list(seen)
        cells = [v if not isinstance(v, list) else [str(x) for x in v] for v in obj.values()]
        row = _clean(kind, name, line, header, cells, errors)
        if row:
            yield row


def _read_xlsx(
    path: Path, errors: list[RowError], headers: dict[str, list[str]]
) -> Iterator[RawRow]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        errors.append(RowError(str(path), 0, "", f"not a readable XLSX workbook: {exc}"))
        return
    try:
        for sheet in book.worksheets:
            kind = sheet.title.strip().lower()
            where = f"{path}#{sheet.title}"
            if kind not in KINDS:
                errors.append(
                    RowError(
                        where,
                        0,
                        "",
                        f"unknown sheet {sheet.title!r}; expected one of {', '.join(KINDS)}",
                    )
                )
                continue
            rows = sheet.iter_rows(values_only=True)
            first = next(rows, None)
            if first is None:
                errors.append(RowError(where, 1, "", "empty sheet: no header row"))
                continue
            header = ["" if h is None else str(h).strip() for h in first]
            headers[where] = header
            for line, cells in enumerate(rows, start=2):
                values = [
                    "" if c is None else (c if isinstance(c, str) else _cell_text(c)) for c in cells
                ]
                if not any(v.strip() for v in values):
                    continue
                row = _clean(kind, where, line, header, values, errors)
                if row:
                    yield row
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value)


def read_file(
    kind: str,
    path: Path,
    errors: list[RowError],
    headers: dict[str, list[str]],
    part: Part | None = None,
) -> Iterator[RawRow]:
    """Rows of one file, or of one ``part`` of a CSV file (see ``plan_parts``); a workbook
    (``kind='*'``) yields rows of every sheet.

    Problems go to ``errors``; each file's header goes to ``headers`` (keyed like ``RawRow.file``).
    """
    if part is not None:
        try:
            text = _read_part(path, part)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(RowError(str(path), 0, "", f"cannot read part: {exc}"))
            return
        yield from _read_csv(kind, path, text, errors, headers, part.skipped)
        return
    if path.suffix.lower() == ".xlsx":
        yield from _read_xlsx(path, errors, headers)
        return
    if kind not in KINDS:
        errors.append(
            RowError(
                str(path),
                0,
                "",
                f"unknown file kind {kind!r}; name files after one of: {', '.join(KINDS)}",
            )
        )
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(RowError(str(path), 0, "", f"cannot read: {exc.strerror}"))
        return
    if not data.strip():
        errors.append(RowError(str(path), 1, "", "empty file: no header row"))
        return
    try:
        text, _ = decode_text(data)
    except BinaryFile as exc:
        errors.append(RowError(str(path), 0, "", str(exc)))
        return
    if path.suffix.lower() == ".jsonl":
        yield from _read_jsonl(kind, path, text, errors, headers)
    else:
        yield from _read_csv(kind, path, text, errors, headers)
