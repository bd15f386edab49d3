"""Read input into raw rows that remember where they came from.

Input is a folder of ``KIND.csv`` / ``KIND.jsonl`` files, single such files, XLSX workbooks
with one sheet per kind, or the lists people have (product lists, enterprise directories,
patent exports) as CSV or workbooks in any mix. Each file or sheet is recognised once, from its
name and header (``ingest.headers``): the header row may sit below title rows, and its columns
are renamed to the columns firstset reads. Every cell is checked here for what no kind accepts:
oversized cells and spreadsheet formulas. Problems become ``RowError``s; reading carries on to
report them all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

from graph.errors import RowError
from ingest.encoding import BinaryFile, decode_text
from ingest.headers import HEADER_SCAN, LIST_KINDS, TableMap, recognise

__all__ = [
    "KINDS",
    "MAX_CELL",
    "PART_BYTES",
    "SECTION",
    "Part",
    "RawRow",
    "ReadOptions",
    "Table",
    "discover",
    "header_lines",
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
    "evaluations",
    "catalogue",
    "relations",
)
MAX_CELL = 100_000  # characters; a longer cell is refused, not truncated
# Spreadsheet formula injection: =… and @… always; +/- only when followed by a name or
# formula syntax, so that "-40℃" or "+86 23 …" stay ordinary text.
_FORMULA = re.compile(r"^[=@]|^[+-]\s*[A-Za-z(]|^[+-].*[|!]")
_FORMULA_START = "=@+-"  # a cell starting with one of these gets the full check
PART_BYTES = 4_000_000  # CSV files are read in parts of about this many bytes

csv.field_size_limit(1 << 30)  # we check cell sizes ourselves, with a clear message
_SUFFIXES = (".csv", ".jsonl", ".xlsx")
_FULL_XLSX = 16 << 20  # smaller workbooks are read whole: merged cells are known then
_BLANK_RUN = 10_000  # blank rows in a row after which a sheet is taken to have ended
# A row of a list whose only cell starts so is a note under the table, not data.
_NOTE_STARTS = ("注", "备注", "说明", "附注", "填表", "填报", "制表", "合计", "总计", "小计",
                "数据来源", "来源", "note", "*")
SECTION = "\x00section"  # a list row that is a heading over the rows below it
_ENUMERATOR = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|\d+\s*[、.．]|第[一二三四五六七八九十\d]+[类部分]+)")


@dataclass(frozen=True)
class ReadOptions:
    """How to read what is not self-describing: ``--map`` header overrides (header → column,
    ``-`` to drop), a kind forced on every table, catalogue facts for product lists."""

    overrides: tuple[tuple[str, str], ...] = ()
    kind: str | None = None
    catalogue: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Table:
    """A recognised table (a file or a sheet): its map and the names it was found under."""

    map: TableMap
    names: tuple[str, ...] = field(default=())


_PLAIN = ReadOptions()


@dataclass(slots=True)
class RawRow:
    """One input row: its kind, where it came from and its non-empty cells."""

    kind: str
    file: str
    line: int
    values: dict[str, Any]
    columns: dict[str, int]  # column name → 1-based column number (shared by a file's rows)


def discover(path: Path) -> list[tuple[str, Path]]:
    """The (kind, file) pairs under ``path``: a folder, a kind file or a workbook. Kind ``*``:
    a workbook, or a file that is not named after a kind (or is named so but holds a list),
    recognised by its header when it is read."""
    if path.is_dir():  # ``?``: not named after a kind; skipped when its header says nothing
        return [
            (_kind_of(p).replace("*", "?"), p)
            for p in sorted(path.iterdir())
            if p.is_file()
            and p.suffix.lower() in _SUFFIXES
            and not p.name.startswith((".", "~$"))
            and not p.name.endswith(".rejects.csv")
        ]
    return [(_kind_of(path), path)]


def _kind_of(path: Path) -> str:
    if path.suffix.lower() == ".xlsx" or path.stem not in KINDS:
        return "*"
    if path.suffix.lower() == ".csv" and path.stem != "relations" and _holds_a_list(path):
        return "*"  # e.g. patents.csv exported by a patent search system
    return path.stem


def _holds_a_list(path: Path) -> bool:
    """True when a CSV file named after a kind has a list's header instead (read early with
    the organisations, since its rows name organisations)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16).split(b"\n", 1)[0]
        text = decode_text(head)[0] if head else ""
    except (OSError, BinaryFile, UnicodeDecodeError):
        return False
    rows = list(csv.reader(io.StringIO(text.split("\n", 1)[0])))
    if not rows or "id" in (h.strip() for h in rows[0]):
        return False
    return recognise(rows).kind in LIST_KINDS


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
    shown: tuple[str, ...] = (),
) -> RawRow | None:
    """The row's non-empty cells by column name, or None when a cell is refused.

    ``columns`` (name → 1-based number) may be shared by every row of a file. ``shown``: the
    headers as the file writes them, for messages (a list's columns are read under other names).
    """
    values: dict[str, Any] = {}
    ok = True
    for index, (name, cell) in enumerate(zip(header, cells, strict=False)):
        if cell is None or cell == "":
            continue
        if isinstance(cell, str):
            cell = cell.strip()
            if not cell:
                continue
            if cell[0] in _FORMULA_START or len(cell) > MAX_CELL:
                label = shown[index] if index < len(shown) else name
                problem = _check_cell(kind, file, line, index + 1, label, cell)
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


