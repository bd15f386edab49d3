"""The embedded store's graph in memory: ids, labels and both directions of adjacency in a few
arrays (compressed sparse rows), read from SQLite in a handful of bulk queries.

Nodes are numbered by the store's integer key ``n``; an edge is ``(source n, type code, target
n)``. What the store loaded is kept in numpy arrays and never changed; what it writes later is
added to small overlays beside them. A store of ~1.2M nodes and ~3.2M edges loads in ~7 s on two
slow cores where networkx's dict-of-dicts took ~25 s; ``to_networkx`` builds that graph on demand.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import networkx as nx
import numpy as np
import orjson

from graph.model import Edge, Label, Rel

__all__ = ["Adjacency"]

_SEP = "\x1f"  # between ids in one concatenated text; a load checks the count it gets back
# The attributes of every edge without properties in a networkx build, shared: most edges have
# none, and one dict per edge is most of what such a graph costs. Treat them as read-only.
_BARE: dict[str, Any] = {}


def _coded(
    db: sqlite3.Connection, sql: str, table: str, column: str, known: list[str], count: int
) -> tuple[tuple[Any, ...], list[str], np.ndarray]:
    """Run ``sql``, whose last result is ``group_concat({codes}, '')``: one character per row
    for the text ``column``, read back as 0-based codes into the names returned. The model's
    names (``known``) are tried first; a value outside them costs a second run with the
    column's own distinct values (a scan of the table the first run saves)."""
    names = known
    while True:
        whens = " ".join(f"WHEN ? THEN char({i + 1})" for i in range(len(names)))
        case = f"CASE {column} {whens} ELSE char({len(names) + 1}) END"
        row = db.execute(sql.format(codes=case), names).fetchone()
        codes = _char_codes(row[-1], count)
        if names is not known or not np.any(codes == len(names)):
            return row, names, codes
        names = [r[0] for r in db.execute(f"SELECT DISTINCT {column} FROM {table}")]


def _ints(text: str | None, count: int) -> np.ndarray:
    """Comma-separated integers (SQLite's ``group_concat``) as an int64 array."""
    if count == 0 or not text:
        return np.zeros(0, np.int64)
    out = np.fromstring(text, dtype=np.int64, sep=",")  # C-speed parsing of ~50 MB of digits
    if len(out) != count:
        raise ValueError(f"expected {count} integers, parsed {len(out)}")
    return out


def _char_codes(text: str | None, count: int) -> np.ndarray:
    """One character per row (see ``_coded``) as 0-based codes."""
    out = np.frombuffer((text or "").encode("utf-32-le"), np.uint32).astype(np.int32) - 1
    if len(out) != count:
        raise ValueError(f"expected {count} codes, got {len(out)}")
    return out


def _rows(keys: np.ndarray, size: int) -> np.ndarray:
    """Row pointers of a CSR whose rows are ``keys`` (sorted): row i is ptr[i]:ptr[i + 1]."""
    ptr = np.zeros(size + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=size), out=ptr[1:])
    return ptr


def _code(names: list[str], name: str, add: bool) -> int:
    """The position of ``name`` in ``names``, appended when new and ``add``; else -1."""
    try:
        return names.index(name)
    except ValueError:
        if not add:
            return -1
        names.append(name)
        return len(names) - 1


def _row(ptr: np.ndarray, other: np.ndarray, types: np.ndarray, n: int) -> list[tuple[int, int]]:
    """Row ``n`` of a CSR as (other end, type code) pairs; empty past the loaded nodes."""
    if n + 1 >= len(ptr):
        return []
    a, b = ptr[n], ptr[n + 1]
    return list(zip(other[a:b].tolist(), types[a:b].tolist(), strict=True))


