"""Load interchange-format files into a store as one transaction: all rows or none.

Flow: the inputs are cut into parts (a large CSV file into several) that are read and validated
side by side in worker processes (``ingest.parse``). The loader takes the parts in order —
organisations first, since nearly everything refers to them — resolves organisations, then
checks each row against everything seen so far (repeated ids, references, relationship
endpoints) and streams the nodes and edges into one store transaction. A row that refers to an
id not seen yet waits for the end. Any problem rolls the whole write back; every problem is
reported at once with file, line and column.
"""

from __future__ import annotations

import contextlib
import csv
import os
import threading
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from itertools import chain
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from graph.bulk import gc_paused
from graph.errors import IngestError, NodeNotFound, RowError
from graph.model import (
    EDGE_ENDPOINTS,
    Label,
    Node,
    UpsertReport,
    canonical_json,
    says_what_it_does,
)
from graph.store import EdgeRow, GraphStore, NodeRow
from graph.taxonomy import FieldEmbed, FieldMatch, field_suggestions, match_field, taxonomy_nodes
from ingest import readers
from ingest.build import LABEL_OF_KIND, node_of, region_node, row_edges
from ingest.encoding import BinaryFile, encoding_of
from ingest.lists import Mention, catalogue_of
from ingest.mentions import (
    Known,
    KnownIndex,
    is_full_name,
    new_org_id,
    resolve_mentions,
    review_entry,
)
from ingest.names import name_key
from ingest.parse import NodeRecord, Parsed, RelationRecord, Sheet, Task, parse
from ingest.readers import KINDS, ReadOptions, Table, discover, header_lines, plan_parts, read_file
from ingest.resolve import OrgRecord, resolve_organizations
from ingest.rows import REFERENCES, ROW_MODELS, row_json

__all__ = ["PARALLEL_BYTES", "LoadReport", "Progress", "load_paths"]

_ORGANIZATION = str(Label.ORGANIZATION)
# relationship type → (labels its source may have, labels its target may have), as text
_ENDPOINTS = {
    str(rel): (frozenset(map(str, sources)), frozenset(map(str, targets)))
    for rel, (sources, targets) in EDGE_ENDPOINTS.items()
}

Progress = Callable[[str, int, int | None], None]  # (stage, done, total)
PARALLEL_BYTES = 16 << 20  # inputs at least this large are read by worker processes
# Parts read ahead of the loader, per worker: enough to keep the workers busy while the loader
# resolves organisations (a few seconds at 100k) without holding much of the input in memory.
_AHEAD = 6
_WORKER_NICE = 3
Batch = tuple[list[NodeRow], list[EdgeRow]]
UNDESCRIBED_EXAMPLES = 10  # product names the report lists among those without a description


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
    workers: int = 1  # processes that read and validated the input
    worker_peak_mb: float = 0.0  # their peak resident memory, summed (0 when read in-process)
    # what each file or sheet was read as: kind, header line, title, column → what it became
    tables: list[dict[str, Any]] = field(default_factory=list)
    # organisations named by list rows: how they resolved; those left for a person to check
    organizations: dict[str, int] = field(default_factory=dict)  # known / new / review
    resolved: list[dict[str, Any]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)
    # field texts resolved by alias, containment or embedding; texts kept as text (warnings)
    field_matches: list[dict[str, Any]] = field(default_factory=list)
    field_warnings: list[dict[str, Any]] = field(default_factory=list)
    # products whose rows only name them (a name and a model number, no description:
    # graph.model.says_what_it_does): demands told by function hardly find their makers
    undescribed_products: int = 0
    undescribed_examples: list[str] = field(default_factory=list)  # the first names, to complete

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["errors"] = [asdict(e) for e in self.errors]
        return out


def _noop(stage: str, done: int, total: int | None) -> None:
    return None


def load_paths(
    store: GraphStore,
    paths: Sequence[str | Path],
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    options: ReadOptions | None = None,
    strict_fields: bool = False,
    field_embed: FieldEmbed | None = None,
) -> LoadReport:
    """Validate and write the files at ``paths``; raises ``IngestError`` listing every bad row.

    With ``skip_invalid`` the valid rows are written and the rejected ones are listed in a
    ``*.rejects.csv`` file beside the first input. With ``dry_run`` nothing is written.
    ``workers`` processes read the input (default: one per core for inputs of
    ``PARALLEL_BYTES`` or more, else none besides this one). ``options``: header overrides
    and the like (``--map``). Field text no rule resolves is resolved by ``field_embed``
    (texts → unit vectors) when given, else kept as ``field_text`` with a warning; with
    ``strict_fields`` such rows are errors.
    """
    load = _Load(store, skip_invalid, progress or _noop)
    load.options = options or ReadOptions()
    load.strict_fields = strict_fields
    load.field_embed = field_embed
    with gc_paused():
        return load.run(paths, dry_run, workers)