def plan_parts(
    data: bytes, encoding: str, size: int = PART_BYTES, header: int = 1
) -> list[Part]:
    """Cut a CSV file into parts of about ``size`` bytes at record boundaries: after a newline
    where the quotes before are balanced (not inside a quoted cell). Newline and quote bytes
    never occur inside a UTF-8 or GB18030 character, so the bytes can be cut before decoding.
    The first ``header`` lines (title rows and the header) are read before every part. One
    part when the file is small or its header is quoted."""
    first = 0
    for _ in range(header):
        first = data.find(b"\n", first) + 1
        if not first:
            break
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


def _table(
    kind: str,
    where: str,
    rows: list[list[Any]],
    names: tuple[str, ...],
    options: ReadOptions,
    errors: list[RowError],
    tables: dict[str, Table] | None,
    *,
    optional: bool = False,
) -> TableMap | None:
    """Recognise a table from its first rows; None (problems reported) when it cannot be read.
    An ``optional`` table (a sheet, a file found in a folder) that is no kind at all is
    skipped: listed in ``tables`` as kind ``unknown``, without an error."""
    table = recognise(
        rows,
        names=names,
        kind=kind if kind in KINDS else None,
        overrides=dict(options.overrides),
        forced_kind=options.kind,
    )
    if tables is not None:
        tables[where] = Table(table, names)
    problems = table.problems
    if optional and (
        table.kind == "unknown"
        or (  # only somewhat like a list, and incomplete: not one the user meant to load
            table.kind in LIST_KINDS
            and all(not col for col, _, _ in problems)
            and problems
            and len([t for t in table.targets if t and t not in table.kept]) < 3
        )
    ):
        if tables is not None:
            tables[where] = Table(replace(table, kind="unknown"), names)
        return None
    if table.kind in KINDS:  # a missing interchange column is reported by the row checks
        problems = tuple(p for p in problems if p[0])
    for col, header, reason in problems:
        errors.append(RowError(where, table.header_line, header, reason, col))
    return None if problems else table


def _blank_ignored(cells: list[Any], header: list[str]) -> list[Any]:
    """The cells with those under ignored columns (an empty target) emptied."""
    width = len(header)
    return [c if header[i] else "" for i, c in enumerate(cells[:width])] + list(cells[width:])


def _section(cells: list[Any], table: TableMap) -> str | None:
    """The heading of a group of product-list rows, else None: one cell alone on its row,
    under an ignored column (序号, where a merged heading starts) or numbered like a heading
    (一、智能制造装备). A product row with one cell filled is not a heading: it is refused."""
    if table.kind != "product_list":
        return None
    filled = [(i, str(c).strip()) for i, c in enumerate(cells) if c is not None and str(c).strip()]
    if len(filled) != 1 or filled[0][1].replace(".", "").isdigit():
        return None
    col, text = filled[0]
    ignored = col < len(table.targets) and not table.targets[col]
    numbered = _ENUMERATOR.match(text)
    if not (ignored or numbered):
        return None
    text = _ENUMERATOR.sub("", text).strip()
    return text if len(text) >= 2 else None


def _is_note(cells: list[Any], header: tuple[str, ...]) -> bool:
    """A note or total under a list, or its header repeated (a printed list's next page)."""
    filled = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    if len(filled) == 1:
        return filled[0].casefold().startswith(_NOTE_STARTS)
    return tuple(str(c or "").strip() for c in cells[: len(header)]) == header


