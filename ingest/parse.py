"""Read and validate one part of an input file into compact records: the per-row work of a load.

Runs in worker processes (``ingest.load`` spreads the parts of large inputs over the cores), so
everything here depends on the part alone; checks across rows (ids, references, repeats) are
the loader's. Records are plain tuples: they cross process boundaries by the million.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import resource
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson
from pydantic import BaseModel, ValidationError

from graph.errors import RowError
from graph.model import Rel
from graph.store import NodeRow
from graph.taxonomy import FieldMatch, match_field
from ingest.build import LABEL_OF_KIND
from ingest.headers import LIST_KINDS
from ingest.lists import ListRows, Mention
from ingest.readers import Part, RawRow, ReadOptions, Table, read_file
from ingest.rows import REFERENCES, RELATION_ROW, ROW_MODELS

__all__ = ["NodeRecord", "Parsed", "RelationRecord", "Sheet", "Task", "parse", "peak_mb"]

# (id, the node's store row, digest of the whole row, line, ((column, referenced id), …),
#  field id, region text, the whole row's values — organisations only, for resolution)
NodeRecord = tuple[
    str,
    NodeRow,
    bytes,
    int,
    tuple[tuple[str, str], ...],
    str | None,
    str | None,
    dict[str, Any] | None,
]
# (source, type, target, properties as canonical JSON, line)
RelationRecord = tuple[str, str, str, str, int]

_SORTED = orjson.OPT_SORT_KEYS
_EMPTY = "{}"
_REL_TYPES = frozenset(r.value for r in Rel)
_REL_KEYS = ("source", "type", "target")
_LABELS = {kind: label.value for kind, label in LABEL_OF_KIND.items()}


@dataclass(frozen=True, slots=True)
class Task:
    """One input file (``kind`` ``*``: a workbook), or one part of a CSV file."""

    kind: str
    path: str
    part: Part | None = None
    options: ReadOptions = field(default_factory=ReadOptions)


@dataclass(slots=True)
class Sheet:
    """The records of one kind read from one file (or workbook sheet)."""

    kind: str
    file: str
    nodes: list[NodeRecord] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)
    refused_ids: list[str] = field(default_factory=list)  # ids of rows refused here
    mentions: list[Mention] = field(default_factory=list)  # organisations named by list rows
    # field text no rule resolved → [(line, column number)] of its rows
    unresolved: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # field text resolved by alias or containment → [field id, how, confidence, rows]
    matched: dict[str, list[Any]] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        """Sheets cross from workers to the loader by the million records: marshal writes
        tuples of text ~3× and reads them ~1.5× as fast as pickle. Pickle is the fallback for
        a value marshal cannot carry."""
        fields = (
            self.kind,
            self.file,
            self.nodes,
            self.relations,
            self.refused_ids,
            self.mentions,
            self.unresolved,
            self.matched,
        )
        try:
            return (_unmarshal_sheet, (marshal.dumps(fields),))
        except ValueError:  # an object marshal cannot write
            return (Sheet, fields)


def _unmarshal_sheet(data: bytes) -> Sheet:
    return Sheet(*marshal.loads(data))


@dataclass(slots=True)
class Parsed:
    """What one task read: records by sheet, every problem, headers, and the worker's memory."""

    sheets: list[Sheet]
    errors: list[RowError]
    headers: dict[str, list[str]]
    rows: int
    peak_mb: float
    pid: int
    tables: dict[str, Table] = field(default_factory=dict)  # recognised tables by file/sheet


def peak_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would include the parent's
    peak, which a forked child inherits)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _text(values: dict[str, Any]) -> str:
    return orjson.dumps(values, option=_SORTED).decode() if values else _EMPTY


