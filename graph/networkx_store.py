"""The embedded store: the graph in memory, persisted to one SQLite file (WAL).

SQLite is the source of truth and is written first, in one transaction per upsert; the
in-memory graph (``graph.adjacency``: arrays of integer node keys) is loaded on the first read
and updated only after a commit. A process killed mid-write therefore leaves the file exactly
as it was before the write. ``NetworkxStore.graph`` gives the same graph as a networkx
multigraph, built on first use, for graph algorithms.

The file: ``nodes(n, id, label, props)`` with an integer key ``n`` per node, ``edges(source,
type, target, props)`` keyed by node ``n``s (small keys: fast bulk writes and bulk reads), and
the view ``edge_rows`` with the ids spelled out, for people reading the file with SQL.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from graph.adjacency import Adjacency
from graph.bulk import gc_paused
from graph.errors import NodeNotFound, StoreError
from graph.model import Edge, Node, Subgraph, UpsertReport, canonical_json
from graph.store import Direction, EdgeRow, NodeRow, RowBatch

__all__ = ["NetworkxStore"]

# Node ids are unique through the index ``nodes_id``, which a first load into an empty table
# drops and builds again at its end (sorting 1M ids once beats inserting them one by one).
# Files written before that have the same constraint inline (``UNIQUE``) and are left as they are.
_NODES = """(n INTEGER PRIMARY KEY, id TEXT NOT NULL, label TEXT NOT NULL, props TEXT NOT NULL)"""
_ID_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS nodes_id ON nodes (id)"
_EDGES = """(source INTEGER NOT NULL, type TEXT NOT NULL, target INTEGER NOT NULL,
    props TEXT NOT NULL, PRIMARY KEY (source, type, target)) WITHOUT ROWID"""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS nodes {_NODES};
CREATE TABLE IF NOT EXISTS edges {_EDGES};
CREATE VIEW IF NOT EXISTS edge_rows AS
    SELECT s.id AS source, e.type, t.id AS target, e.props
    FROM edges e JOIN nodes s ON s.n = e.source JOIN nodes t ON t.n = e.target;
CREATE TABLE IF NOT EXISTS cache (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (ns, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('schema', '2'), ('version', '0');
"""
# Schema 1 keyed edges by node id text; its files are rewritten once, on first open.
_FROM_SCHEMA_1 = f"""
CREATE TABLE nodes_2 {_NODES};
INSERT INTO nodes_2 SELECT row_number() OVER (ORDER BY id) - 1, id, label, props FROM nodes;
CREATE TABLE edges_2 {_EDGES};
INSERT INTO edges_2 SELECT s.n, e.type, t.n, e.props
    FROM edges e JOIN nodes_2 s ON s.id = e.source JOIN nodes_2 t ON t.id = e.target;
DROP TABLE edges;
DROP TABLE nodes;
ALTER TABLE nodes_2 RENAME TO nodes;
ALTER TABLE edges_2 RENAME TO edges;
UPDATE meta SET value = '2' WHERE key = 'schema';
"""
_CHUNK = 5000
# A key written twice into a table that was empty: the last write wins, as INSERT OR REPLACE.
_INSERT_NEW_EDGE = (
    "INSERT INTO edges VALUES (?, ?, ?, ?) "
    "ON CONFLICT (source, type, target) DO UPDATE SET props = excluded.props"
)
_KeyedEdge = tuple[int, str, int, str]  # an edge row with node keys for ids
_KeyedNode = tuple[int, str, str, str]  # n, id, label, properties


def _outcome(props: str | None, before: str | None) -> str:
    """How writing ``props`` over ``before`` (None: nothing) is counted."""
    if before is None:
        return "edges_created"
    return "unchanged" if props == before else "edges_updated"


