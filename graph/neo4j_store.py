"""The server store: ``GraphStore`` over a Bolt server (Neo4j 5, Aura, or ArcadeDB) through
the official ``neo4j`` driver.

How the graph is laid out on the server:

- every node carries two labels, ``FsNode`` and its own (``Organization``, ``Patent`` …), and an
  ``id`` property; both labels have a uniqueness constraint on ``id``, so ``id`` is unique across
  labels and any node is found by id through one index seek on ``FsNode``;
- relationships are typed by ``Edge.type`` and keyed by ``(source, type, target)`` (``MERGE``);
- ``(:FsMeta {key: 'version'})`` holds the version counter, ``(:FsCache {ck})`` the blob cache
  (the embedding vectors the matching engine caches by content hash).

The store is split by job: every statement it sends is a template in
:mod:`graph.neo4j_cypher` (checked against Neo4j's own grammar in the tests), and what goes to
the server natively and what as JSON is :mod:`graph.neo4j_codec`. This module runs them:
transactions, retries, errors wrapped with the failing statement, and ``round_trips``, the
count of queries sent.

Vectors are not searched on the server: the matching engine scores them exactly with numpy
from the vectors it caches in the store (``cache_get``), on every server. A server-side vector
index path existed and was removed, because no server we can test with (ArcadeDB) has one.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import orjson

from graph.errors import NodeNotFound, StoreError
from graph.model import Edge, Label, Node, Subgraph, UpsertReport
from graph.neo4j_codec import canonical as _canonical
from graph.neo4j_codec import decode as _decode
from graph.neo4j_codec import encode as _encode
from graph.neo4j_codec import is_native as _native
from graph.neo4j_codec import main_label as _main_label
from graph.neo4j_cypher import (
    ALL_EDGES,
    ALL_NODES,
    BUMP_VERSION,
    CACHE_GET,
    CACHE_PUT,
    CLEAR_BATCH,
    COUNT_LABELS,
    COUNT_TYPES,
    CREATE_ID_CONSTRAINT,
    CREATE_NODES,
    EDGES_AMONG,
    EDGES_BY_KEY,
    EDGES_OF_TYPE,
    FIND_NODES,
    GET_VERSION,
    IDS_PRESENT,
    IN_EDGES,
    MERGE_EDGES,
    NEXT_LEVEL,
    NODE_LABEL,
    NODES_BY_ID,
    OUT_EDGES,
    OUT_EDGES_MANY,
    OWN_KEYS,
    PING,
    RESERVED_LABELS,
    SERVER_COMPONENTS,
    SHOW_CONSTRAINTS,
    STATEMENTS,
    UPDATE_NODES,
    all_statements,
    constraint_name,
    ident,
    is_ident,
    render,
)
from graph.store import Direction, RowBatch

if TYPE_CHECKING:
    from neo4j import Driver, Record, Transaction

__all__ = [
    "NODE_LABEL",
    "STATEMENTS",
    "Neo4jStore",
    "all_statements",
    "render",
]

T = TypeVar("T")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


# ---- errors and retries -------------------------------------------------------------------


class _QueryFailed(Exception):
    """A driver error raised by one statement, carrying that statement up to the boundary."""

    def __init__(self, query: str, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.query = query
        self.cause = cause


def _retryable(exc: BaseException) -> bool:
    check = getattr(exc, "is_retryable", None)
    return bool(check()) if callable(check) else False


def _short(query: str) -> str:
    return query if len(query) <= 400 else query[:400] + " …"


class Neo4jStore:
    """``GraphStore`` over a Bolt server. Thread-safe: the driver pools connections.

    Open with ``Neo4jStore.from_url("bolt://user:password@host:7687/database")``; user,
    password and database may come from ``FIRSTSET_NEO4J_USER``, ``FIRSTSET_NEO4J_PASSWORD``
    and ``FIRSTSET_NEO4J_DATABASE`` instead.
    """

    round_trips: int
    """Queries sent to the server so far: one per statement run in a transaction and one per
    streamed read (``nodes``, ``edges``), retries included. Read it before and after a call to
    see what the call cost. The driver's BEGIN and COMMIT, and the further batches of a streamed
    result longer than ``fetch_size`` records, travel with or after these and are not counted."""
    chunk_size: int = 5000
    fetch_size: int = 2000
    max_retries: int = 5
    retry_base_delay: float = 0.1

    def __init__(
        self,
        uri: str,
        *,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        location: str | None = None,
        driver: Driver | None = None,
    ) -> None:
        try:
            import neo4j
        except ImportError as exc:  # pragma: no cover - neo4j is a main dependency
            raise StoreError("the Neo4j store needs the neo4j driver: pip install neo4j") from exc
        self.location = location or uri
        self.database = database
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.round_trips = 0
        self._known_labels: set[str] = set()
        try:
            self._driver: Driver = driver or neo4j.GraphDatabase.driver(
                uri,
                auth=auth,
                connection_timeout=15.0,
                max_transaction_retry_time=15.0,
                notifications_min_severity="OFF",
                user_agent="firstset",
            )
            self._driver.verify_connectivity()
        except (
            neo4j.exceptions.Neo4jError,
            neo4j.exceptions.DriverError,
            OSError,
            ValueError,
        ) as exc:
            raise StoreError(f"cannot connect to {self.location}: {exc}") from exc
        # One bookmark manager for every session of this store: on a cluster a read (sent to a
        # follower) waits until the follower has this store's earlier writes.
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self._read(PING, "connect")  # fails here, clearly, when the database does not exist
        self.server = self._server_info()
        self._ensure_schema([*Label])

    @classmethod
    def from_url(cls, url: str) -> Neo4jStore:
        """Open ``bolt://[user[:password]@]host[:port][/database][?routing…]``.

        >>> Neo4jStore.split_url("neo4j+s://u:p%40ss@db.example:7687/graph")
        ('neo4j+s://db.example:7687', ('u', 'p@ss'), 'graph', 'neo4j+s://u@db.example:7687/graph')
        """
        uri, auth, database, location = cls.split_url(url)
        return cls(uri, auth=auth, database=database, location=location)

    @staticmethod
    def split_url(url: str) -> tuple[str, tuple[str, str] | None, str | None, str]:
        """(driver URI, auth, database, the URL with the password left out)."""
        parts = urlsplit(url)
        if not parts.hostname:
            raise StoreError(f"not a Bolt URL: {url!r}")
        user = unquote(parts.username) if parts.username else os.environ.get("FIRSTSET_NEO4J_USER")
        password = (
            unquote(parts.password)
            if parts.password is not None
            else os.environ.get("FIRSTSET_NEO4J_PASSWORD")
        )
        auth = (user or "neo4j", password) if password is not None else None
        database = unquote(parts.path.strip("/")) or os.environ.get("FIRSTSET_NEO4J_DATABASE")
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
        query = urlencode(parse_qsl(parts.query))
        uri = f"{parts.scheme}://{netloc}" + (f"?{query}" if query else "")
        shown = f"{parts.scheme}://" + (f"{user}@" if user else "") + netloc
        shown += f"/{database}" if database else ""
        return uri, auth, database or None, shown

    # ---- running statements ---------------------------------------------------------------

    def _count(self) -> None:
        with self._count_lock:
            self.round_trips += 1

    def _run(self, tx: Transaction, query: str, **params: Any) -> list[Record]:
        """Run one statement in a transaction and read all its records (one round trip)."""
        from neo4j.exceptions import DriverError, Neo4jError

        self._count()
        try:
            return list(tx.run(query, params))
        except (Neo4jError, DriverError) as exc:
            raise _QueryFailed(query, exc) from exc

    def _transact(
        self,
        work: Callable[[Transaction], T],
        *,
        write: bool,
        what: str,
        retry_conflicts: bool = False,
    ) -> T:
        """Run ``work`` in one transaction, retrying transient failures with backoff (and, with
        ``retry_conflicts``, a uniqueness conflict with a concurrent writer); the transaction
        rolls back whole on any error. Driver errors become ``StoreError`` here, with the
        failing statement in the message."""
        from neo4j.exceptions import ConstraintError, DriverError, Neo4jError

        def retryable(exc: BaseException) -> bool:
            return _retryable(exc) or (retry_conflicts and isinstance(exc, ConstraintError))

        attempt = 0
        while True:
            try:
                with self._driver.session(
                    database=self.database,
                    default_access_mode="WRITE" if write else "READ",
                    bookmark_manager=self._bookmarks,
                ) as session:
                    tx = session.begin_transaction()
                    try:
                        result = work(tx)
                        tx.commit()
                        return result
                    finally:
                        if not tx.closed():
                            tx.rollback()
            except _QueryFailed as failed:
                if retryable(failed.cause) and attempt < self.max_retries:
                    attempt = self._backoff(attempt)
                    continue
                raise StoreError(
                    f"{what} failed on {self.location}: {failed.cause}\n"
                    f"query: {_short(failed.query)}"
                ) from failed.cause
            except (Neo4jError, DriverError) as exc:
                if retryable(exc) and attempt < self.max_retries:
                    attempt = self._backoff(attempt)
                    continue
                raise StoreError(
                    f"{what} failed on {self.location}: {exc}\nquery: COMMIT"
                    if write
                    else f"{what} failed on {self.location}: {exc}"
                ) from exc

    def _backoff(self, attempt: int) -> int:
        time.sleep(self.retry_base_delay * (2**attempt) * (0.5 + random.random()))
        return attempt + 1

    def _runner(self, query: str, **params: Any) -> Callable[[Transaction], list[Record]]:
        """One statement as the work of a transaction."""
        return lambda tx: self._run(tx, query, **params)

    def _read(self, query: str, what: str, **params: Any) -> list[Record]:
        return self._transact(self._runner(query, **params), write=False, what=what)

    def _stream(self, query: str, what: str, **params: Any) -> Iterator[Record]:
        """Stream a long result without holding it all in memory (no retry mid-stream)."""
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            with self._driver.session(
                database=self.database,
                default_access_mode="READ",
                bookmark_manager=self._bookmarks,
                fetch_size=self.fetch_size,
            ) as session:
                self._count()
                yield from session.run(query, params)
        except (Neo4jError, DriverError) as exc:
            raise StoreError(
                f"{what} failed on {self.location}: {exc}\nquery: {_short(query)}"
            ) from exc

    # ---- schema and capabilities ----------------------------------------------------------

    def _server_info(self) -> dict[str, str]:
        try:
            rows = self._read(SERVER_COMPONENTS, "server info")
        except StoreError:
            return {}
        if not rows:
            return {}
        return {k: str(rows[0][k]) for k in ("name", "version", "edition")}

    def _ensure_schema(self, labels: Iterable[str]) -> None:
        """Uniqueness constraints on ``id`` for these labels (and the store's own), once.
        Schema changes run in their own transactions, before any data is written."""
        wanted = list(OWN_KEYS) if not self._known_labels else []
        wanted += [(str(label), "id") for label in labels if str(label) not in self._known_labels]
        present = self._unique_constraints()
        for label, prop in wanted:
            if (label, prop) in present:
                self._known_labels.add(label)
                continue
            statement = render(
                CREATE_ID_CONSTRAINT, label=label, prop=prop, name=constraint_name(label, prop)
            )
            self._transact(
                self._runner(statement), write=True, what=f"constraint on {label}.{prop}"
            )
            self._known_labels.add(label)

    def _unique_constraints(self) -> set[tuple[str, str]]:
        """(label, property) of the node uniqueness constraints the server already has."""
        try:
            rows = self._read(SHOW_CONSTRAINTS, "constraint list")
        except StoreError:
            return set()  # cannot list them: create them all, IF NOT EXISTS
        return {
            (r["labels"][0], r["props"][0])
            for r in rows
            if "UNIQUE" in str(r["type"])
            and not str(r["type"]).startswith("REL")
            and len(r["labels"] or ()) == 1
            and len(r["props"] or ()) == 1
        }

    def _check_label(self, label: str) -> str:
        label = ident(str(label), "label")
        if label in RESERVED_LABELS:
            raise StoreError(f"label {label!r} is reserved by the store")
        return label

    # ---- writing --------------------------------------------------------------------------

    def upsert(self, nodes: Iterable[Node], edges: Iterable[Edge] = ()) -> UpsertReport:
        node_map: dict[str, Node] = {}
        for node in nodes:
            node_map[node.id] = node
        edge_map: dict[tuple[str, str, str], Edge] = {}
        for edge in edges:
            ident(str(edge.type), "relationship type")
            edge_map[edge.key] = edge
        labels = {self._check_label(n.label) for n in node_map.values()}
        new_labels = labels - self._known_labels
        if new_labels:
            with self._lock:
                self._ensure_schema(sorted(new_labels))

        def work(tx: Transaction) -> Counter[str]:
            counts: Counter[str] = Counter()
            for chunk in _chunks(node_map.values(), self.chunk_size):
                self._write_nodes(tx, chunk, counts)
            for echunk in _chunks(edge_map.values(), self.chunk_size):
                self._write_edges(tx, echunk, counts)
            if sum(
                counts[k]
                for k in ("nodes_created", "nodes_updated", "edges_created", "edges_updated")
            ):
                self._run(tx, BUMP_VERSION)
            return counts

        counts = self._transact(work, write=True, what="upsert", retry_conflicts=True)
        return UpsertReport(**counts)

    def upsert_rows(self, batches: Iterable[RowBatch]) -> UpsertReport:
        # The batches are gathered first (an error while reading them writes nothing), then
        # written as one transaction like any upsert.
        nodes: list[Node] = []
        edges: list[Edge] = []
        for node_rows, edge_rows in batches:
            nodes += (Node(i, label, orjson.loads(text)) for i, label, text in node_rows)
            edges += (Edge(s, typ, t, orjson.loads(text)) for s, typ, t, text in edge_rows)
        return self.upsert(nodes, edges)

    def _write_nodes(self, tx: Transaction, chunk: list[Node], counts: Counter[str]) -> None:
        existing = {
            r["id"]: (r["labels"], r["props"])
            for r in self._run(tx, NODES_BY_ID, ids=[n.id for n in chunk])
        }
        rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        updates: list[dict[str, Any]] = []
        for node in chunk:
            label = str(node.label)
            old = existing.get(node.id)
            if old is not None:
                old_label = _main_label(old[0])
                if old_label != label:
                    raise StoreError(
                        f"node {node.id!r} is a {old_label}; it cannot be written as a {label}"
                    )
                if _canonical(_decode(old[1], is_node=True)) == _canonical(node.props):
                    counts["unchanged"] += 1
                    continue
            row = {"id": node.id, "props": _encode(node.props, node_id=node.id)}
            if old is None:
                counts["nodes_created"] += 1
                rows[label].append(row)
            else:
                counts["nodes_updated"] += 1
                updates.append(row)
        for label, label_rows in rows.items():
            self._run(tx, render(CREATE_NODES, label=label), rows=label_rows)
        if updates:
            self._run(tx, UPDATE_NODES, rows=updates)

    def _write_edges(self, tx: Transaction, chunk: list[Edge], counts: Counter[str]) -> None:
        endpoints = sorted({e.source for e in chunk} | {e.target for e in chunk})
        present = {r["id"] for r in self._run(tx, IDS_PRESENT, ids=endpoints)}
        missing = [i for i in endpoints if i not in present]
        if missing:
            raise StoreError(f"edge endpoint(s) not in the store: {', '.join(missing[:5])}")
        by_type: dict[str, list[Edge]] = defaultdict(list)
        for edge in chunk:
            by_type[str(edge.type)].append(edge)
        for rel, typed in by_type.items():
            existing = {
                (r["s"], r["t"]): r["props"]
                for r in self._run(
                    tx,
                    render(EDGES_BY_KEY, type=rel),
                    keys=[{"s": e.source, "t": e.target} for e in typed],
                )
            }
            rows: list[dict[str, Any]] = []
            for edge in typed:
                old = existing.get((edge.source, edge.target))
                if old is not None and _canonical(_decode(old, is_node=False)) == _canonical(
                    edge.props
                ):
                    counts["unchanged"] += 1
                    continue
                counts["edges_updated" if old is not None else "edges_created"] += 1
                rows.append({"s": edge.source, "t": edge.target, "props": _encode(edge.props)})
            if rows:
                self._run(tx, render(MERGE_EDGES, type=rel), rows=rows)

    def clear(self) -> None:
        """Delete every node, relationship, cached blob and vector (for tests); the version
        counter is kept and grows, so nothing that cached by version is fooled."""

        def work(tx: Transaction) -> int:
            return int(self._run(tx, CLEAR_BATCH, batch=10_000)[0]["n"])

        while self._transact(work, write=True, what="clear"):
            pass
        self._transact(lambda tx: self._run(tx, BUMP_VERSION), write=True, what="clear")

    # ---- reading --------------------------------------------------------------------------

    @staticmethod
    def _node(record: Record) -> Node:
        return Node(
            record["id"], _main_label(record["labels"]), _decode(record["props"], is_node=True)
        )

    @staticmethod
    def _edge(record: Record) -> Edge:
        return Edge(
            record["s"], record["type"], record["t"], _decode(record["props"], is_node=False)
        )

    def get(self, node_id: str) -> Node:
        rows = self._read(NODES_BY_ID, "get", ids=[node_id])
        if not rows:
            raise NodeNotFound(node_id)
        return self._node(rows[0])

    def get_many(self, node_ids: Iterable[str]) -> list[Node]:
        ids = list(node_ids)
        found: dict[str, Node] = {}
        for chunk in _chunks(dict.fromkeys(ids), self.chunk_size):
            for r in self._read(NODES_BY_ID, "get_many", ids=chunk):
                found[r["id"]] = self._node(r)
        return [found[i] for i in ids if i in found]

    def labels_of(self, node_ids: Iterable[str]) -> dict[str, str]:
        return {n.id: str(n.label) for n in self.get_many(node_ids)}

    def has(self, node_id: str) -> bool:
        return bool(self._read(IDS_PRESENT, "has", ids=[node_id]))

    def find(self, label: str | None = None, **props: Any) -> list[Node]:
        target = NODE_LABEL if label is None else str(label)
        if not is_ident(target):
            return []
        pushed = [
            {"k": k, "v": v}
            for k, v in props.items()
            if k != "id" and not k.startswith("_fs_") and _native(v)
        ]
        rest = {k: v for k, v in props.items() if {"k": k, "v": v} not in pushed}
        rows = self._read(render(FIND_NODES, label=target), "find", conds=pushed)
        found = [self._node(r) for r in rows]
        if label is None:
            found = [n for n in found if n.label != NODE_LABEL]

        def matches(node: Node) -> bool:
            for key, want in rest.items():
                have = node.props.get(key)
                if have != want and not (isinstance(have, list) and want in have):
                    return False
            return True

        return [n for n in found if matches(n)]

    def nodes(self, label: str | None = None) -> Iterator[Node]:
        target = NODE_LABEL if label is None else str(label)
        if not is_ident(target):
            return
        for record in self._stream(render(ALL_NODES, label=target), "nodes"):
            yield self._node(record)

    def edges(self, rel: str | None = None) -> Iterator[Edge]:
        if rel is None:
            query = ALL_EDGES
        elif is_ident(str(rel)):
            query = render(EDGES_OF_TYPE, type=str(rel))
        else:
            return
        for record in self._stream(query, "edges"):
            yield self._edge(record)

    def edges_of(
        self, node_id: str, *, rel: str | None = None, direction: Direction = "both"
    ) -> list[Edge]:
        def work(tx: Transaction) -> list[Edge]:
            if not self._run(tx, IDS_PRESENT, ids=[node_id]):
                raise NodeNotFound(node_id)
            out: list[Edge] = []
            if direction in ("out", "both"):
                out += sorted(
                    (self._edge(r) for r in self._run(tx, OUT_EDGES, id=node_id, rel=rel)),
                    key=_edge_key,
                )
            if direction in ("in", "both"):
                out += sorted(
                    (self._edge(r) for r in self._run(tx, IN_EDGES, id=node_id, rel=rel)),
                    key=_edge_key,
                )
            return out

        return self._transact(work, write=False, what="edges_of")

    def neighbours(
        self, node_id: str, *, rel: str | None = None, direction: Direction = "both"
    ) -> list[Node]:
        edges = self.edges_of(node_id, rel=rel, direction=direction)
        ids = {e.target if e.source == node_id else e.source for e in edges}
        return self.get_many(sorted(ids))

    def neighbourhood(self, node_id: str, depth: int = 1, *, rel: str | None = None) -> Subgraph:
        def work(tx: Transaction) -> set[str]:
            if not self._run(tx, IDS_PRESENT, ids=[node_id]):
                raise NodeNotFound(node_id)
            seen = {node_id}
            frontier = [node_id]
            for _ in range(max(depth, 0)):
                if not frontier:
                    break
                reached: set[str] = set()
                for chunk in _chunks(frontier, self.chunk_size):
                    reached.update(r["id"] for r in self._run(tx, NEXT_LEVEL, ids=chunk, rel=rel))
                frontier = sorted(reached - seen)
                seen.update(frontier)
            return seen

        seen = self._transact(work, write=False, what="neighbourhood")
        return self.subgraph(seen, rel=rel)

    def subgraph(self, node_ids: Iterable[str], *, rel: str | None = None) -> Subgraph:
        ids = sorted(set(node_ids))

        def work(tx: Transaction) -> Subgraph:
            nodes: list[Node] = []
            for chunk in _chunks(ids, self.chunk_size):
                nodes += [self._node(r) for r in self._run(tx, NODES_BY_ID, ids=chunk)]
            keep = [n.id for n in nodes]
            if len(keep) <= self.chunk_size:  # the server filters the targets
                records = self._run(tx, EDGES_AMONG, ids=keep, rel=rel)
            else:  # too many ids to send twice: filter the out-edges here
                records = [
                    r
                    for chunk in _chunks(keep, self.chunk_size)
                    for r in self._run(tx, OUT_EDGES_MANY, ids=chunk, rel=rel)
                ]
            keep_set = set(keep)
            edges = [self._edge(r) for r in records if r["t"] in keep_set]
            nodes.sort(key=lambda n: n.id)
            edges.sort(key=_edge_key)
            return Subgraph(nodes, edges)

        return self._transact(work, write=False, what="subgraph")

    def counts(self) -> dict[str, int]:
        def work(tx: Transaction) -> dict[str, int]:
            out: dict[str, int] = {}
            for query in (COUNT_LABELS, COUNT_TYPES):
                for r in self._run(tx, query):
                    out[r["name"]] = int(r["n"])
            return dict(sorted(out.items()))

        return self._transact(work, write=False, what="counts")

    def version(self) -> int:
        rows = self._read(GET_VERSION, "version")
        return int(rows[0]["value"]) if rows else 0

    # ---- blob cache -----------------------------------------------------------------------

    def cache_get(self, namespace: str, keys: Iterable[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for chunk in _chunks(keys, self.chunk_size):
            for r in self._read(CACHE_GET, "cache_get", cks=[f"{namespace}\x1f{k}" for k in chunk]):
                out[r["key"]] = bytes(r["value"])
        return out

    def cache_put(self, namespace: str, items: Mapping[str, bytes]) -> None:
        rows = [
            {"ck": f"{namespace}\x1f{k}", "ns": namespace, "key": k, "value": bytes(v)}
            for k, v in items.items()
        ]

        def work(tx: Transaction) -> None:
            for chunk in _chunks(rows, self.chunk_size):
                self._run(tx, CACHE_PUT, rows=chunk)

        self._transact(work, write=True, what="cache_put")

    # ---- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jStore({self.location!r})"


def _edge_key(edge: Edge) -> tuple[str, str, str]:
    return edge.key