def _node_record(kind: str, values: dict[str, Any], line: int) -> NodeRecord:
    """``values`` is the validated row as JSON values, without empty ones."""
    skip = REFERENCES.get(kind, {})
    refs: list[tuple[str, str]] = []
    for column in skip:
        found = values.get(column)
        for ref in [found] if isinstance(found, str) else dict.fromkeys(found or ()):
            refs.append((column, ref))
    props = _text({k: v for k, v in values.items() if k != "id" and k not in skip and v != []})
    # The row is its id, its properties and its references: equal digests, equal rows.
    digest = hashlib.blake2b(
        "\x1f".join([props, *map("=".join, refs)]).encode(), digest_size=16
    ).digest()
    me, field, region = values["id"], values.get("field"), values.get("region")
    return (
        me,
        (me, _LABELS[kind], props),
        digest,
        line,
        tuple(refs),
        field,
        region,
        # as plain JSON values (enums as text), which marshal carries ~4× as fast as pickle
        orjson.loads(orjson.dumps(values)) if kind == "organizations" else None,
    )


_PATENT = _LABELS["patents"]


def _patent_record(props: dict[str, Any], line: int) -> NodeRecord:
    """``_node_record`` of a patent-export row, built from its properties directly (the hot
    path of a large export): same record, without the copies."""
    me, owners = props.pop("\x00id"), props.pop("\x00owners")
    text = orjson.dumps(props, option=_SORTED).decode()
    refs = tuple(("owner_ids", o) for o in owners)
    digest = hashlib.blake2b(
        "\x1f".join([text, *(f"owner_ids={o}" for o in owners)]).encode(), digest_size=16
    ).digest()
    return (me, (me, _PATENT, text), digest, line, refs, None, None, None)


def _values(row: BaseModel) -> dict[str, Any]:
    """The row's values without the empty ones: ``model_dump(mode="json", exclude_none=True)``
    but for dates and enums, which orjson writes the same way (tests compare the two); half
    the cost, and this runs for every row."""
    out = {k: v for k, v in row.__dict__.items() if v is not None}
    if row.__pydantic_extra__:
        out.update((k, v) for k, v in row.__pydantic_extra__.items() if v is not None)
    return out


def _invalid(
    raw: RawRow, exc: ValidationError, headers: dict[str, list[str]], errors: list[RowError]
) -> None:
    """Every problem of a row; a required column missing from the header is reported once."""
    header = headers.get(raw.file, [])
    for err in exc.errors():
        column = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "missing" and column not in header:
            errors.append(RowError(raw.file, 1, column, f"required column {column!r} is missing"))
            continue
        reason = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            reason = "required value is empty"
        col = raw.columns.get(column) or (header.index(column) + 1 if column in header else 0)
        errors.append(RowError(raw.file, raw.line, column, reason, col))


_EXACT = frozenset({"id", "name", "english"})
_FIELDS: dict[str, FieldMatch | None] = {}  # field text → its match, per process


def _field_of(text: str) -> FieldMatch | None:
    found = _FIELDS.get(text, _FIELDS)
    if found is _FIELDS:
        found = _FIELDS[text] = match_field(text)
    return found  # type: ignore[return-value]


def _resolve_field(values: dict[str, Any], raw: RawRow, sheet: Sheet) -> None:
    """Field text to a field id by the rules (``match_field``); what they cannot resolve is
    kept as ``field_text`` and listed for the loader (an embedder, a warning or an error)."""
    text = values["field"]
    found = _field_of(text)
    if found is None:
        del values["field"]
        values["field_text"] = text
        sheet.unresolved.setdefault(text, []).append((raw.line, raw.columns.get("field", 0)))
        return
    values["field"] = found.field
    if found.how not in _EXACT:
        values["field_text"] = text
        seen = sheet.matched.get(text)
        if seen is None:
            sheet.matched[text] = [found.field, found.how, found.confidence, 1]
        else:
            seen[3] += 1