class Adjacency:
    """Ids, labels and edges of a store. Positions are the store's node keys ``n``."""

    def __init__(self, version: int) -> None:
        self.version = version  # the store's version this describes
        self.ids: list[str | None] = []  # n → id (None: no node has that key)
        self.index: dict[str, int] = {}  # id → n
        self.labels: list[int] = []  # n → label code
        self.label_names: list[str] = []
        self.type_names: list[str] = []
        self.by_label: dict[int, list[int]] = {}
        # loaded edges, sorted by source then type then target; the in-direction is a
        # permutation of the same edges sorted by target
        self.out_ptr = self.in_ptr = np.zeros(1, np.int64)
        self.out_dst = self.out_type = self.in_src = self.in_type = np.zeros(0, np.int64)
        self.more_out: dict[int, list[tuple[int, int]]] = {}  # edges written after the load
        self.more_in: dict[int, list[tuple[int, int]]] = {}
        self.more_keys: set[tuple[int, int, int]] = set()
        self.edge_props: dict[tuple[int, int, int], Any] = {}  # raw JSON text, or parsed
        self.node_props: dict[int, dict[str, Any]] = {}  # parsed on first use

    # ---- loading -------------------------------------------------------------------------

    @classmethod
    def load(cls, db: sqlite3.Connection, version: int) -> Adjacency:
        """Read ids, labels and edges in a few bulk queries (call inside a read transaction)."""
        adj = cls(version)
        size = adj._load_nodes(db)
        adj._load_edges(db, size)
        return adj

    def _load_nodes(self, db: sqlite3.Connection) -> int:
        """Ids, labels and the nodes of each label; returns the size of the key space."""
        adj = self
        count, top = db.execute("SELECT COUNT(*), COALESCE(MAX(n), -1) FROM nodes").fetchone()
        (ns, ids, _), adj.label_names, codes = _coded(
            db,
            "SELECT group_concat(n), group_concat(id, char(31)), group_concat({codes}, '') "
            "FROM (SELECT n, id, label FROM nodes ORDER BY n)",
            "nodes",
            "label",
            [str(label) for label in Label],
            count,
        )
        keys = _ints(ns, count)
        id_list = ids.split(_SEP) if count else []
        if len(id_list) != count:  # an id holds the separator: read them one row at a time
            id_list = [r[0] for r in db.execute("SELECT id FROM nodes ORDER BY n")]
        size = int(top) + 1
        if count == size and np.array_equal(keys, np.arange(count)):  # the usual case
            adj.ids = list(id_list)
            adj.labels = codes.tolist()
        else:  # keys with gaps (rows removed by hand): leave holes
            full = np.full(size, -1, np.int32)
            full[keys] = codes
            adj.labels = full.tolist()
            adj.ids = [None] * size
            for key, node_id in zip(keys.tolist(), id_list, strict=True):
                adj.ids[key] = node_id
        adj.index = dict(zip(id_list, keys.tolist(), strict=True))
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(adj.label_names) + 1))
        for code in range(len(adj.label_names)):
            adj.by_label[code] = keys[order[bounds[code] : bounds[code + 1]]].tolist()
        return size

    def _load_edges(self, db: sqlite3.Connection, size: int) -> None:
        """Both directions of adjacency, and the properties of the edges that have some."""
        adj = self
        edges = db.execute("SELECT COUNT(*) FROM edges").fetchone()[0]
        (src, dst, _), adj.type_names, adj.out_type = _coded(
            db,
            "SELECT group_concat(source), group_concat(target), group_concat({codes}, '') "
            "FROM edges",  # primary-key order: source, type, target
            "edges",
            "type",
            [str(rel) for rel in Rel],
            edges,
        )
        out_src, adj.out_dst = _ints(src, edges), _ints(dst, edges)
        if np.any(out_src[1:] < out_src[:-1]):  # not read in key order after all: sort
            by_source = np.argsort(out_src, kind="stable")
            out_src, adj.out_dst = out_src[by_source], adj.out_dst[by_source]
            adj.out_type = adj.out_type[by_source]
        adj.out_ptr = _rows(out_src, size)
        by_target = np.argsort(adj.out_dst, kind="stable")
        adj.in_src, adj.in_type = out_src[by_target], adj.out_type[by_target]
        adj.in_ptr = _rows(adj.out_dst, size)
        type_code = {name: i for i, name in enumerate(adj.type_names)}
        for s, typ, t, raw in db.execute(
            "SELECT source, type, target, props FROM edges WHERE props <> '{}'"
        ):
            adj.edge_props[(s, type_code[typ], t)] = raw

    # ---- codes -----------------------------------------------------------------------------

    def label_of(self, n: int) -> str:
        return self.label_names[self.labels[n]]

    def label_code(self, label: str, *, add: bool = False) -> int:
        """The code of a label (-1 when unknown and not added)."""
        return _code(self.label_names, label, add)

    def type_code(self, typ: str, *, add: bool = False) -> int:
        """The code of an edge type (-1 when unknown and not added)."""
        return _code(self.type_names, typ, add)

    def edge(self, s: int, typ: int, t: int) -> Edge:
        """The edge ``s -[typ]-> t`` with ids, type name and properties."""
        source, target = self.ids[s], self.ids[t]
        assert source is not None and target is not None
        return Edge(source, self.type_names[typ], target, self.edge_props_of(s, typ, t))

    # ---- reading -------------------------------------------------------------------------

    def out(self, n: int) -> list[tuple[int, int]]:
        """(target, type code) of every edge leaving ``n``."""
        return _row(self.out_ptr, self.out_dst, self.out_type, n) + self.more_out.get(n, [])

    def into(self, n: int) -> list[tuple[int, int]]:
        """(source, type code) of every edge arriving at ``n``."""
        return _row(self.in_ptr, self.in_src, self.in_type, n) + self.more_in.get(n, [])

    def edge_props_of(self, s: int, typ: int, t: int) -> dict[str, Any]:
        """An edge's properties, parsing its stored JSON on first use. Racing threads may both
        parse; either result is the same."""
        props = self.edge_props.get((s, typ, t))
        if props is None:
            return {}
        if isinstance(props, str):
            props = self.edge_props[(s, typ, t)] = orjson.loads(props)
        return props  # type: ignore[no-any-return]

    def has_edge(self, s: int, typ: int, t: int) -> bool:
        if (s, typ, t) in self.more_keys:
            return True
        if s + 1 >= len(self.out_ptr):
            return False
        a, b = self.out_ptr[s], self.out_ptr[s + 1]
        return bool(np.any((self.out_dst[a:b] == t) & (self.out_type[a:b] == typ)))

    # ---- writing (after a commit) ----------------------------------------------------------

    def add_node(self, n: int, node_id: str, label: str, props: dict[str, Any]) -> None:
        if n >= len(self.ids):
            grow = n + 1 - len(self.ids)
            self.ids += [None] * grow
            self.labels += [-1] * grow
        if self.ids[n] is None:
            code = self.label_code(label, add=True)
            self.ids[n] = node_id
            self.index[node_id] = n
            self.labels[n] = code
            self.by_label.setdefault(code, []).append(n)
        self.node_props[n] = props

    def add_edge(self, s: int, typ: str, t: int, raw: str) -> None:
        code = self.type_code(typ, add=True)
        if not self.has_edge(s, code, t):
            self.more_out.setdefault(s, []).append((t, code))
            self.more_in.setdefault(t, []).append((s, code))
            self.more_keys.add((s, code, t))
        if raw == "{}":
            self.edge_props.pop((s, code, t), None)
        else:
            self.edge_props[(s, code, t)] = raw

    # ---- networkx --------------------------------------------------------------------------

    def to_networkx(self) -> nx.MultiDiGraph:
        """A networkx multigraph of the same nodes and edges: nodes carry ``label`` and
        ``props`` (read them all into ``node_props`` first), edges are keyed by type and carry
        ``props`` when they have any (edges without share one attribute dict)."""
        g = nx.MultiDiGraph()
        for n, node_id in enumerate(self.ids):
            if node_id is not None:
                g.add_node(node_id, label=self.label_of(n), props=self.node_props[n])
        succ, pred = g._succ, g._pred
        for s, node_id in enumerate(self.ids):
            if node_id is None:
                continue
            for t, code in self.out(s):
                target = self.ids[t]
                keydict = succ[node_id].get(target)
                if keydict is None:
                    keydict = succ[node_id][target] = {}
                    pred[target][node_id] = keydict
                props = self.edge_props_of(s, code, t)
                keydict[self.type_names[code]] = {"props": props} if props else _BARE
        nx._clear_cache(g)
        return g