def _read_csv(
    kind: str,
    path: Path,
    text: str,
    errors: list[RowError],
    headers: dict[str, list[str]],
    skipped: int = 0,
    *,
    options: ReadOptions = _PLAIN,
    tables: dict[str, Table] | None = None,
) -> Iterator[RawRow]:
    """Rows of CSV ``text``; ``skipped`` lines of the file lie between its header and rows."""
    name = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = [[c.strip() for c in r] for _, r in zip(range(HEADER_SCAN), reader, strict=False)]
    except csv.Error as exc:
        errors.append(RowError(name, 1, "", f"unreadable header: {exc}"))
        return
    if not first:
        errors.append(RowError(name, 1, "", "empty file: no header row"))
        return
    if kind in KINDS and not any(first[0]):
        errors.append(RowError(name, 1, "", "empty header row"))
        return
    if kind in KINDS and not options.kind:
        for col, h in enumerate(first[0], start=1):
            if h and first[0].index(h) != col - 1:
                errors.append(RowError(name, 1, h, "column appears twice in the header", col))
                return
    table = _table(kind, name, first, (path.stem,), options, errors, tables, optional=kind == "?")
    if table is None:
        return
    kind = table.kind
    header = list(table.targets)
    headers[name] = header
    is_list = kind in LIST_KINDS
    first_header = table.header[0] if table.header and table.header[0] else "\x00"
    # start again after the header (title rows above it are the table's title)
    reader = csv.reader(io.StringIO(text, newline=""))
    for _ in range(table.header_line):
        next(reader)
    columns = {h: col for col, h in enumerate(header, start=1) if h}
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
            if is_list:
                values.pop("", None)
                if len(values) <= 1 or (cells and cells[0].strip() == first_header):
                    if _is_note(cells, table.header):
                        continue
                    if (section := _section(cells, table)) is not None:
                        yield RawRow(kind, name, line, {SECTION: section}, columns)
                        continue
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
            if is_list:  # an ignored column (序号 …) is not checked: a formula there is harmless
                cells = _blank_ignored(cells, header)
            row = _clean(kind, name, line, header, cells, errors, columns, table.header)
            if row is not None:
                yield row
    except csv.Error as exc:
        errors.append(RowError(name, skipped + done + 1, "", f"malformed CSV: {exc}"))


def _read_jsonl(
    kind: str,
    path: Path,
    text: str,
    errors: list[RowError],
    headers: dict[str, list[str]],
    *,
    options: ReadOptions = _PLAIN,
    tables: dict[str, Table] | None = None,
) -> Iterator[RawRow]:
    name = str(path)
    seen: dict[str, None] = {}
    rename: dict[str, str] | None = None  # key → column, for a file not named after its kind
    is_list = False
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
        if kind not in KINDS or options.kind:
            if rename is None:
                table = _table(
                    kind, name, [list(obj)], (path.stem,), options, errors, tables,
                    optional=kind == "?",
                )
                if table is None:
                    return
                kind, is_list = table.kind, table.kind in LIST_KINDS
                rename = dict(zip(table.header, table.targets, strict=True))
            obj = {rename.get(k, k): v for k, v in obj.items()}
            if is_list:
                obj.pop("", None)
        header = list(obj)
        seen.update(dict.fromkeys(header))
        headers[name] = list(seen)
        cells = [v if not isinstance(v, list) else [str(x) for x in v] for v in obj.values()]
        row = _clean(kind, name, line, header, cells, errors)
        if row:
            yield row


def _sheet_rows(sheet: Any, merged: bool) -> Iterator[list[Any]]:
    """A sheet's rows as lists of cell values; a cell merged down a column (a maker over its
    products) repeats its value in every row of the merge."""
    fill: dict[tuple[int, int], Any] = {}
    if merged:
        for rng in sheet.merged_cells.ranges:
            if rng.max_row > rng.min_row:
                value = sheet.cell(rng.min_row, rng.min_col).value
                for r in range(rng.min_row + 1, rng.max_row + 1):
                    fill[(r, rng.min_col)] = value
    for r, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        row = list(cells)
        if fill:
            for c in range(len(row)):
                if (r, c + 1) in fill and row[c] is None:
                    row[c] = fill[(r, c + 1)]
        yield row