# ---- reading in parts ---------------------------------------------------------------------


def _in_order(found: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """Files in the order the loader wants them: organisations, workbooks, then by kind."""
    order = {kind: i for i, kind in enumerate(("organizations", "*", "?", *KINDS))}
    return sorted(found, key=lambda f: order.get(f[0], len(order)))


def _tasks(files: Iterable[tuple[str, Path]], options: ReadOptions) -> Iterator[Task]:
    """A task per file, or per part of a large CSV file; planned as the workers need them."""
    for kind, path in files:
        if not _in_parts(path):
            yield Task(kind, str(path), options=options)
            continue
        try:  # the parts need the file's encoding; a file that has none is read whole
            data = path.read_bytes()
            encoding = encoding_of(data)
            header = 1
            if kind not in KINDS or options.kind or options.overrides:  # "*" or "?"
                header = header_lines(data, encoding, kind, options)
            parts = plan_parts(data, encoding, readers.PART_BYTES, header)
        except (BinaryFile, OSError):
            yield Task(kind, str(path), options=options)
            continue
        for part in parts:
            yield Task(kind, str(path), part, options)


def _yield_cpu() -> None:
    """Run a worker at a lower priority. The loader is the critical path: with two workers on
    two cores, the scheduler then gives it a core of its own and the workers the rest, instead
    of three equal shares (scale 333: ~4 s faster on average over four runs each)."""
    with contextlib.suppress(OSError):
        os.nice(_WORKER_NICE)


def _parsed(tasks: Iterable[Task], workers: int) -> Generator[tuple[Task, Parsed], None, None]:
    """Results in task order; with workers, a few tasks ahead are read in parallel."""
    if workers <= 1:
        for task in tasks:
            yield task, parse(task)
        return
    # fork is quick and needs no importable __main__, but is only safe while this process runs
    # one thread; a threaded caller (a web server) gets fresh interpreters instead.
    method = "fork" if threading.active_count() == 1 else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=get_context(method), initializer=_yield_cpu)
    try:
        ahead: deque[tuple[Task, Future[Parsed]]] = deque()
        todo = iter(tasks)
        for task in todo:
            ahead.append((task, pool.submit(parse, task)))
            if len(ahead) >= _AHEAD * workers:
                break
        while ahead:
            task, future = ahead.popleft()
            done = future.result()
            if (nxt := next(todo, None)) is not None:
                ahead.append((nxt, pool.submit(parse, nxt)))
            yield task, done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ---- the load -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Waiting:
    """A row whose references were not all known when it was read."""

    kind: str
    file: str
    node: NodeRecord | None
    relation: RelationRecord | None

    def refs(self) -> list[str]:
        if self.node is not None:
            return [r for _, r in self.node[4]]
        assert self.relation is not None
        return [self.relation[0], self.relation[2]]


