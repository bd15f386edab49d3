"""Load interchange-format files into a store as one transaction: all rows or none.

Flow: read (encoding detected) → validate each row → drop exact duplicates, refuse conflicting
ones → resolve organisations → check every reference → build nodes and edges → one upsert.
Every problem is collected and reported at once with file, line and column.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from graph.bulk import gc_paused
from graph.errors import IngestError, NodeNotFound, RowError
from graph.model import EDGE_ENDPOINTS, Edge, Label, Node, Rel, UpsertReport
from graph.store import GraphStore
from graph.taxonomy import taxonomy_nodes
from ingest.build import LABEL_OF_KIND, derived_edges, node_of, region_node
from ingest.readers import RawRow, discover, read_file
from ingest.resolve import OrgRecord, resolve_organizations
from ingest.rows import REFERENCES, ROW_MODELS

__all__ = ["LoadReport", "Progress", "load_paths"]

Progress = Callable[[str, int, int | None], None]  # (stage, done, total)


@dataclass
class LoadReport:
    """What a load read, merged, rejected and wrote."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    rejected: int = 0
    nodes: int = 0
    edges: int = 0
    merged: list[list[str]] = field(default_factory=list)
    likely_duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    written: UpsertReport | None = None
    dry_run: bool = False
    rejects_file: str | None = None
    errors: list[RowError] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["errors"] = [asdict(e) for e in self.errors]
        return out


@dataclass(frozen=True, slots=True)
class _Valid:
    """A validated row and where it came from (its raw cells are not kept: memory)."""

    kind: str
    file: str
    line: int
    columns: dict[str, int]
    row: BaseModel

    @property
    def key(self) -> str:
        return str(getattr(self.row, "id", ""))


def _noop(stage: str, done: int, total: int | None) -> None:
    return None


