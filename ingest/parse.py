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
from ingest.build import LABEL_OF_KIND
from ingest.readers import Part, RawRow, read_file
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


@dataclass(slots=True)
class Sheet:
    """The records of one kind read from one file (or workbook sheet)."""

    kind: str
    file: str
    nodes: list[NodeRecord] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)
    refused_ids: list[str] = field(default_factory=list)  # ids of rows refused here

    def __reduce__(self) -> tuple[Any, ...]:
        """Sheets cross from workers to the loader by the million records: marshal writes
        tuples of text ~3× and reads them ~1.5× as fast as pickle. Pickle is the fallback for
        a value marshal cannot carry."""
        fields = (self.kind, self.file, self.nodes, self.relations, self.refused_ids)
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


def parse(task: Task) -> Parsed:
    """Read, validate and reduce the rows of ``task`` to records."""
    errors: list[RowError] = []
    headers: dict[str, list[str]] = {}
    sheets: dict[tuple[str, str], Sheet] = {}
    rows = 0
    for raw in read_file(task.kind, Path(task.path), errors, headers, task.part):
        rows += 1
        sheet = sheets.get((raw.kind, raw.file))
        if sheet is None:
            sheet = sheets[(raw.kind, raw.file)] = Sheet(raw.kind, raw.file)
        try:
            values: dict[str, Any]
            if raw.kind == "relations":
                values = cast(dict[str, Any], RELATION_ROW.validate_python(raw.values))
            else:
                values = _values(ROW_MODELS[raw.kind].model_validate(raw.values))
        except ValidationError as exc:
            _invalid(raw, exc, headers, errors)
            if isinstance(raw.values.get("id"), str):
                sheet.refused_ids.append(raw.values["id"])
            continue
        if raw.kind != "relations":
            sheet.nodes.append(_node_record(raw.kind, values, raw.line))
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
    return Parsed(list(sheets.values()), errors, headers, rows, peak_mb(), os.getpid())