class _Load:
    def __init__(self, store: GraphStore, skip_invalid: bool, tick: Progress) -> None:
        self.store = store
        self.skip_invalid = skip_invalid
        self.tick = tick
        self.report = LoadReport()
        self.errors: list[RowError] = []
        self._error_keys: set[tuple[str, int, str, str]] = set()
        self.bad_rows: set[tuple[str, int]] = set()
        # row id → (kind, digest, file, line) of its first row: repeats and references
        self.first: dict[str, tuple[str, bytes, str, int]] = {}
        # id → label of every id a row may refer to now: rows this load writes (not those
        # waiting or refused), taxonomy, regions and stored nodes. One lookup per reference:
        # at a million ids, each lookup in a dict this size is a cache miss (~1 µs here).
        self.labels: dict[str, str] = {}
        self.refused: set[str] = set()  # ids of rows that were refused
        self.waiting: list[_Waiting] = []
        self._headers: dict[str, list[str]] = {}
        self.remap: dict[str, str] = {}
        self.regions: set[str] = set()
        # relationship key hash → (second hash, props, file, line): repeats with other values
        self.relations: dict[int, tuple[int, str, str, int]] = {}
        self.conflicts: list[tuple[RowError, str, int]] = []  # (error, earlier file, line)
        self.sources: dict[str, tuple[str, str]] = {}  # sheet file → (task kind, path)
        self.peaks: dict[int, float] = {}
        self.store_has_nodes = True
        self.options = ReadOptions()
        self.strict_fields = False
        self.field_embed: FieldEmbed | None = None
        self.embed_failure = ""  # why the embedding step was given up, if it was
        self.tables: dict[str, Table] = {}
        self.mentions: list[tuple[str, Mention]] = []
        self._embedded: dict[str, FieldMatch | None] = {}
        self.field_rows: dict[str, list[tuple[str, int]]] = {}  # unresolved text → rows
        self.field_matched: dict[str, list[Any]] = {}  # text → [id, how, confidence, rows]
        self.streaming = False  # large lists stream after the organisations (see run)
        self._known: list[Known] = []  # organisations mentions may resolve to
        self._known_index: KnownIndex | None = None
        self._decided: set[str] = set()  # provisional ids already resolved
        self._org_nodes: dict[str, Node] = {}  # organisations this load writes, as nodes

    # ---- bookkeeping --------------------------------------------------------------------

    def error(self, e: RowError) -> None:
        key = (e.file, e.line, e.column, e.reason)
        if key not in self._error_keys:
            self._error_keys.add(key)
            self.errors.append(e)
            self.bad_rows.add((e.file, e.line))

    @property
    def failing(self) -> bool:
        """Nothing more is worth writing: the load will be rolled back."""
        return bool(self.errors) and not self.skip_invalid

    def label_of(self, ref: str) -> str | None:
        """The label of an id known so far (this load's rows written, taxonomy, store)."""
        return self.labels.get(ref)

    def lookup_stored(self, ids: Iterable[str]) -> None:
        """Remember the labels of ids that only the store knows."""
        ask = sorted({i for i in ids if i not in self.labels and i not in self.first})
        if not ask or not self.store_has_nodes:
            return
        self.labels.update(self.store.labels_of(ask))

    def first_seen(self, kind: str, file: str, key: str, digest: bytes, line: int) -> bool:
        """True for the first row with this id; a repeat is dropped, a conflicting one refused."""
        entry = (kind, digest, file, line)
        seen = self.first.setdefault(key, entry)  # one lookup, not a get and a set
        if seen is entry:
            return True
        col = 0
        if seen[0] != kind:
            name = seen[0][:-1] if seen[0].endswith("s") else seen[0]
            self.error(
                RowError(
                    file,
                    line,
                    "id",
                    f"id {key!r} is already a {name} at {seen[2]}:{seen[3]}; "
                    "ids are unique across kinds",
                    col,
                )
            )
        elif seen[1] != digest:
            e = RowError(file, line, "id", f"duplicate id {key!r}", col)
            self.error(e)
            self.conflicts.append((e, seen[2], seen[3]))  # described at the end
        return False

    # ---- stages -------------------------------------------------------------------------

    def run(self, paths: Sequence[str | Path], dry_run: bool, workers: int | None) -> LoadReport:
        report = self.report
        report.dry_run = dry_run
        found: list[tuple[str, Path]] = []
        for path in map(Path, paths):
            if not path.exists():
                self.error(RowError(str(path), 0, "", "no such file or folder"))
                continue
            here = discover(path)
            if not here:
                self.error(
                    RowError(
                        str(path),
                        0,
                        "",
                        "这里没有可读的数据文件 / no data files here (CSV, JSONL or XLSX: "
                        "organizations.csv …, product lists, directories, patent exports)",
                    )
                )
            found += here
        report.files = [str(file) for _, file in found]
        files = _in_order(found)
        opts = self.options
        # Files that may name organisations are read first, all of them before any other row
        # is checked — except lists large enough to be read in parts: their organisations are
        # resolved part by part as they stream (``_stream_mentions``), against all others.
        streamed = [f for f in files if f[0] in ("*", "?") and _in_parts(f[1])]
        self.streaming = bool(streamed)
        early = [f for f in files if f[0] in ("organizations", "*", "?") and f not in streamed]
        org_tasks = list(_tasks(early, opts))
        tasks = chain(org_tasks, _tasks((f for f in files if f not in early), opts))
        if workers is None:
            size = sum(p.stat().st_size for _, p in found if p.is_file())
            workers = len(os.sched_getaffinity(0)) if size >= PARALLEL_BYTES else 1
        report.workers = max(workers, 1)
        self.store_has_nodes = bool(self.store.counts())
        for node in taxonomy_nodes():
            self.labels[node.id] = str(node.label)

        results = _parsed(tasks, report.workers)
        try:
            org_batch, rest = self._organizations(results, len(org_tasks))
            batches = self._batches(org_batch, rest, results)
            if dry_run:
                for _ in batches:
                    pass
            else:
                self.tick("write", 0, None)
                report.written = self.store.upsert_rows(batches)
        finally:
            results.close()
        self.tick("read", report.rows, report.rows)
        self.tick("write", report.nodes + report.edges, report.nodes + report.edges)
        report.worker_peak_mb = sum(self.peaks.values()) if report.workers > 1 else 0.0
        self._report_tables_and_fields()
        if self.errors:
            report.rejected = len(self.bad_rows)
            report.errors = sorted(self.errors, key=_error_order)
            if not dry_run:
                report.rejects_file = _write_rejects(Path(paths[0]), report.errors)
        return report

    def _take(self, task: Task, parsed: Parsed) -> None:
        self.report.rows += parsed.rows
        self._headers.update(parsed.headers)
        for e in parsed.errors:
            self.error(e)
        for sheet in parsed.sheets:
            self.refused.update(sheet.refused_ids)
            self.sources[sheet.file] = (task.kind, task.path)
        for file, table in parsed.tables.items():
            self.tables.setdefault(file, table)
        self.peaks[parsed.pid] = max(self.peaks.get(parsed.pid, 0.0), parsed.peak_mb)
        self.tick("read", self.report.rows, None)

    def _organizations(
        self, results: Iterator[tuple[Task, Parsed]], org_tasks: int
    ) -> tuple[Batch, list[Sheet]]:
        """Read every part that may hold organisations (the first ``org_tasks``), resolve them
        and build their nodes; other sheets read on the way are returned, to stream first."""
        rest: list[Sheet] = []
        orgs: list[NodeRecord] = []
        for _, (task, parsed) in zip(range(org_tasks), results, strict=False):
            self._take(task, parsed)
            for sheet in parsed.sheets:
                self.mentions += ((sheet.file, m) for m in sheet.mentions)
                if sheet.kind != "organizations":
                    rest.append(sheet)
                    continue
                for rec in sheet.nodes:
                    if self.first_seen("organizations", sheet.file, rec[0], rec[2], rec[3]):
                        orgs.append(rec)
                        self.labels[rec[0]] = _ORGANIZATION
        records = [
            OrgRecord(v["id"], v["name"], v.get("uscc"), tuple(v.get("aliases", ())))
            for rec in orgs
            if (v := rec[7]) is not None
        ]
        stored = list(self._stored_orgs(records, force=bool(self.mentions) or self.streaming))
        resolution = resolve_organizations([*records, *stored])
        self.remap = {k: v for k, v in resolution.canonical.items() if k != v}
        self.report.merged = resolution.groups
        self.report.likely_duplicates = resolution.likely_duplicates
        grouped = {i for g in resolution.groups for i in g}
        mentioned = self._resolve_mentions(records, stored)
        # An organisation that was not merged is written as its worker built it; merged ones
        # are built again from their rows (and the stored node they may merge with).
        rows: list[NodeRow] = [_node_row(n) for n in taxonomy_nodes()]
        nodes: dict[str, Node] = {}  # merged organisations and new regions
        edges: list[EdgeRow] = []
        for rec in orgs:
            me = self.remap.get(rec[0], rec[0])
            if rec[0] in grouped or me in grouped or me in mentioned:
                assert rec[7] is not None
                node = node_of("organizations", rec[7], self.remap)
                nodes[me] = _merged(nodes.get(me) or _stored(self.store, me), node, rec[0])
            else:
                rows.append(rec[1])
            edges += row_edges("organizations", me, (), rec[5], rec[6])
            self._region(rec[6], nodes)
        edges += self._mentioned_nodes(mentioned, nodes)
        if self.streaming:  # what streamed mentions resolve against, and build on
            self._known += [Known(n.id, n.title, n.get("uscc"), tuple(n.get("aliases") or ()))
                            for n in nodes.values() if n.label == Label.ORGANIZATION]
            self._org_nodes = {n.id: n for n in nodes.values() if n.label == Label.ORGANIZATION}
            self._org_nodes.update(
                (row[0], Node(row[0], Label.ORGANIZATION, orjson.loads(row[2])))
                for row in rows if row[1] == _ORGANIZATION
            )
        rows += map(_node_row, nodes.values())
        self.labels.update((row[0], row[1]) for row in rows)
        return (rows, edges), rest

    def _resolve_mentions(
        self, records: list[OrgRecord], stored: list[OrgRecord]
    ) -> dict[str, list[tuple[str, Mention]]]:
        """Resolve the organisations list rows name (``ingest.mentions``); their provisional ids
        join ``remap``. The mentions by the organisation id they resolved to."""
        known = [
            Known(self.remap.get(r.id, r.id), r.name, r.uscc, r.aliases) for r in records
        ] + [Known(r.id, r.name, r.uscc, r.aliases) for r in stored]
        if self.streaming:
            self._known = known
        if not self.mentions:
            return {}
        res = resolve_mentions(self.mentions, known)
        self._decided.update(res.target)
        self.remap.update((k, v) for k, v in res.target.items() if k != v)
        for target in (*res.known, *res.new):
            self.labels[target] = _ORGANIZATION
        report = self.report
        report.organizations = {"known": len(res.known), "new": len(res.new),
                                "review": len(res.review)}
        report.resolved = sorted(res.resolved, key=lambda r: (r["how"], r["name"]))[:500]
        report.review = res.review
        return {**res.new, **res.known}

    def _stream_mentions(self, sheet: Sheet) -> Batch:
        """Resolve the organisations a streamed list part names (those not decided before),
        each against the organisations known when the stream began; the new and changed
        organisation nodes, to write before the part's rows."""
        groups: dict[str, list[tuple[str, Mention]]] = {}
        for m in sheet.mentions:
            if m[0] not in self._decided:
                groups.setdefault(m[0], []).append((sheet.file, m))
        if not groups:
            return [], []
        if self._known_index is None:
            self._known_index = KnownIndex(self._known)
        index = self._known_index
        report = self.report
        counts = report.organizations
        nodes: dict[str, Node] = {}
        edges: list[EdgeRow] = []
        for prov in sorted(groups):
            group = groups[prov]
            target, how, score, candidates = index.resolve(group)
            self._decided.add(prov)
            if target is None:
                target = new_org_id(group)
                counts["new"] = counts.get("new", 0) + 1
                if candidates:
                    report.review.append(review_entry(group, candidates, how))
                    counts["review"] = counts.get("review", 0) + 1
            else:
                counts["known"] = counts.get("known", 0) + 1
                if len(report.resolved) < 500:
                    report.resolved.append({"name": group[0][1][1], "id": target, "how": how,
                                            "score": score, "rows": len(group)})
            if prov != target:
                self.remap[prov] = target
            base = self._org_nodes.get(target)
            if base is None and self.store_has_nodes:
                base = _stored(self.store, target)
            node = _from_mentions(target, base, group)
            self.labels[target] = _ORGANIZATION
            if base is not None and node.props == base.props:
                continue
            self._org_nodes[target] = nodes[target] = node
            region = node.get("region")
            edges += row_edges("organizations", target, (), None, region)
            self._region(region, nodes)
        return list(map(_node_row, nodes.values())), edges

    def _mentioned_nodes(
        self, mentioned: dict[str, list[tuple[str, Mention]]], nodes: dict[str, Node]
    ) -> list[EdgeRow]:
        """Nodes of organisations named by list rows: new ones, and known ones that learn an
        alias, a kind or a value they lacked (unchanged ones are not written again)."""
        edges: list[EdgeRow] = []
        for org_id in sorted(mentioned):
            base = nodes.get(org_id)
            stored = False
            if base is None and self.store_has_nodes:
                base = _stored(self.store, org_id)
                stored = base is not None
            node = _from_mentions(org_id, base, mentioned[org_id])
            if stored and base is not None and node.props == base.props:
                continue
            nodes[org_id] = node
            region = node.get("region")
            edges += row_edges("organizations", org_id, (), None, region)
            self._region(region, nodes)
        return edges

    def _stored_orgs(self, loaded: list[OrgRecord], *, force: bool = False) -> Iterator[OrgRecord]:
        if (not loaded and not force) or not self.store.counts().get(Label.ORGANIZATION, 0):
            return  # nothing stored to merge with: don't load the store's graph for nothing
        ids = {r.id for r in loaded}
        for node in self.store.find(Label.ORGANIZATION):
            if node.id not in ids:
                yield OrgRecord(
                    node.id,
                    node.title,
                    node.get("uscc"),
                    tuple(node.get("aliases") or ()),
                    stored=True,
                )

    def _region(self, text: str | None, nodes: dict[str, Node]) -> None:
        """A Region node for free text that names no known region, once per load."""
        if text and text not in self.regions:
            self.regions.add(text)
            if (rn := region_node(text)) is not None and rn.id not in self.labels:
                nodes.setdefault(rn.id, rn)
                self.labels[rn.id] = str(rn.label)

    def _batches(
        self, first: Batch, rest: list[Sheet], results: Iterator[tuple[Task, Parsed]]
    ) -> Iterator[Batch]:
        """Every batch to write; raises ``IngestError`` at the end if any row was bad (which
        rolls the store's transaction back)."""
        yield self._counted(first)
        for sheet in rest:
            yield self._counted(self._sheet(sheet))
        for task, parsed in results:
            self._take(task, parsed)
            for sheet in parsed.sheets:
                yield self._counted(self._sheet(sheet))
        yield self._counted(self._finish())
        if self.conflicts:
            self._describe_conflicts()
        if self.failing:
            raise IngestError(sorted(self.errors, key=_error_order))

    def _counted(self, batch: Batch) -> Batch:
        if self.failing:  # the write will be rolled back: stop feeding it, keep checking
            return [], []
        self.report.nodes += len(batch[0])
        self.report.edges += len(batch[1])
        for node_id, label, props in batch[0]:
            if label == Label.EQUIPMENT:
                node = Node(node_id, label, orjson.loads(props))
                if not says_what_it_does(node):
                    self.report.undescribed_products += 1
                    if len(self.report.undescribed_examples) < UNDESCRIBED_EXAMPLES:
                        self.report.undescribed_examples.append(node.title)
        self.tick("write", self.report.nodes + self.report.edges, None)
        return batch

    def _sheet(self, sheet: Sheet) -> Batch:
        """Check one sheet's rows against everything seen so far; the batch of those that pass."""
        file = sheet.file
        nodes: list[NodeRow] = []
        edges: list[EdgeRow] = []
        if sheet.mentions and self.streaming:  # its organisations first: rows refer to them
            nodes, edges = self._stream_mentions(sheet)
        remap = self.remap
        if self.store_has_nodes:  # ids this load does not have may be stored already
            self.lookup_stored(remap.get(r, r) for rec in sheet.nodes for _, r in rec[4])
            self.lookup_stored(x for rel in sheet.relations for x in (rel[0], rel[2]))
        kind = sheet.kind
        label = str(LABEL_OF_KIND.get(kind, ""))
        wanted = REFERENCES.get(kind, {})
        labels = self.labels
        regions: dict[str, Node] = {}
        fixes, refused = (
            self._sheet_fields(sheet) if sheet.unresolved or sheet.matched else ({}, set())
        )
        for rec in sheet.nodes:
            if fixes or refused:
                if rec[3] in refused:
                    self.refused.add(rec[0])
                    continue
                if rec[3] in fixes:
                    rec = _with_field(rec, fixes[rec[3]])
            if not self.first_seen(kind, file, rec[0], rec[2], rec[3]):
                continue
            refs = [(c, remap.get(r, r)) for c, r in rec[4]] if remap else rec[4]
            for column, ref in refs:
                if labels.get(ref) != wanted[column]:  # unknown, or of another label
                    if self._check_refs(file, rec[3], refs, wanted) == "wait":
                        self.waiting.append(_Waiting(kind, file, rec, None))
                    break
            else:
                labels[rec[0]] = label
                nodes.append(rec[1])
                edges += row_edges(kind, rec[0], [r for _, r in refs], rec[5], rec[6])
                if rec[6]:
                    self._region(rec[6], regions)
        nodes += map(_node_row, regions.values())
        for rel in sheet.relations:
            if (edge := self._relation(file, rel, final=False)) is not None:
                edges.append(edge)
        return nodes, edges

    def _sheet_fields(self, sheet: Sheet) -> tuple[dict[int, str], set[int]]:
        """Field texts of a sheet that no rule resolved: (line → field id found by the
        embedder, lines refused under ``strict_fields``); the rest are warned about."""
        fixes: dict[int, str] = {}
        refused: set[int] = set()
        for text, (fid, how, confidence, count) in sheet.matched.items():
            seen = self.field_matched.setdefault(text, [fid, how, confidence, 0])
            seen[3] += count
        for text, rows in sheet.unresolved.items():
            if text not in self._embedded:
                self._embedded[text] = self._nearest_field(text)
            found = self._embedded[text]
            if found is not None:
                fixes.update((line, found.field) for line, _ in rows)
                seen = self.field_matched.setdefault(
                    text, [found.field, found.how, found.confidence, 0]
                )
                seen[3] += len(rows)
                continue
            self.field_rows.setdefault(text, []).extend((sheet.file, line) for line, _ in rows)
            if self.strict_fields:
                header = self._field_header(sheet.file)
                close = "、".join(name for _, name, _ in field_suggestions(text))
                for line, col in rows:
                    self.error(
                        RowError(
                            sheet.file,
                            line,
                            header,
                            f"领域无法识别 / field {text!r} does not resolve to a field of the "
                            f"taxonomy (--strict-fields); close: {close}",
                            col,
                        )
                    )
                    refused.add(line)
        return fixes, refused

    def _nearest_field(self, text: str) -> FieldMatch | None:
        """The embedding step for one text; an embedder that fails leaves the text as text
        (the load goes on; the warning says why)."""
        if self.field_embed is None:
            return None
        try:
            return match_field(text, embed=self.field_embed)
        except Exception as exc:  # a model that cannot load must not refuse the data
            self.field_embed = None
            self.embed_failure = f"{type(exc).__name__}: {exc}"
            return None

    def _field_header(self, file: str) -> str:
        table = self.tables.get(file)
        return (table.map.column_of("field")[0] if table else "") or "field"

    def _report_tables_and_fields(self) -> None:
        report = self.report
        for file, table in self.tables.items():
            entry: dict[str, Any] = {"file": file, **table.map.to_json()}
            if table.map.kind == "unknown":
                entry["skipped"] = "表头无法识别，已跳过 / header not recognised: skipped"
            if table.map.kind == "product_list":
                cat = catalogue_of(table.map.title, *table.names,
                                   overrides=dict(self.options.catalogue))
                entry["catalogue"] = {"code": cat.code, "name": cat.name, "year": cat.year,
                                      "batch": cat.batch}
            report.tables.append(entry)
        report.field_matches = [
            {"value": text, "field": fid, "how": how, "confidence": conf, "rows": n}
            for text, (fid, how, conf, n) in sorted(self.field_matched.items())
        ]
        warnings = []
        for text, rows in self.field_rows.items():
            files = Counter(f for f, _ in rows)
            warnings.append({
                **({"embedder": self.embed_failure} if self.embed_failure else {}),
                "value": text,
                "rows": len(rows),
                "files": dict(files),
                "lines": [f"{f}:{line}" for f, line in sorted(rows)[:10]],
                "suggestions": [
                    {"field": fid, "name": name, "score": score}
                    for fid, name, score in field_suggestions(text)
                ],
            })
        report.field_warnings = sorted(warnings, key=lambda w: (-w["rows"], w["value"]))

    def _check_refs(
        self,
        file: str,
        line: int,
        refs: Iterable[tuple[str, str]],
        wanted: dict[str, str],
        *,
        final: bool = False,
    ) -> str:
        """ "ok"; "wait" when an id is not known yet (``final``: it never will be); "bad" when
        errors were reported."""
        state = "ok"
        for column, ref in refs:
            have = self.label_of(ref)
            if have is None:
                if not final:
                    return "wait"
                self._missing(file, line, column, ref)
                state = "bad"
            elif have != wanted[column]:
                self._problem(file, line, column, f"{ref!r} is a {have}, not a {wanted[column]}")
                state = "bad"
        return state

    def _problem(self, file: str, line: int, column: str, reason: str) -> None:
        header = self._headers.get(file, [])
        col = header.index(column) + 1 if column in header else 0
        self.error(RowError(file, line, column, reason, col))

    def _missing(self, file: str, line: int, column: str, ref: str) -> None:
        if ref in self.refused or ref in self.first:
            why = f"{ref!r} exists nowhere valid (its row was rejected)"
        else:
            why = f"{ref!r} exists nowhere (not in these files, not in the store)"
        self._problem(file, line, column, why)

    def _relation(self, file: str, rel: RelationRecord, *, final: bool) -> EdgeRow | None:
        """The edge of a relationship row, None when it waits or is refused."""
        source, typ, target, props, line = rel
        if self.remap:
            source, target = self.remap.get(source, source), self.remap.get(target, target)
        sources, targets = _ENDPOINTS[typ]
        labels = self.labels
        if labels.get(source) in sources and labels.get(target) in targets:
            return self._once(source, typ, target, props, file, line)
        ok = True
        for column, ref, allowed in (("source", source, sources), ("target", target, targets)):
            have = self.label_of(ref)
            if have is None:
                if not final:
                    self.waiting.append(_Waiting("relations", file, None, rel))
                    return None
                self._missing(file, line, column, ref)
                ok = False
            elif have not in allowed:
                self._problem(
                    file,
                    line,
                    column,
                    f"{ref!r} is a {have}; {typ} needs {' or '.join(sorted(allowed))} here",
                )
                ok = False
        if not ok:
            return None
        return self._once(source, typ, target, props, file, line)

    def _once(
        self, source: str, typ: str, target: str, props: str, file: str, line: int
    ) -> EdgeRow | None:
        """The edge, unless its key came before with other values (an error). Repeats are found
        by two independent hashes of the key (no collision in practice), which keeps millions
        of relationships out of memory."""
        entry = (hash((target, typ, source)), props, file, line)
        earlier = self.relations.setdefault(hash((source, typ, target)), entry)
        if earlier is not entry and earlier[0] == entry[0] and earlier[1] != props:
            self.error(
                RowError(
                    file,
                    line,
                    "",
                    f"relationship {source} {typ} {target} appears again with other values "
                    f"than {earlier[2]}:{earlier[3]}",
                )
            )
            return None
        return (source, typ, target, props)

    def _finish(self) -> Batch:
        """Rows that waited for an id: written when their references now resolve, else refused
        (and so, in turn, waiting rows that refer to them)."""
        rows, self.waiting = self.waiting, []
        if not rows:
            return [], []
        self.lookup_stored(self.remap.get(r, r) for w in rows for r in w.refs())
        pending = {w.node[0]: w for w in rows if w.node is not None}

        def resolves(ref: str, want: str) -> bool:
            if ref in pending:
                return LABEL_OF_KIND[pending[ref].kind] == want
            return self.label_of(ref) == want

        refused: list[_Waiting] = []
        changed = True
        while changed:
            changed = False
            for node_id, w in list(pending.items()):
                assert w.node is not None
                wanted = REFERENCES.get(w.kind, {})
                if not all(resolves(self.remap.get(r, r), wanted[c]) for c, r in w.node[4]):
                    del pending[node_id]
                    refused.append(w)
                    changed = True
        for node_id, w in pending.items():  # every pending row is written below
            self.labels[node_id] = str(LABEL_OF_KIND[w.kind])
        for w in refused:
            assert w.node is not None
            refs = [(c, self.remap.get(r, r)) for c, r in w.node[4]]
            self._check_refs(w.file, w.node[3], refs, REFERENCES.get(w.kind, {}), final=True)
        nodes: list[NodeRow] = []
        edges: list[EdgeRow] = []
        regions: dict[str, Node] = {}
        for w in pending.values():
            rec = w.node
            assert rec is not None
            nodes.append(rec[1])
            targets = [self.remap.get(r, r) for _, r in rec[4]]
            edges += row_edges(w.kind, rec[0], targets, rec[5], rec[6])
            self._region(rec[6], regions)
        nodes += map(_node_row, regions.values())
        for w in rows:
            if w.relation is not None and (edge := self._relation(w.file, w.relation, final=True)):
                edges.append(edge)
        return nodes, edges

    def _describe_conflicts(self) -> None:
        """Name the columns in which each conflicting repeat differs from the first row."""
        wanted = {(f, line) for _, f, line in self.conflicts}
        wanted |= {(e.file, e.line) for e, _, _ in self.conflicts}
        rows = _reread(wanted, self.sources)
        described = {}
        for e, file, line in self.conflicts:
            a, b = rows.get((file, line), {}), rows.get((e.file, e.line), {})
            diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            columns = f" ({', '.join(diff)})" if diff else ""
            why = f"{e.reason} with different values{columns} than {file}:{line}"
            described[id(e)] = replace(e, reason=why)
        self.errors = [described.get(id(e), e) for e in self.errors]