def load_paths(
    store: GraphStore,
    paths: Sequence[str | Path],
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Validate and write the files at ``paths``; raises ``IngestError`` listing every bad row.

    With ``skip_invalid`` the valid rows are written and the rejected ones are listed in a
    ``*.rejects.csv`` file beside the first input. With ``dry_run`` nothing is written.
    """
    with gc_paused():
        return _load(store, paths, dry_run=dry_run, skip_invalid=skip_invalid, progress=progress)


def _load(
    store: GraphStore,
    paths: Sequence[str | Path],
    *,
    dry_run: bool,
    skip_invalid: bool,
    progress: Progress | None,
) -> LoadReport:
    tick = progress or _noop
    report = LoadReport(dry_run=dry_run)
    errors: list[RowError] = []
    headers: dict[str, list[str]] = {}
    found_files: list[tuple[str, Path]] = []
    for path in map(Path, paths):
        if not path.exists():
            errors.append(RowError(str(path), 0, "", "no such file or folder"))
            continue
        found = discover(path)
        if not found:
            errors.append(
                RowError(str(path), 0, "", "no interchange files here (organizations.csv, …)")
            )
        found_files += found
    report.files = [str(file) for _, file in found_files]

    def raws() -> Iterator[RawRow]:  # read and validate in one pass: raw cells are not kept
        for kind, file in found_files:
            yield from read_file(kind, file, errors, headers)

    valid, report.rows = _validate(raws(), headers, errors, tick)
    valid = _dedupe(valid, errors)
    resolution = resolve_organizations(_org_records(valid, store))
    remap = {k: v for k, v in resolution.canonical.items() if k != v}
    report.merged = resolution.groups
    report.likely_duplicates = resolution.likely_duplicates

    bad_lines = _check_references(valid, remap, store, errors)
    if errors and not skip_invalid:
        raise IngestError(sorted(errors, key=_error_order))
    if errors:
        valid = _drop_rejected(valid, errors, bad_lines, remap, store)
        report.rejected = len({(e.file, e.line) for e in errors})
        report.errors = sorted(errors, key=_error_order)
        report.rejects_file = _write_rejects(Path(paths[0]), report.errors) if not dry_run else None

    nodes, edges = _build(valid, remap, resolution.groups, store, errors)
    if errors and not skip_invalid:
        raise IngestError(sorted(errors, key=_error_order))
    report.nodes, report.edges = len(nodes), len(edges)
    del valid  # the validated rows are nodes and edges now; free them before the write
    if not dry_run:
        tick("write", 0, len(nodes) + len(edges))
        report.written = store.upsert(nodes, edges)
        tick("write", len(nodes) + len(edges), len(nodes) + len(edges))
    return report


def _error_order(e: RowError) -> tuple[str, int, int]:
    return (e.file, e.line, e.col)


def _validate(
    raws: Iterable[RawRow], headers: dict[str, list[str]], errors: list[RowError], tick: Progress
) -> tuple[list[_Valid], int]:
    """The valid rows and the number of rows read."""
    out: list[_Valid] = []
    missing_reported: set[tuple[str, str]] = set()
    n = 0
    for n, raw in enumerate(raws, start=1):
        model = ROW_MODELS[raw.kind]
        try:
            row = model.model_validate(raw.values)
            out.append(_Valid(raw.kind, raw.file, raw.line, raw.columns, row))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else ""
                header = headers.get(raw.file, [])
                if err["type"] == "missing" and column not in header:
                    if (raw.file, column) not in missing_reported:
                        missing_reported.add((raw.file, column))
                        errors.append(
                            RowError(raw.file, 1, column, f"required column {column!r} is missing")
                        )
                    continue
                reason = err["msg"].removeprefix("Value error, ")
                if err["type"] == "missing":
                    reason = "required value is empty"
                col = raw.columns.get(column) or (
                    header.index(column) + 1 if column in header else 0
                )
                errors.append(RowError(raw.file, raw.line, column, reason, col))
        if n % 50_000 == 0:
            tick("read", n, None)
    tick("read", n, n)
    return out, n


def _dedupe(valid: list[_Valid], errors: list[RowError]) -> list[_Valid]:
    """Identical repeats of a row are dropped; an id reused with other values is an error."""
    first: dict[str, _Valid] = {}
    out: list[_Valid] = []
    for v in valid:
        if v.kind == "relations":
            out.append(v)
            continue
        seen = first.get(v.key)
        if seen is None:
            first[v.key] = v
            out.append(v)
        elif seen.kind != v.kind:
            errors.append(
                RowError(
                    v.file,
                    v.line,
                    "id",
                    f"id {v.key!r} is already a {seen.kind[:-1] if seen.kind.endswith('s') else seen.kind} "
                    f"at {seen.file}:{seen.line}; ids are unique across kinds",
                    v.columns.get("id", 0),
                )
            )
        elif seen.row.model_dump() != v.row.model_dump():
            diff = sorted(
                k
                for k in set(seen.row.model_dump()) | set(v.row.model_dump())
                if seen.row.model_dump().get(k) != v.row.model_dump().get(k)
            )
            errors.append(
                RowError(
                    v.file,
                    v.line,
                    "id",
                    f"duplicate id {v.key!r} with different values ({', '.join(diff)}) than "
                    f"{seen.file}:{seen.line}",
                    v.columns.get("id", 0),
                )
            )
    return out


def _org_records(valid: list[_Valid], store: GraphStore) -> Iterable[OrgRecord]:
    loaded = {v.key for v in valid if v.kind == "organizations"}
    for v in valid:
        if v.kind == "organizations":
            row: Any = v.row
            yield OrgRecord(row.id, row.name, row.uscc, tuple(row.aliases))
    if not loaded or not store.counts().get(Label.ORGANIZATION, 0):
        return  # nothing stored to merge with: don't load the store's graph for nothing
    for node in store.find(Label.ORGANIZATION):
        if node.id not in loaded:
            yield OrgRecord(
                node.id, node.title, node.get("uscc"), tuple(node.get("aliases") or ()), stored=True
            )


def _label_in_store(store: GraphStore, node_id: str) -> str | None:
    try:
        return str(store.get(node_id).label)
    except NodeNotFound:
        return None


def _check_references(
    valid: list[_Valid], remap: dict[str, str], store: GraphStore, errors: list[RowError]
) -> set[tuple[str, int]]:
    """Every id a row refers to must exist, in this load or the store, with the right label."""
    labels: dict[str, str] = {v.key: LABEL_OF_KIND[v.kind] for v in valid if v.kind != "relations"}
    stored: dict[str, str | None] = {}

    def label_of(ref: str) -> str | None:
        ref = remap.get(ref, ref)
        if ref in labels:
            return labels[ref]
        if ref not in stored:
            stored[ref] = _label_in_store(store, ref)
        return stored[ref]

    bad: set[tuple[str, int]] = set()

    def problem(v: _Valid, column: str, reason: str) -> None:
        errors.append(RowError(v.file, v.line, column, reason, v.columns.get(column, 0)))
        bad.add((v.file, v.line))

    for v in valid:
        if v.kind == "relations":
            rel_row: Any = v.row
            try:
                rel = Rel(rel_row.type)
            except ValueError:
                problem(
                    v,
                    "type",
                    f"unknown relationship type {rel_row.type!r}; expected one of "
                    f"{', '.join(r.value for r in Rel)}",
                )
                continue
            sources, targets = EDGE_ENDPOINTS[rel]
            for column, ref, allowed in (
                ("source", rel_row.source, sources),
                ("target", rel_row.target, targets),
            ):
                have = label_of(ref)
                if have is None:
                    problem(
                        v, column, f"{ref!r} exists nowhere (not in these files, not in the store)"
                    )
                elif have not in allowed:
                    problem(
                        v,
                        column,
                        f"{ref!r} is a {have}; {rel.value} needs "
                        f"{' or '.join(sorted(allowed))} here",
                    )
            continue
        for column, want in REFERENCES.get(v.kind, {}).items():
            refs = getattr(v.row, column)
            for ref in [refs] if isinstance(refs, str) else (refs or []):
                have = label_of(ref)
                if have is None:
                    problem(
                        v, column, f"{ref!r} exists nowhere (not in these files, not in the store)"
                    )
                elif have != want:
                    problem(v, column, f"{ref!r} is a {have}, not a {want}")
    return bad


def _drop_rejected(
    valid: list[_Valid],
    errors: list[RowError],
    bad: set[tuple[str, int]],
    remap: dict[str, str],
    store: GraphStore,
) -> list[_Valid]:
    """Remove rejected rows, then rows that referred to them, until nothing changes."""
    rejected_lines = {(e.file, e.line) for e in errors} | bad
    keep = [v for v in valid if (v.file, v.line) not in rejected_lines]
    while True:
        more: list[RowError] = []
        _check_references(keep, remap, store, more)
        if not more:
            return keep
        errors.extend(
            RowError(e.file, e.line, e.column, e.reason + " (its row was rejected)", e.col)
            for e in more
        )
        lines = {(e.file, e.line) for e in more}
        keep = [v for v in keep if (v.file, v.line) not in lines]


def _build(
    valid: list[_Valid],
    remap: dict[str, str],
    groups: list[list[str]],
    store: GraphStore,
    errors: list[RowError],
) -> tuple[list[Node], list[Edge]]:
    nodes: dict[str, Node] = {n.id: n for n in taxonomy_nodes()}
    edges: dict[tuple[str, str, str], Edge] = {}
    group_of = {i: g for g in groups for i in g}
    for v in valid:
        if v.kind == "relations":
            continue
        values = v.row.model_dump(mode="json", exclude_none=True)
        node = node_of(v.kind, values, remap)
        if v.key in group_of or node.id in group_of:
            node = _merged(nodes.get(node.id) or _stored(store, node.id), node, v.key)
        nodes[node.id] = node
        for edge in derived_edges(v.kind, values, remap):
            edges.setdefault(edge.key, edge)
        region = values.get("region")
        if region and (rn := region_node(region)) is not None:
            nodes.setdefault(rn.id, rn)
    relation_at: dict[tuple[str, str, str], _Valid] = {}
    for v in valid:
        if v.kind != "relations":
            continue
        r: Any = v.row
        props = {
            k: val
            for k, val in r.model_dump(mode="json", exclude_none=True).items()
            if k not in ("source", "type", "target")
        }
        edge = Edge(remap.get(r.source, r.source), r.type, remap.get(r.target, r.target), props)
        earlier = relation_at.get(edge.key)
        if earlier is not None and dict(edges[edge.key].props) != props:
            errors.append(
                RowError(
                    v.file,
                    v.line,
                    "",
                    f"relationship {' '.join(edge.key)} "
                    f"appears again with other values than {earlier.file}:{earlier.line}",
                )
            )
            continue
        relation_at[edge.key] = v
        base = dict(edges[edge.key].props) if edge.key in edges else {}
        edges[edge.key] = Edge(edge.source, edge.type, edge.target, {**base, **props})
    return list(nodes.values()), list(edges.values())


def _stored(store: GraphStore, node_id: str) -> Node | None:
    try:
        return store.get(node_id)
    except NodeNotFound:
        return None


def _merged(base: Node | None, node: Node, source_id: str) -> Node:
    """One organisation from several rows: the canonical row's values, the others' names as aliases."""
    if base is None:
        props = dict(node.props)
        if source_id != node.id:
            props["merged_ids"] = [source_id]
        return Node(node.id, node.label, props)
    keep, other = (dict(base.props), dict(node.props))
    if source_id == node.id:  # the canonical row itself arrives after a merged one
        keep, other = other, keep
    aliases = [*keep.get("aliases", []), other.get("name"), *other.get("aliases", [])]
    keep["aliases"] = sorted({a for a in aliases if a and a != keep.get("name")})
    keep["kinds"] = sorted(set(keep.get("kinds", [])) | set(other.get("kinds", [])))
    merged = set(keep.get("merged_ids", [])) | set(other.get("merged_ids", []))
    if source_id != node.id:
        merged.add(source_id)
    if merged:
        keep["merged_ids"] = sorted(merged)
    for key, value in other.items():
        keep.setdefault(key, value)
    return Node(node.id, node.label, keep)


def _write_rejects(first_input: Path, errors: list[RowError]) -> str:
    target = first_input.with_name(first_input.name + ".rejects.csv")
    by_row: dict[tuple[str, int], list[RowError]] = defaultdict(list)
    for e in errors:
        by_row[(e.file, e.line)].append(e)
    with target.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "line", "column", "col", "reason"])
        for e in errors:
            out.writerow([e.file, e.line, e.column, e.col, e.reason])
    return str(target)