def _chunks(items: Iterable[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _by_id(
    cur: sqlite3.Cursor | sqlite3.Connection, column: str, ids: Iterable[str]
) -> dict[str, Any]:
    """``column`` of those ``ids`` that are in the store (as this transaction sees it)."""
    out: dict[str, Any] = {}
    for part in _chunks(ids, 900):
        marks = ",".join("?" * len(part))
        out.update(cur.execute(f"SELECT id, {column} FROM nodes WHERE id IN ({marks})", part))
    return out


def _type_filter(adj: Adjacency, rel: str | None) -> int | None:
    """The type code a read keeps (None: every type; -1, a type no edge has: none)."""
    return None if rel is None else adj.type_code(rel)


class NetworkxStore:
    """``GraphStore`` over SQLite with the graph in memory. Safe to share between threads."""

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
            self._upgrade()
            self._db.executescript(_SCHEMA)
            if not any(row[2] for row in self._db.execute("PRAGMA index_list(nodes)")):
                self._db.execute(_ID_INDEX)  # a new file (or one just upgraded)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._adj: Adjacency | None = None
        self._nx: nx.MultiDiGraph | None = None

    def _upgrade(self) -> None:
        """Rewrite a schema-1 file (edges keyed by id text) to the current schema, once."""
        cur = self._db.cursor()
        columns = [r[1] for r in cur.execute("PRAGMA table_info(nodes)")]
        if not columns or "n" in columns:
            return
        cur.execute("BEGIN IMMEDIATE")
        try:
            # again under the write lock: another process may have rewritten it meanwhile
            if "n" not in [r[1] for r in cur.execute("PRAGMA table_info(nodes)")]:
                for statement in _FROM_SCHEMA_1.split(";"):
                    if statement.strip():
                        cur.execute(statement)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    # ---- loading -------------------------------------------------------------------------

    def _adjacency(self) -> Adjacency:
        """The in-memory graph, loaded from SQLite on first use."""
        with self._lock:
            if self._adj is None:
                with gc_paused():
                    self._db.execute("BEGIN")  # one snapshot for all the bulk reads
                    try:
                        self._adj = Adjacency.load(self._db, self.version())
                    finally:
                        self._db.execute("COMMIT")
                    # The graph lives as long as the store: keep the collector from walking
                    # its containers on every later collection.
                    gc.freeze()
            return self._adj

    def load(self) -> None:
        """Read the graph into memory now (a server's start), not on the first read."""
        self._adjacency()

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The graph as a networkx multigraph, built on first use (all node properties are
        read); treat it as read-only. Nodes carry ``label`` and ``props``; edges are keyed by
        type and carry ``props`` when they have any. A write drops it; the next use rebuilds."""
        with self._lock:
            if self._nx is None:
                adj = self._adjacency()
                self._read_props(None)
                self._nx = adj.to_networkx()
            return self._nx

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
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                before = self.version()
                write = _Upsert(cur, keep=self._adj is not None)
                for node_rows, edge_rows in batches:
                    for chunk in _chunks(node_rows):
                        write.nodes(chunk)
                    write.edges(edge_rows)
                counts = write.finish()
                if write.changed:
                    cur.execute(
                        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'"
                    )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            if write.changed:
                self._apply(write, before)
        return UpsertReport(**counts)

    def _apply(self, write: _Upsert, before: int) -> None:
        """Bring the in-memory graph up to date with rows just committed."""
        self._nx = None
        adj = self._adj
        if adj is None:
            return
        if adj.version != before:  # another process wrote since the load: read it all again
            self._adj = None
            return
        for n, node_id, label, text in write.written_nodes:
            adj.add_node(n, node_id, label, orjson.loads(text))
        for source, typ, target, text in write.written_edges:
            adj.add_edge(source, typ, target, text)
        adj.version = before + 1

    # ---- reading -------------------------------------------------------------------------

    def _key(self, node_id: str) -> int:
        n = self._adjacency().index.get(node_id)
        if n is None:
            raise NodeNotFound(node_id)
        return n

    def _node_at(self, n: int) -> Node:
        adj = self._adjacency()
        node_id = adj.ids[n]
        assert node_id is not None
        return Node(node_id, adj.label_of(n), self._props_at(n))

    def _props_at(self, n: int) -> dict[str, Any]:
        """A node's properties, read from SQLite on first use and kept."""
        adj = self._adjacency()
        props = adj.node_props.get(n)
        if props is None:
            with self._lock:
                row = self._db.execute("SELECT props FROM nodes WHERE n = ?", (n,)).fetchone()
            props = adj.node_props[n] = orjson.loads(row[0])
        return props

    def _read_props(self, label: str | None) -> None:
        """Read the properties of every node (of ``label``) not read yet, in one scan."""
        adj = self._adjacency()
        keys = self._keys_with(label)
        if all(n in adj.node_props for n in keys):
            return
        query = "SELECT n, props FROM nodes" + (" WHERE label = ?" if label else "")
        with self._lock:
            for n, text in self._db.execute(query, (label,) if label else ()):
                if n not in adj.node_props and n < len(adj.ids):
                    adj.node_props[n] = orjson.loads(text)

    def _keys_with(self, label: str | None) -> list[int]:
        adj = self._adjacency()
        if label is None:
            return list(adj.index.values())
        return adj.by_label.get(adj.label_code(label), [])

    def get(self, node_id: str) -> Node:
        return self._node_at(self._key(node_id))

    def get_many(self, node_ids: Iterable[str]) -> list[Node]:
        index = self._adjacency().index
        return [self._node_at(index[i]) for i in node_ids if i in index]

    def has(self, node_id: str) -> bool:
        return node_id in self._adjacency().index

    def labels_of(self, node_ids: Iterable[str]) -> dict[str, str]:
        # From SQLite, not memory: a loader asks in the middle of its write transaction, when
        # loading the graph would take in rows not committed yet.
        with self._lock:
            return _by_id(self._db, "label", node_ids)

    def nodes(self, label: str | None = None) -> Iterator[Node]:
        adj = self._adjacency()
        self._read_props(label)
        for n in sorted(self._keys_with(label), key=lambda n: adj.ids[n] or ""):
            yield self._node_at(n)

    def find(self, label: str | None = None, **props: Any) -> list[Node]:
        def matches(node: Node) -> bool:
            for key, want in props.items():
                have = node.props.get(key)
                if have != want and not (isinstance(have, list) and want in have):
                    return False
            return True

        return [n for n in self.nodes(label) if matches(n)]

    def edges(self, rel: str | None = None) -> Iterator[Edge]:
        adj = self._adjacency()
        code = _type_filter(adj, rel)
        for s, source in enumerate(list(adj.ids)):
            if source is not None:
                yield from (adj.edge(s, y, t) for t, y in adj.out(s) if code in (None, y))

    def edges_of(
        self, node_id: str, *, rel: str | None = None, direction: Direction = "both"
    ) -> list[Edge]:
        adj = self._adjacency()
        n = self._key(node_id)
        code = _type_filter(adj, rel)
        out: list[Edge] = []
        if direction in ("out", "both"):
            out += [adj.edge(n, y, t) for t, y in adj.out(n) if code in (None, y)]
        if direction in ("in", "both"):
            out += [adj.edge(s, y, n) for s, y in adj.into(n) if code in (None, y)]
        return out

    def neighbours(
        self, node_id: str, *, rel: str | None = None, direction: Direction = "both"
    ) -> list[Node]:
        ids = {
            e.target if e.source == node_id else e.source
            for e in self.edges_of(node_id, rel=rel, direction=direction)
        }
        return self.get_many(sorted(ids))

    def neighbourhood(self, node_id: str, depth: int = 1, *, rel: str | None = None) -> Subgraph:
        adj = self._adjacency()
        start = self._key(node_id)
        code = _type_filter(adj, rel)
        seen = {start}
        frontier = [start]
        for _ in range(max(depth, 0)):
            nxt: list[int] = []
            for current in frontier:
                for other, y in adj.out(current) + adj.into(current):
                    if other not in seen and code in (None, y):
                        seen.add(other)
                        nxt.append(other)
            frontier = nxt
        return self._subgraph(adj, seen, code)

    def subgraph(self, node_ids: Iterable[str], *, rel: str | None = None) -> Subgraph:
        adj = self._adjacency()
        code = _type_filter(adj, rel)
        index = adj.index
        return self._subgraph(adj, {index[i] for i in node_ids if i in index}, code)

    def _subgraph(self, adj: Adjacency, keys: set[int], code: int | None) -> Subgraph:
        ordered = sorted(keys, key=lambda n: adj.ids[n] or "")
        edges = [
            adj.edge(s, y, t)
            for s in ordered
            for t, y in adj.out(s)
            if t in keys and code in (None, y)
        ]
        edges.sort(key=lambda e: e.key)
        return Subgraph([self._node_at(n) for n in ordered], edges)

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


class _Upsert:
    """One upsert's writes, chunk by chunk, inside the caller's transaction, and its counts."""

    def __init__(self, cur: sqlite3.Cursor, *, keep: bool) -> None:
        self.cur = cur
        self.counts: Counter[str] = Counter()
        # Into an empty table (a first load) only what this call wrote can exist: the lookups
        # that tell created from updated are skipped.
        self.no_nodes = not cur.execute("SELECT EXISTS (SELECT 1 FROM nodes)").fetchone()[0]
        self.no_edges = not cur.execute("SELECT EXISTS (SELECT 1 FROM edges)").fetchone()[0]
        self.next_key = cur.execute("SELECT COALESCE(MAX(n), -1) + 1 FROM nodes").fetchone()[0]
        # Into an empty table, the id index is built once at the end (``finish``); meanwhile
        # nodes are found by key, never by id.
        self.index_later = self.no_nodes and bool(
            cur.execute("SELECT 1 FROM sqlite_master WHERE name = 'nodes_id'").fetchone()
        )
        if self.index_later:
            cur.execute("DROP INDEX nodes_id")
        self.fresh: dict[str, int] = {}  # id → key of every node this call wrote
        # edge key hash → its properties before this call (None: it did not exist), for every
        # key this call wrote into a table that had rows: a key written twice counts once
        self.seen_edges: dict[int, str | None] = {}
        self.keep = keep  # remember what was written, to update the graph in memory
        self.written_nodes: list[_KeyedNode] = []
        self.written_edges: list[_KeyedEdge] = []

    @property
    def changed(self) -> bool:
        c = self.counts
        return bool(
            c["nodes_created"] + c["nodes_updated"] + c["edges_created"] + c["edges_updated"]
        )

    def finish(self) -> dict[str, int]:
        if self.index_later:
            self.cur.execute(_ID_INDEX)
        if self.no_edges:  # every key in the table is one this call created
            (created,) = self.cur.execute("SELECT COUNT(*) FROM edges").fetchone()
            self.counts["edges_created"] = created
        return dict(self.counts)

    def nodes(self, chunk: list[NodeRow]) -> None:
        """Write a chunk of node rows; a node written before by this call is not counted again."""
        cur, counts, fresh = self.cur, self.counts, self.fresh
        latest = {row[0]: row for row in chunk}
        new: list[_KeyedNode] = []
        rows: list[NodeRow] = []  # rows whose id may be stored
        existing: dict[str, tuple[int, str, str]] = {}
        if self.no_nodes:  # only rows this call wrote exist: found by key, one probe per id
            before: list[int] = []
            for row in latest.values():
                n = fresh.setdefault(row[0], self.next_key)
                if n == self.next_key:
                    new.append((n, *row))
                    self.next_key += 1
                else:
                    rows.append(row)
                    before.append(n)
            where, ask = "n", list[int | str](before)
        else:
            rows = list(latest.values())
            where, ask = "id", list[int | str](latest)
        for part in _chunks(ask, 900):
            marks = ",".join("?" * len(part))
            for n, node_id, label, props in cur.execute(
                f"SELECT n, id, label, props FROM nodes WHERE {where} IN ({marks})", part
            ):
                existing[node_id] = (n, label, props)
        updated: list[_KeyedNode] = []
        for node_id, label, text in rows:
            old = existing.get(node_id)
            if old is None:
                new.append((self.next_key, node_id, label, text))
                fresh[node_id] = self.next_key
                self.next_key += 1
                continue
            again = node_id in fresh
            if old[1] != label:
                raise StoreError(
                    f"node {node_id!r} is a {old[1]}; it cannot be written as a {label}"
                )
            fresh[node_id] = old[0]
            if old[2] == text:
                counts["unchanged"] += not again
                continue
            counts["nodes_updated"] += not again
            updated.append((old[0], node_id, label, text))
        counts["nodes_created"] += len(new)
        cur.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?)", new)
        cur.executemany("UPDATE nodes SET props = ? WHERE n = ?", [(r[3], r[0]) for r in updated])
        if self.keep:
            self.written_nodes += new + updated

    def edges(self, batch: Sequence[EdgeRow]) -> None:
        """Write a batch of edge rows. They go in by source key (a stable sort: a key written
        twice keeps its last value), so that the B-tree takes them a page at a time."""
        keyed = self._keyed(batch)
        keyed.sort(key=itemgetter(0))
        for chunk in _chunks(keyed):
            if self.no_edges:
                self.cur.executemany(_INSERT_NEW_EDGE, chunk)
            else:
                chunk = self._changed_edges(chunk)
                self.cur.executemany("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?)", chunk)
            if self.keep:
                self.written_edges += chunk

    def _keyed(self, rows: Sequence[EdgeRow]) -> list[_KeyedEdge]:
        """The rows with node keys for ids; an endpoint in no node is an error."""
        fresh = self.fresh
        try:  # a first load: every endpoint was written by this call
            return [(fresh[s], typ, fresh[t], p) for s, typ, t, p in rows]
        except KeyError:
            pass
        ends = {row[0] for row in rows} | {row[2] for row in rows}
        keys = {i: fresh[i] for i in ends if i in fresh}
        if not self.no_nodes:
            keys.update(_by_id(self.cur, "n", ends - keys.keys()))
        missing = sorted(ends - keys.keys())
        if missing:
            raise StoreError(f"edge endpoint(s) not in the store: {', '.join(missing[:5])}")
        return [(keys[s], typ, keys[t], p) for s, typ, t, p in rows]

    def _changed_edges(self, chunk: list[_KeyedEdge]) -> list[_KeyedEdge]:
        """Count a chunk written into a table that had rows before this call; return the rows
        whose properties differ from what is stored."""
        counts, seen = self.counts, self.seen_edges
        latest = {row[:3]: row for row in chunk}
        existing: dict[tuple[int, str, int], str] = {}
        for part in _chunks(latest, 300):
            marks = ",".join(["(?,?,?)"] * len(part))
            flat = [v for key in part for v in key]
            # A join on the primary key: `(a, b, c) IN (VALUES …)` would scan the whole table.
            for s, typ, t, props in self.cur.execute(
                f"WITH k(s, y, t) AS (VALUES {marks}) "
                "SELECT e.source, e.type, e.target, e.props FROM k "
                "JOIN edges e ON e.source = k.s AND e.type = k.y AND e.target = k.t",
                flat,
            ):
                existing[(s, typ, t)] = props
        rows: list[_KeyedEdge] = []
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
        return rows