def _reread(
    wanted: set[tuple[str, int]], sources: dict[str, tuple[str, str]]
) -> dict[tuple[str, int], dict[str, Any]]:
    """The validated values of a few rows, read again from their files (error messages only)."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    files = {sources[f] for f, _ in wanted if f in sources}
    for kind, path in sorted(files):
        for raw in read_file(kind, Path(path), [], {}):
            if raw.kind not in ROW_MODELS and raw.kind != "relations":
                continue  # a list row: its message names the line without the columns
            if (raw.file, raw.line) in wanted:
                out[(raw.file, raw.line)] = row_json(raw.kind, raw.values)
    return out


def _in_parts(path: Path) -> bool:
    """True for a CSV file large enough to be read in parts (see ``_tasks``)."""
    return path.suffix.lower() == ".csv" and path.is_file() and (
        path.stat().st_size >= 2 * readers.PART_BYTES
    )


def _with_field(rec: NodeRecord, field_id: str) -> NodeRecord:
    """The record with the field the embedder found for its text."""
    props = orjson.loads(rec[1][2])
    props["field"] = field_id
    text = orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode()
    return (rec[0], (rec[1][0], rec[1][1], text), rec[2], rec[3], rec[4], field_id, rec[6],
            rec[7])


def _from_mentions(org_id: str, base: Node | None, mentions: list[tuple[str, Mention]]) -> Node:
    """An organisation from the list rows that name it, on top of what is known of it: their
    names become aliases, their kinds join its kinds, values it lacks are taken (first row
    first). ``other`` (a patent applicant's kind) is dropped when a real kind is known."""
    props: dict[str, Any] = dict(base.props) if base is not None else {}
    rows = sorted(mentions, key=lambda fm: (fm[0], fm[1][6], fm[1][1]))
    names = [m[1] for _, m in rows]
    if not props.get("name"):
        full = [n for n in names if is_full_name(n)] or names
        props["name"] = max(full, key=lambda n: (len(n), n))
    keys = {name_key(str(props["name"]))} | {name_key(a) for a in props.get("aliases", [])}
    aliases = list(props.get("aliases", []))
    for alias in [*names, *(a for _, m in rows for a in m[5].get("aliases", []))]:
        if (key := name_key(alias)) not in keys:
            keys.add(key)
            aliases.append(alias)
    if aliases:
        props["aliases"] = sorted(aliases)
    kinds = set(props.get("kinds", [])) | {k for _, m in rows for k in m[3]}
    if len(kinds) > 1:
        kinds.discard("other")
    props["kinds"] = sorted(kinds)
    for _, m in rows:
        if m[2]:
            props.setdefault("uscc", m[2])
        if m[4]:
            props.setdefault("region", m[4])
        for key, value in m[5].items():
            if key != "aliases":
                props.setdefault(key, value)
    return Node(org_id, Label.ORGANIZATION, props)


def _node_row(node: Node) -> NodeRow:
    return (node.id, str(node.label), canonical_json(node.props))


def _error_order(e: RowError) -> tuple[str, int, int]:
    return (e.file, e.line, e.col)


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
    with target.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "line", "column", "col", "reason"])
        for e in errors:
            out.writerow([e.file, e.line, e.column, e.col, e.reason])
    return str(target)