def _read_xlsx(
    path: Path,
    errors: list[RowError],
    headers: dict[str, list[str]],
    *,
    options: ReadOptions = _PLAIN,
    tables: dict[str, Table] | None = None,
) -> Iterator[RawRow]:
    from openpyxl import load_workbook

    full = path.stat().st_size < _FULL_XLSX
    try:
        book = load_workbook(path, read_only=not full, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        errors.append(RowError(str(path), 0, "", f"not a readable XLSX workbook: {exc}"))
        return
    recognised = 0
    try:
        for sheet in book.worksheets:
            title = sheet.title.strip()
            kind = title.lower() if title.lower() in KINDS else "*"
            where = f"{path}#{sheet.title}"
            rows = _sheet_rows(sheet, full)
            first = [
                ["" if c is None else (c if isinstance(c, str) else _cell_text(c)) for c in r]
                for _, r in zip(range(HEADER_SCAN), rows, strict=False)
            ]
            filled = max((sum(1 for c in r if str(c).strip()) for r in first), default=0)
            if kind in KINDS and not first:
                errors.append(RowError(where, 1, "", "empty sheet: no header row"))
                continue
            if kind == "*" and filled < 2 and not options.kind:
                continue  # an empty sheet, or notes: nothing to load
            table = _table(
                kind, where, first, (path.stem, title), options, errors, tables, optional=True
            )
            if table is None:
                recognised += kind != "*"  # a known sheet with problems: reported already
                continue
            recognised += 1
            kind = table.kind
            header = list(table.targets)
            headers[where] = header
            is_list = kind in LIST_KINDS
            start = table.header_line + 1
            blank = 0
            for line, cells in enumerate(chain(first[table.header_line :], rows), start=start):
                values = [
                    "" if c is None else (c if isinstance(c, str) else _cell_text(c)) for c in cells
                ]
                if not any(v.strip() for v in values):
                    blank += 1
                    if blank >= _BLANK_RUN:  # formatted down to row 1,048,576: the data ended
                        break
                    continue
                blank = 0
                if is_list:
                    if _is_note(values, table.header):
                        continue
                    if (section := _section(values, table)) is not None:
                        yield RawRow(kind, where, line, {SECTION: section}, {})
                        continue
                    values = _blank_ignored(values, header)
                row = _clean(kind, where, line, header, values, errors, shown=table.header)
                if row:
                    yield row
        if not recognised:
            errors.append(
                RowError(
                    str(path),
                    0,
                    "",
                    "工作簿中没有可识别的工作表 / no sheet of this workbook is recognised: name "
                    f"sheets after a kind ({', '.join(KINDS)}) or give them a product list's, "
                    "directory's or patent export's header (or use --map)",
                )
            )
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
    *,
    options: ReadOptions = _PLAIN,
    tables: dict[str, Table] | None = None,
) -> Iterator[RawRow]:
    """Rows of one file, or of one ``part`` of a CSV file (see ``plan_parts``); a workbook
    yields rows of every sheet. ``kind`` ``*``: recognised from the header.

    Problems go to ``errors``; each file's header, as the columns it is read as, goes to
    ``headers`` (keyed like ``RawRow.file``), and each recognised table to ``tables``.
    """
    if part is not None:
        try:
            text = _read_part(path, part)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(RowError(str(path), 0, "", f"cannot read part: {exc}"))
            return
        yield from _read_csv(
            kind, path, text, errors, headers, part.skipped, options=options, tables=tables
        )
        return
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _read_xlsx(path, errors, headers, options=options, tables=tables)
        return
    if suffix not in _SUFFIXES:
        errors.append(
            RowError(
                str(path),
                0,
                "",
                f"不支持的文件类型 / unsupported file type {suffix or path.name!r}: CSV, JSONL or "
                "XLSX (save .xls workbooks as .xlsx)",
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
    if suffix == ".jsonl":
        yield from _read_jsonl(kind, path, text, errors, headers, options=options, tables=tables)
    else:
        yield from _read_csv(kind, path, text, errors, headers, options=options, tables=tables)


def header_lines(data: bytes, encoding: str, kind: str, options: ReadOptions = _PLAIN) -> int:
    """How many physical lines of a CSV file come before its first row (title rows and the
    header), so that ``plan_parts`` repeats them before every part."""
    head = data[: 1 << 16].decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(head, newline=""))
    try:
        first = [[c.strip() for c in r] for _, r in zip(range(HEADER_SCAN), reader, strict=False)]
    except csv.Error:
        return 1
    table = recognise(
        first,
        kind=kind if kind in KINDS else None,
        overrides=dict(options.overrides),
        forced_kind=options.kind,
    )
    reader = csv.reader(io.StringIO(head, newline=""))
    for _ in range(table.header_line):
        next(reader, None)
    return max(reader.line_num, 1)
