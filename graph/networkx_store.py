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
from operator import itemgetter
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from graph.bulk import gc_paused
from graph.errors import NodeNotFound, StoreError
from graph.model import Edge, Node, Subgraph, UpsertReport, canonical_json
from graph.store import Direction, EdgeRow, NodeRow, RowBatch

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
# A key written twice into a table that was empty: the last write wins, as INSERT OR REPLACE.
_INSERT_NEW_EDGE = (
    "INSERT INTO edges VALUES (?, ?, ?, ?) "
    "ON CONFLICT (source, type, target) DO UPDATE SET props = excluded.props"
)


# The attributes of every edge without properties, shared: most edges have none, and one dict
# per edge is most of what reopening a large store costs. Edge data is read-only for that.
_BARE: dict[str, Any] = {}


def _props(attrs: dict[str, Any]) -> dict[str, Any]:
    """The properties of an edge of the in-memory graph, parsing its stored JSON on first use.
    Racing threads may both parse; either result is the same."""
    if not attrs:
        return {}
    props = attrs.get("props")
    if props is None:
        props = orjson.loads(attrs["raw"])
        attrs["props"] = props
    return props  # type: ignore[no-any-return]


def _outcome(props: str | None, before: str | None) -> str:
    """How writing ``props`` over ``before`` (None: nothing) is counted."""
    if before is None:
        return "edges_created"
    return "unchanged" if props == before else "edges_updated"


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
            # A new file gets 16 KiB pages (before WAL, which fixes the size): rows of Chinese
            # text fit more to a page and random inserts split fewer (bulk writes ~30% faster).
            self._db.execute("PRAGMA page_size=16384")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Bulk loads insert millions of keys in no particular order: a larger page cache
            # (a ceiling, not an allocation) keeps the B-trees' hot pages off the disk.
            self._db.execute("PRAGMA cache_size=-262144")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._graph: nx.MultiDiGraph | None = None
        self._by_label: dict[str, set[str]] = {}

    # ---- loading -------------------------------------------------------------------------

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The in-memory graph, loaded from SQLite on first use; treat it as read-only.

        Nodes carry ``label`` and, once read through the store, ``props``; edges are keyed by
        type and carry ``raw`` (JSON text) or ``props`` when they have properties.
        """
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
        a store of millions of edges within seconds. Node properties stay in SQLite until read
        (``_node_props``). ``tests/contract`` checks the result against a graph built through
        the public API.
        """
        g = nx.MultiDiGraph()
        node_attr, succ, pred = g._node, g._succ, g._pred
        by_label: dict[str, set[str]] = {}
        for node_id, label in self._db.execute("SELECT id, label FROM nodes"):
            node_attr[node_id] = {"label": label}
            succ[node_id] = {}
            pred[node_id] = {}
            members = by_label.get(label)
            if members is None:
                members = by_label[label] = set()
            members.add(node_id)
        bare = _BARE
        for s, typ, t, p in self._db.execute(
            "SELECT source, type, target, NULLIF(props, '{}') FROM edges"
        ):
            keydict = succ[s].get(t)
            if keydict is None:
                keydict = succ[s][t] = {}
                pred[t][s] = keydict
            keydict[typ] = bare if p is None else {"raw": p}
        nx._clear_cache(g)
        self._by_label = by_label
        return g

    # ---- writing -------------------------------------------------------------------------

    def upsert(self, nodes: Iterable[Node], edges: Iterable[Edge] = ()) -> UpsertReport:
        node_rows = [(n.id, str(n.label), canonical_json(n.props)) for n in nodes]
        edge_rows = [(e.source, str(e.type), e.target, canonical_json(e.props)) for e in edges]
        return self.upsert_rows([(node_rows, edge_rows)])

    def upsert_rows(self, batches: Iterable[RowBatch]) -> UpsertReport:
        """One transaction, written as the batches arrive (memory stays flat).

        Written twice in one call, an edge key counts once, judged by its value before the call;
        a node id counts once, by its first write.
        """
        counts: Counter[str] = Counter()
        fresh: set[str] = set()  # ids written by this call: edges to them need no lookup
        # edge key hash → its properties before this call (None: it did not exist), for every
        # key this call wrote into a table that had rows: a key written twice counts once
        seen_edges: dict[int, str | None] = {}
        keep = self._graph is not None  # only remember writes when there is a graph to update
        written_nodes: list[NodeRow] = []
        written_edges: list[EdgeRow] = []
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                # Into an empty table (a first load) only what this call wrote can exist: the
                # lookups that tell created from updated are skipped.
                no_nodes = not cur.execute("SELECT EXISTS (SELECT 1 FROM nodes)").fetchone()[0]
                no_edges = not cur.execute("SELECT EXISTS (SELECT 1 FROM edges)").fetchone()[0]
                for node_rows, edge_rows in batches:
                    for chunk in _chunks(node_rows):
                        changed = self._write_nodes(cur, chunk, counts, fresh, no_nodes)
                        if keep:
                            written_nodes += changed
                    for echunk in _chunks(edge_rows):
                        self._check_endpoints(cur, echunk, fresh, no_nodes)
                        if no_edges:
                            cur.executemany(_INSERT_NEW_EDGE, echunk)
                            if keep:
                                written_edges += echunk
                        else:
                            changed_e = self._write_edges(cur, echunk, counts, seen_edges)
                            if keep:
                                written_edges += changed_e
                if no_edges:  # every key in the table is one this call created
                    (created,) = cur.execute("SELECT COUNT(*) FROM edges").fetchone()
                    counts["edges_created"] = created
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
        self,
        cur: sqlite3.Cursor,
        chunk: list[NodeRow],
        counts: Counter[str],
        fresh: set[str],
        no_nodes: bool,
    ) -> list[NodeRow]:
        """Write a chunk of node rows; ``fresh`` holds the ids this call wrote before (written
        again, they are not counted again)."""
        latest = {row[0]: row for row in chunk}
        ask = [i for i in latest if i in fresh] if no_nodes else list(latest)
        existing: dict[str, tuple[str, str]] = {}
        for part in _chunks(ask, 900):
            marks = ",".join("?" * len(part))
            for node_id, label, props in cur.execute(
                f"SELECT id, label, props FROM nodes WHERE id IN ({marks})", part
            ):
                existing[node_id] = (label, props)
        if not existing:  # all new: the bulk path
            rows = list(latest.values())
            counts["nodes_created"] += len(rows)
        else:
            rows = []
            for row in latest.values():
                node_id, label, text = row
                old = existing.get(node_id)
                again = node_id in fresh
                if old is not None and old[0] != label:
                    raise StoreError(
                        f"node {node_id!r} is a {old[0]}; it cannot be written as a {label}"
                    )
                if old is not None and old[1] == text:
                    counts["unchanged"] += not again
                    continue
                if not again:
                    counts["nodes_updated" if old else "nodes_created"] += 1
                rows.append(row)
        fresh.update(latest)
        cur.executemany("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?)", rows)
        return rows

    def _check_endpoints(
        self, cur: sqlite3.Cursor, chunk: list[EdgeRow], fresh: set[str], no_nodes: bool
    ) -> None:
        ends = set(map(itemgetter(0), chunk))
        ends.update(map(itemgetter(2), chunk))
        ends -= fresh
        if ends and not no_nodes:
            for part in _chunks(ends, 900):
                marks = ",".join("?" * len(part))
                ends.difference_update(
                    r[0] for r in cur.execute(f"SELECT id FROM nodes WHERE id IN ({marks})", part)
                )
        if ends:
            raise StoreError(f"edge endpoint(s) not in the store: {', '.join(sorted(ends)[:5])}")

    def _write_edges(
        self,
        cur: sqlite3.Cursor,
        chunk: list[EdgeRow],
        counts: Counter[str],
        seen: dict[int, str | None],
    ) -> list[EdgeRow]:
        """Write a chunk of edge rows into a table that had rows before this call; ``seen``
        holds the hashes of keys this call wrote before (written again, not counted again)."""
        latest = {row[:3]: row for row in chunk}
        existing: dict[tuple[str, str, str], str] = {}
        for part in _chunks(latest, 300):
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
        rows: list[EdgeRow] = []
        for key, row in latest.items():
            old = existing.get(key)  # as this transaction sees it
            h = hash(key)
            if h in seen:  # written before in this call: count by the value before the call
                before = seen[h]
                counts[_outcome(old, before)] -= 1
                counts[_outcome(row[3], before)] += 1
            else:
                seen[h] = "{}" if old == "{}" else old
                counts[_outcome(row[3], old)] += 1
            if old != row[3]:
                rows.append(row)
        cur.executemany("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?)", rows)
        return rows

    def _apply(self, nodes: list[NodeRow], edges: list[EdgeRow]) -> None:
        """Bring the in-memory graph up to date with rows just committed."""
        g = self._graph
        assert g is not None
        for node_id, label, text in nodes:
            if node_id in g:
                g._node[node_id] = {"label": label, "props": orjson.loads(text)}
            else:
                g.add_node(node_id, label=label, props=orjson.loads(text))
            self._by_label.setdefault(label, set()).add(node_id)
        for source, typ, target, text in edges:
            g.add_edge(source, target, key=typ)
            # replaced, not updated: the old data may be the shared ``_BARE``
            g._succ[source][target][typ] = _BARE if text == "{}" else {"raw": text}

    # ---- reading -------------------------------------------------------------------------

    def _node(self, node_id: str) -> Node:
        data = self.graph.nodes.get(node_id)
        if data is None:
            raise NodeNotFound(node_id)
        return Node(node_id, data["label"], self._node_props(node_id, data))

    def _node_props(self, node_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """A node's properties, read from SQLite on first use and kept."""
        props = data.get("props")
        if props is None:
            with self._lock:
                row = self._db.execute("SELECT props FROM nodes WHERE id = ?", (node_id,))
                props = data["props"] = orjson.loads(row.fetchone()[0])
        return props  # type: ignore[no-any-return]

    def _read_props(self, label: str | None) -> None:
        """Read the properties of every node (of ``label``) not read yet, in one scan."""
        g = self.graph
        members = self._by_label.get(label, set()) if label else g
        if all("props" in g._node[i] for i in members):
            return
        query = "SELECT id, props FROM nodes" + (" WHERE label = ?" if label else "")
        with self._lock:
            for node_id, text in self._db.execute(query, (label,) if label else ()):
                data = g._node.get(node_id)
                if data is not None and "props" not in data:
                    data["props"] = orjson.loads(text)

    def get(self, node_id: str) -> Node:
        return self._node(node_id)

    def get_many(self, node_ids: Iterable[str]) -> list[Node]:
        g = self.graph
        return [self._node(i) for i in node_ids if i in g]

    def has(self, node_id: str) -> bool:
        return node_id in self.graph

    def labels_of(self, node_ids: Iterable[str]) -> dict[str, str]:
        # From SQLite, not the graph: a loader asks in the middle of its write transaction,
        # when loading the graph would take in rows not committed yet.
        out: dict[str, str] = {}
        with self._lock:
            for part in _chunks(node_ids, 900):
                marks = ",".join("?" * len(part))
                out.update(
                    self._db.execute(f"SELECT id, label FROM nodes WHERE id IN ({marks})", part)
                )
        return out

    def nodes(self, label: str | None = None) -> Iterator[Node]:
        g = self.graph
        self._read_props(label)
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
