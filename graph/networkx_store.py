"""The embedded store: a networkx multigraph in memory, persisted to one SQLite file (WAL).

SQLite is the source of truth and is written first, in one transaction per upsert; the
in-memory graph is loaded lazily on the first read and updated only after a commit. A process
killed mid-write therefore leaves the file exactly as it was before the write.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from graph.bulk import gc_paused
from graph.errors import NodeNotFound, StoreError
from graph.model import Edge, Node, Subgraph, UpsertReport
from graph.store import Direction

__all__ = ["NetworkxStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, label TEXT NOT NULL, props TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges (
    source TEXT NOT NULL, type TEXT NOT NULL, target TEXT NOT NULL, props TEXT NOT NULL,
    PRIMARY KEY (source, type, target)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cache (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (ns, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('schema', '1'), ('version', '0');
"""
_CHUNK = 5000


def _dump(props: Mapping[str, Any]) -> str:
    """Canonical JSON text of a property map: equal maps give equal text."""
    return orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode()


def _props(attrs: dict[str, Any]) -> dict[str, Any]:
    """The properties kept on a node or edge of the in-memory graph, parsing the stored JSON on
    first use: reopening a store of millions of items then costs one SQLite scan, not millions
    of JSON parses. Racing threads may both parse; either result is the same."""
    props = attrs.get("props")
    if props is None:
        props = orjson.loads(attrs["raw"])
        attrs["props"] = props
    return props  # type: ignore[no-any-return]