def _add_mentions(sheet: Sheet, seen: dict[tuple[str, str | None], int], found: list[Mention]) -> None:
    """Keep one mention per organisation and sheet: kinds joined, first values kept."""
    for m in found:
        at = seen.get((m[0], m[2]))
        if at is None:
            seen[(m[0], m[2])] = len(sheet.mentions)
            sheet.mentions.append(m)
            continue
        old = sheet.mentions[at]
        kinds = old[3] if set(m[3]) <= set(old[3]) else sorted({*old[3], *m[3]})
        props = old[5] if not m[5] else {**m[5], **old[5]}
        if kinds is not old[3] or props is not old[5] or (old[4] is None and m[4]):
            sheet.mentions[at] = (old[0], old[1], old[2], kinds, old[4] or m[4], props, old[6],
                                  old[7])


def parse(task: Task) -> Parsed:
    """Read, validate and reduce the rows of ``task`` to records."""
    errors: list[RowError] = []
    headers: dict[str, list[str]] = {}
    sheets: dict[tuple[str, str], Sheet] = {}
    tables: dict[str, Table] = {}
    lists: dict[str, ListRows] = {}
    seen_mentions: dict[str, dict[tuple[str, str | None], int]] = {}
    catalogue = dict(task.options.catalogue)
    rows = 0
    for raw in read_file(
        task.kind, Path(task.path), errors, headers, task.part, options=task.options, tables=tables
    ):
        rows += 1
        listed: ListRows | None = None
        kind = raw.kind
        raw_values = raw.values
        if kind in LIST_KINDS:
            listed = lists.get(raw.file)
            if listed is None:
                table = tables[raw.file]
                listed = lists[raw.file] = ListRows(
                    raw.file, table.map, names=table.names, catalogue=catalogue
                )
            kind, row_values, found = listed.rows(raw.values, raw.line, errors)
            sheet = sheets.get((kind, raw.file))
            if sheet is None:
                sheet = sheets[(kind, raw.file)] = Sheet(kind, raw.file)
            if found:
                _add_mentions(sheet, seen_mentions.setdefault(raw.file, {}), found)
            if row_values is None:
                continue
            raw_values = row_values
        sheet = sheets.get((kind, raw.file))
        if sheet is None:
            sheet = sheets[(kind, raw.file)] = Sheet(kind, raw.file)
        values: dict[str, Any]
        if listed is not None:  # built valid by ``ListRows``: no second check, no copy
            if "\x00id" in raw_values:
                sheet.nodes.append(_patent_record(raw_values, raw.line))
                continue
            values = raw_values
            if values.get("field") is not None:
                raw.columns = {"field": listed.where("field")[1]}
                _resolve_field(values, raw, sheet)
            sheet.nodes.append(_node_record(kind, values, raw.line))
            continue
        try:
            if kind == "relations":
                values = cast(dict[str, Any], RELATION_ROW.validate_python(raw_values))
            else:
                values = _values(ROW_MODELS[kind].model_validate(raw_values))
        except ValidationError as exc:
            _invalid(raw, exc, headers, errors)
            if isinstance(raw_values.get("id"), str):
                sheet.refused_ids.append(raw_values["id"])
            continue
        if kind != "relations":
            if values.get("field") is not None:
                _resolve_field(values, raw, sheet)
            sheet.nodes.append(_node_record(kind, values, raw.line))
            continue
        if values["type"] not in _REL_TYPES:
            errors.append(
                RowError(
                    raw.file,
                    raw.line,
                    "type",
                    f"unknown relationship type {values['type']!r}; expected one of "
                    f"{', '.join(r.value for r in Rel)}",
                    raw.columns.get("type", 0),
                )
            )
            continue
        props = _EMPTY  # most relationship rows have no property
        if len(values) > len(_REL_KEYS):
            props = _text({k: v for k, v in values.items() if k not in _REL_KEYS and v is not None})
        sheet.relations.append(
            (values["source"], values["type"], values["target"], props, raw.line)
        )
    return Parsed(
        list(sheets.values()), errors, headers, rows, peak_mb(), os.getpid(), tables
    )