def _chunks(items: Iterable[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class NetworkxStore:
    """``GraphStore`` over networkx and SQLite. Safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.location = str(path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._graph: nx.MultiDiGraph | None = None
        self._by_label: dict[str, set[str]] = {}

    # ---- loading -------------------------------------------------------------------------

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The in-memory graph, loaded from SQLite on first use. Node attributes are
        ``label`` and ``props``; edges are keyed by type and carry ``props``."""
        with self._lock:
            if self._graph is None:
                with gc_paused():
                    self._graph = self._load()
                    # The graph lives as long as the store: keep the collector from walking
                    # its millions of dicts on every later collection.
                    gc.freeze()
            return self._graph

    def _load(self) -> nx.MultiDiGraph:
        """Build the graph straight into networkx's adjacency dicts.

        ``add_edges_from`` costs ~10 µs an edge (argument checks, cache clearing); filling
        ``_node``/``_succ``/``_pred`` as networkx itself lays them out (successor and predecessor
        share one key dict per node pair) is several times faster, which is what keeps reopening
        a store of millions of edges within seconds. ``tests/contract`` checks the result against
        a graph built through the public API.
        """
        g = nx.MultiDiGraph()
        node_attr, succ, pred = g._node, g._succ, g._pred
        by_label: dict[str, set[str]] = {}
        for node_id, label, props in self._db.execute("SELECT id, label, props FROM nodes"):
            node_attr[node_id] = {"label": label, "raw": props}  # parsed on first use
            succ[node_id] = {}
            pred[node_id] = {}
            by_label.setdefault(label, set()).add(node_id)
        empty = "{}"
        for s, typ, t, p in self._db.execute("SELECT source, type, target, props FROM edges"):
            keydict = succ[s].get(t)
            if keydict is None:
                keydict = succ[s][t] = {}
                pred[t][s] = keydict
            keydict[typ] = {"props": {}} if p == empty else {"raw": p}
        nx._clear_cache(g)
        self._by_label = by_label
        return g

    # ---- writing -------------------------------------------------------------------------

    def upsert(self, nodes: Iterable[Node], edges: Iterable[Edge] = ()) -> UpsertReport:
        counts: Counter[str] = Counter()
        fresh: set[str] = set()  # ids written by this upsert: edges to them need no lookup
        seen_edges: set[int] = set()  # hashes of edge keys written by this upsert
        written_nodes: list[Node] = []
        written_edges: list[Edge] = []
        keep = self._graph is not None  # only remember writes when there is a graph to update
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                # Into an empty table (a first load) only rows repeated within this upsert can
                # exist already: the per-chunk lookups are skipped for all the others.
                no_nodes = not cur.execute("SELECT EXISTS (SELECT 1 FROM nodes)").fetchone()[0]
                no_edges = not cur.execute("SELECT EXISTS (SELECT 1 FROM edges)").fetchone()[0]
                for chunk in _chunks(nodes):
                    lookup = [n for n in chunk if n.id in fresh] if no_nodes else chunk
                    changed = self._write_nodes(cur, chunk, counts, lookup)
                    fresh.update(n.id for n in chunk)
                    if keep:
                        written_nodes += changed
                for chunk in _chunks(edges):
                    if no_edges:
                        hashes = [hash(e.key) for e in chunk]
                        lookup_e = [
                            e for e, h in zip(chunk, hashes, strict=True) if h in seen_edges
                        ]
                        seen_edges.update(hashes)
                    else:
                        lookup_e = chunk
                    changed_e = self._write_edges(cur, chunk, counts, fresh, lookup_e)
                    if keep:
                        written_edges += changed_e
                if (
                    counts["nodes_created"]
                    + counts["nodes_updated"]
                    + counts["edges_created"]
                    + counts["edges_updated"]
                ):
                    cur.execute(
                        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'"
                    )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            if self._graph is not None:
                self._apply(written_nodes, written_edges)
        return UpsertReport(**counts)

    def _write_nodes(
        self, cur: sqlite3.Cursor, chunk: list[Node], counts: Counter[str], lookup: list[Node]
    ) -> list[Node]:
        """Write a chunk; ``lookup`` are the nodes that may already be stored."""
        latest: dict[str, Node] = {}
        for node in chunk:
            latest[node.id] = node
        ids = list({n.id for n in lookup})
        existing: dict[str, tuple[str, str]] = {}
        for part in _chunks(ids, 900):
            marks = ",".join("?" * len(part))
            for node_id, label, props in cur.execute(
                f"SELECT id, label, props FROM nodes WHERE id IN ({marks})", part
            ):
                existing[node_id] = (label, props)
        rows: list[tuple[str, str, str]] = []
        changed: list[Node] = []
        for node in latest.values():
            text = _dump(node.props)
            old = existing.get(node.id)
            if old is not None and old[0] != node.label:
                raise StoreError(
                    f"node {node.id!r} is a {old[0]}; it cannot be written as a {node.label}"
                )
            if old is not None and old[1] == text:
                counts["unchanged"] += 1
                continue
            counts["nodes_updated" if old else "nodes_created"] += 1
            rows.append((node.id, str(node.label), text))
            changed.append(node)
        cur.executemany("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?)", rows)
        return changed

    def _write_edges(
        self,
        cur: sqlite3.Cursor,
        chunk: list[Edge],
        counts: Counter[str],
        fresh: set[str],
        lookup: list[Edge],
    ) -> list[Edge]:
        """Write a chunk; ``lookup`` are the edges that may already be stored."""
        latest: dict[tuple[str, str, str], Edge] = {}
        for edge in chunk:
            latest[edge.key] = edge
        endpoints = {e.source for e in latest.values()} | {e.target for e in latest.values()}
        endpoints -= fresh
        known: set[str] = set()
        for part in _chunks(endpoints, 900):
            marks = ",".join("?" * len(part))
            known.update(
                r[0] for r in cur.execute(f"SELECT id FROM nodes WHERE id IN ({marks})", part)
            )
        missing = sorted(endpoints - known)
        if missing:
            raise StoreError(f"edge endpoint(s) not in the store: {', '.join(missing[:5])}")
        existing: dict[tuple[str, str, str], str] = {}
        for part in _chunks({e.key for e in lookup}, 300):
            marks = ",".join(["(?,?,?)"] * len(part))
            flat = [v for key in part for v in key]
            # A join on the primary key: `(a, b, c) IN (VALUES …)` would scan the whole table.
            for s, typ, t, props in cur.execute(
                f"WITH k(s, y, t) AS (VALUES {marks}) "
                "SELECT e.source, e.type, e.target, e.props FROM k "
                "JOIN edges e ON e.source = k.s AND e.type = k.y AND e.target = k.t",
                flat,
            ):
                existing[(s, typ, t)] = props
        rows: list[tuple[str, str, str, str]] = []
        changed: list[Edge] = []
        for key, edge in latest.items():
            text = _dump(edge.props)
            old = existing.get(key)
            if old == text:
                counts["unchanged"] += 1
                continue
            counts["edges_updated" if old is not None else "edges_created"] += 1
            rows.append((edge.source, str(edge.type), edge.target, text))
            changed.append(edge)
        cur.executemany("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?)", rows)
        return changed

    def _apply(self, nodes: list[Node], edges: list[Edge]) -> None:
        g = self._graph
        assert g is not None
        for node in nodes:
            g.add_node(node.id, label=str(node.label), props=dict(node.props))
            self._by_label.setdefault(str(node.label), set()).add(node.id)
        for edge in edges:
            g.add_edge(edge.source, edge.target, key=str(edge.type), props=dict(edge.props))

    # ---- reading -------------------------------------------------------------------------

    def _node(self, node_id: str) -> Node:
        data = self.graph.nodes.get(node_id)
        if data is None:
            raise NodeNotFound(node_id)
        return Node(node_id, data["label"], _props(data))

    def get(self, node_id: str) -> Node:
        return self._node(node_id)

    def get_many(self, node_ids: Iterable[str]) -> list[Node]:
        g = self.graph
        return [self._node(i) for i in node_ids if i in g]

    def has(self, node_id: str) -> bool:
        return node_id in self.graph

    def nodes(self, label: str | None = None) -> Iterator[Node]:
        g = self.graph
        ids = sorted(self._by_label.get(label, ())) if label else sorted(g.nodes)
        for node_id in ids:
            yield self._node(node_id)

    def find(self, label: str | None = None, **props: Any) -> list[Node]:
        def matches(node: Node) -> bool:
            for key, want in props.items():
                have = node.props.get(key)
                if have != want and not (isinstance(have, list) and want in have):
                    return False
            return True

        return [n for n in self.nodes(label) if matches(n)]

    def edges(self, rel: str | None = None) -> Iterator[Edge]:
        for s, t, typ, data in self.graph.edges(keys=True, data=True):
            if rel is None or typ == rel:
                yield Edge(s, typ, t, _props(data))

    def edges_of(
        self, node_id: str, *, rel: str | None = None, direction: Direction = "both"
    ) -> list[Edge]:
        g = self.graph
        if node_id not in g:
            raise NodeNotFound(node_id)
        out: list[Edge] = []
        if direction in ("out", "both"):
            out += [
                Edge(node_id, k, t, _props(d))
                for _, t, k, d in g.out_edges(node_id, keys=True, data=True)
            ]
        if direction in ("in", "both"):
            out += [
                Edge(s, k, node_id, _props(d))
                for s, _, k, d in g.in_edges(node_id, keys=True, data=True)
            ]
        return [e for e in out if rel is None or e.type == rel]

    def neighbours(
        self, node_id: str, *, rel: str | None = None, direction: Direction = "both"
    ) -> list[Node]:
        ids = {
            e.target if e.source == node_id else e.source
            for e in self.edges_of(node_id, rel=rel, direction=direction)
        }
        return self.get_many(sorted(ids))

    def neighbourhood(self, node_id: str, depth: int = 1, *, rel: str | None = None) -> Subgraph:
        g = self.graph
        if node_id not in g:
            raise NodeNotFound(node_id)
        seen = {node_id}
        frontier = [node_id]
        for _ in range(max(depth, 0)):
            nxt: list[str] = []
            for current in frontier:
                for e in self.edges_of(current, rel=rel):
                    other = e.target if e.source == current else e.source
                    if other not in seen:
                        seen.add(other)
                        nxt.append(other)
            frontier = nxt
        return self.subgraph(seen, rel=rel)

    def subgraph(self, node_ids: Iterable[str], *, rel: str | None = None) -> Subgraph:
        g = self.graph
        ids = sorted({i for i in node_ids if i in g})
        keep = set(ids)
        edges = [
            Edge(s, k, t, _props(d))
            for s in ids
            for _, t, k, d in g.out_edges(s, keys=True, data=True)
            if t in keep and (rel is None or k == rel)
        ]
        edges.sort(key=lambda e: e.key)
        return Subgraph([self._node(i) for i in ids], edges)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for label, n in self._db.execute("SELECT label, COUNT(*) FROM nodes GROUP BY label"):
            out[label] = n
        for typ, n in self._db.execute("SELECT type, COUNT(*) FROM edges GROUP BY type"):
            out[typ] = n
        return dict(sorted(out.items()))

    def version(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row[0])

    # ---- blob cache ----------------------------------------------------------------------

    def cache_get(self, namespace: str, keys: Iterable[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with self._lock:
            for part in _chunks(keys, 900):
                marks = ",".join("?" * len(part))
                out.update(
                    self._db.execute(
                        f"SELECT key, value FROM cache WHERE ns = ? AND key IN ({marks})",
                        [namespace, *part],
                    ).fetchall()
                )
        return out

    def cache_put(self, namespace: str, items: Mapping[str, bytes]) -> None:
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.executemany(
                    "INSERT OR REPLACE INTO cache VALUES (?, ?, ?)",
                    ((namespace, k, v) for k, v in items.items()),
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> NetworkxStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
