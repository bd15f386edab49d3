"""The server store: ``GraphStore`` over a Bolt server (Neo4j 5, Aura, or ArcadeDB) through
the official ``neo4j`` driver.

How the graph is laid out on the server:

- every node carries two labels, ``FsNode`` and its own (``Organization``, ``Patent`` …), and an
  ``id`` property; both labels have a uniqueness constraint on ``id``, so ``id`` is unique across
  labels and any node is found by id through one index seek on ``FsNode``;
- relationships are typed by ``Edge.type`` and keyed by ``(source, type, target)`` (``MERGE``);
- ``(:FsMeta {key: 'version'})`` holds the version counter, ``(:FsCache {ck})`` the blob cache,
  ``(:FsVector {vk})`` the embedding vectors of ``put_vectors``.

Properties: what a Bolt server stores natively is stored as it is — strings, booleans, 64-bit
integers, floats, byte strings and lists of one of those kinds (empty lists too), so Cypher users
see and query them as usual. Everything else a JSON mapping may hold (``None``, nested maps,
mixed-type or nested lists, integers past 64 bits) and any key named ``id`` or starting with
``_fs_`` is kept as JSON in one string property, ``_fs_json``, and merged back on read: an
upsert followed by a get returns exactly what was written, on every server.

Every statement is parameterised Cypher. The only text put into a statement is a label,
relationship type or index name, and only after it matched ``[A-Za-z][A-Za-z0-9_]*`` and was
quoted with backticks; every template is a module constant listed in ``STATEMENTS`` and checked
against Neo4j's own grammar in the tests (``tools/cypher-lint``).

Vectors: ``has_vector_index`` is decided at connect time by asking the server for the procedure
``db.index.vector.queryNodes`` (Neo4j 5.11+, Aura). Where it exists, ``put_vectors`` also builds a
cosine vector index and ``vector_search`` asks it; elsewhere (ArcadeDB, older Neo4j)
``vector_search`` reads the namespace's vectors and scores them exactly with numpy. Both paths
return plain cosine similarity.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import numpy as np
import orjson
from numpy.typing import NDArray

from graph.errors import NodeNotFound, StoreError
from graph.model import Edge, Label, Node, Rel, Subgraph, UpsertReport
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

# ---- names --------------------------------------------------------------------------------

NODE_LABEL: Final = "FsNode"
META_LABEL: Final = "FsMeta"
CACHE_LABEL: Final = "FsCache"
VECTOR_LABEL: Final = "FsVector"
SHADOW: Final = "_fs_json"
RESERVED_LABELS: Final = frozenset({NODE_LABEL, META_LABEL, CACHE_LABEL, VECTOR_LABEL})
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

# ---- every Cypher statement the store can issue -----------------------------------------------
# ``__LABEL__``, ``__TYPE__``, ``__NAME__``, ``__PROP__`` and ``__VLABEL__`` are filled by
# ``render`` with a checked identifier; everything that comes from data is a $parameter.

CREATE_ID_CONSTRAINT: Final = (
    "CREATE CONSTRAINT `__NAME__` IF NOT EXISTS FOR (n:`__LABEL__`) REQUIRE n.`__PROP__` IS UNIQUE"
)
NODES_BY_ID: Final = (
    "UNWIND $ids AS id MATCH (n:FsNode {id: id}) "
    "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props"
)
IDS_PRESENT: Final = "UNWIND $ids AS id MATCH (n:FsNode {id: id}) RETURN n.id AS id"
# New and existing nodes are told apart by NODES_BY_ID in the same transaction, so nodes are
# written with CREATE / MATCH … SET rather than MERGE: ArcadeDB answers a MERGE on a two-label
# pattern with a full scan (500 rows into 20k nodes: 56 s), and adding the second label ON CREATE
# breaks its unique index. The uniqueness constraints still refuse a duplicate written by a
# concurrent transaction; that ConstraintError makes the upsert run again, and then it updates.
CREATE_NODES: Final = "UNWIND $rows AS r CREATE (n:FsNode:`__LABEL__`) SET n = r.props"
UPDATE_NODES: Final = "UNWIND $rows AS r MATCH (n:FsNode {id: r.id}) SET n = r.props"
EDGES_BY_KEY: Final = (
    "UNWIND $keys AS k MATCH (a:FsNode {id: k.s})-[e:`__TYPE__`]->(b:FsNode {id: k.t}) "
    "RETURN a.id AS s, b.id AS t, properties(e) AS props"
)
MERGE_EDGES: Final = (
    "UNWIND $rows AS r MATCH (a:FsNode {id: r.s}) MATCH (b:FsNode {id: r.t}) "
    "MERGE (a)-[e:`__TYPE__`]->(b) SET e = r.props"
)
BUMP_VERSION: Final = (
    "MERGE (m:FsMeta {key: 'version'}) ON CREATE SET m.value = 0 "
    "SET m.value = m.value + 1 RETURN m.value AS value"
)
GET_VERSION: Final = "MATCH (m:FsMeta {key: 'version'}) RETURN m.value AS value"
FIND_NODES: Final = (
    "MATCH (n:`__LABEL__`) "
    "WHERE all(c IN $conds WHERE n[c.k] = c.v "
    "OR (CASE WHEN n[c.k] IS :: LIST<ANY> THEN c.v IN n[c.k] ELSE false END)) "
    "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props ORDER BY n.id"
)
ALL_NODES: Final = (
    "MATCH (n:`__LABEL__`) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props "
    "ORDER BY n.id"
)
ALL_EDGES: Final = (
    "MATCH (a:FsNode)-[e]->(b:FsNode) "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
EDGES_OF_TYPE: Final = (
    "MATCH (a:FsNode)-[e:`__TYPE__`]->(b:FsNode) "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
OUT_EDGES: Final = (
    "MATCH (a:FsNode {id: $id})-[e]->(b:FsNode) WHERE $rel IS NULL OR type(e) = $rel "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
IN_EDGES: Final = (
    "MATCH (a:FsNode)-[e]->(b:FsNode {id: $id}) WHERE $rel IS NULL OR type(e) = $rel "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
NEXT_LEVEL: Final = (
    "UNWIND $ids AS id MATCH (a:FsNode {id: id})-[e]-(b:FsNode) "
    "WHERE $rel IS NULL OR type(e) = $rel RETURN DISTINCT b.id AS id"
)
EDGES_AMONG: Final = (
    "UNWIND $ids AS id MATCH (a:FsNode {id: id})-[e]->(b:FsNode) "
    "WHERE b.id IN $ids AND ($rel IS NULL OR type(e) = $rel) "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
OUT_EDGES_MANY: Final = (
    "UNWIND $ids AS id MATCH (a:FsNode {id: id})-[e]->(b:FsNode) "
    "WHERE $rel IS NULL OR type(e) = $rel "
    "RETURN a.id AS s, type(e) AS type, b.id AS t, properties(e) AS props"
)
COUNT_LABELS: Final = (
    "MATCH (n:FsNode) UNWIND labels(n) AS label WITH label WHERE label <> 'FsNode' "
    "RETURN label AS name, count(*) AS n"
)
COUNT_TYPES: Final = "MATCH ()-[e]->() RETURN type(e) AS name, count(*) AS n"
CACHE_GET: Final = (
    "UNWIND $cks AS ck MATCH (c:FsCache {ck: ck}) RETURN c.key AS key, c.value AS value"
)
CACHE_PUT: Final = (
    "UNWIND $rows AS r MERGE (c:FsCache {ck: r.ck}) "
    "SET c.ns = r.ns, c.key = r.key, c.value = r.value"
)
CLEAR_BATCH: Final = (
    "MATCH (n) WHERE NOT n:FsMeta WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS n"
)
PING: Final = "RETURN 1 AS ok"
SHOW_CONSTRAINTS: Final = (
    "SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties "
    "RETURN type, labelsOrTypes AS labels, properties AS props"
)
LIST_PROCEDURES: Final = "SHOW PROCEDURES YIELD name WHERE name = $name RETURN count(*) AS n"
SERVER_COMPONENTS: Final = (
    "CALL dbms.components() YIELD name, versions, edition "
    "RETURN name, versions[0] AS version, edition"
)
PUT_VECTORS: Final = (
    "UNWIND $rows AS r MERGE (v:FsVector:`__VLABEL__` {vk: r.vk}) "
    "SET v.ns = r.ns, v.id = r.id, v.embedding = r.embedding"
)
READ_VECTORS: Final = (
    "MATCH (v:FsVector {ns: $ns}) RETURN v.id AS id, v.embedding AS embedding ORDER BY v.id"
)
CREATE_VECTOR_INDEX: Final = (
    "CREATE VECTOR INDEX `__NAME__` IF NOT EXISTS FOR (v:`__VLABEL__`) ON (v.embedding) "
    "OPTIONS $options"
)
AWAIT_INDEX: Final = "CALL db.awaitIndex($name, $seconds)"
QUERY_VECTOR_INDEX: Final = (
    "CALL db.index.vector.queryNodes($index, $k, $vector) YIELD node, score "
    "RETURN node.id AS id, score"
)

STATEMENTS: Final[dict[str, str]] = {
    name: value
    for name, value in dict(globals()).items()
    if name.isupper()
    and isinstance(value, str)
    and name
    not in {
        "NODE_LABEL",
        "META_LABEL",
        "CACHE_LABEL",
        "VECTOR_LABEL",
        "SHADOW",
    }
}
"""Every statement template, by constant name."""

_PLACEHOLDERS = ("__LABEL__", "__TYPE__", "__NAME__", "__PROP__", "__VLABEL__")


def _ident(value: str, what: str) -> str:
    if not _IDENT.fullmatch(value):
        raise StoreError(f"{what} {value!r} is not a plain identifier ([A-Za-z][A-Za-z0-9_]*)")
    return value


def render(template: str, **names: str) -> str:
    """Fill a statement template's placeholders with checked identifiers.

    >>> render(CREATE_NODES, label="Patent")
    'UNWIND $rows AS r CREATE (n:FsNode:`Patent`) SET n = r.props'
    """
    text = template
    for key, value in names.items():
        text = text.replace(f"__{key.upper()}__", _ident(value, key))
    if any(p in text for p in _PLACEHOLDERS):
        raise StoreError(f"statement template not fully rendered: {text}")
    return text


def all_statements(*, every_label: bool = False) -> dict[str, str]:
    """Every statement template, rendered: what the grammar check in the tests runs over.

    Labels and types enter a statement only as backtick-quoted identifiers, so one rendering
    per template shows its grammar; ``every_label`` renders each for every label and type of
    the model instead (what the store can issue for the model's data).
    """
    vlabel, vindex = _vector_names("example")
    labels: list[str] = [NODE_LABEL, *Label] if every_label else [str(Label.ORGANIZATION)]
    rels: list[str] = list(Rel) if every_label else [str(Rel.MEMBER_OF)]
    out: dict[str, str] = {}
    for name, template in STATEMENTS.items():
        if "__LABEL__" in template and "__NAME__" in template:  # constraints
            for label in labels:
                out[f"{name}[{label}]"] = render(
                    template, label=label, name=_constraint_name(label, "id"), prop="id"
                )
            for label, prop in ((META_LABEL, "key"), (CACHE_LABEL, "ck"), (VECTOR_LABEL, "vk")):
                out[f"{name}[{label}]"] = render(
                    template, label=label, name=_constraint_name(label, prop), prop=prop
                )
        elif "__LABEL__" in template:
            for label in labels:
                out[f"{name}[{label}]"] = render(template, label=label)
        elif "__TYPE__" in template:
            for rel in rels:
                out[f"{name}[{rel}]"] = render(template, type=rel)
        elif "__NAME__" in template:
            out[name] = render(template, name=vindex, vlabel=vlabel)
        elif "__VLABEL__" in template:
            out[name] = render(template, vlabel=vlabel)
        else:
            out[name] = render(template)
    return out


def _constraint_name(label: str, prop: str) -> str:
    return f"fs_{label.lower()}_{prop}_unique"


def _vector_names(namespace: str) -> tuple[str, str]:
    """The label and index name for a vector namespace (any text) as safe identifiers."""
    digest = hashlib.sha1(namespace.encode("utf-8")).hexdigest()[:16]
    return f"FsVec_{digest}", f"fs_vec_{digest}"


# ---- property encoding --------------------------------------------------------------------

_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def _scalar_kind(value: Any) -> type | None:
    if isinstance(value, bool):
        return bool
    if isinstance(value, int):
        return int if _INT_MIN <= value <= _INT_MAX else None
    for kind in (str, float, bytes):  # subclasses (StrEnum members) count as their base
        if isinstance(value, kind):
            return kind
    return None


def _native(value: Any) -> bool:
    """True when a Bolt server stores this value as a property as it is."""
    if isinstance(value, list):
        kinds = {_scalar_kind(v) for v in value}
        return not value or (len(kinds) == 1 and None not in kinds and bytes not in kinds)
    return _scalar_kind(value) is not None


def _encode(props: Mapping[str, Any], *, node_id: str | None = None) -> dict[str, Any]:
    native: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in props.items():
        if key == "id" or key.startswith("_fs_") or not _native(value):
            extra[key] = value
        else:
            native[key] = value
    if extra:
        native[SHADOW] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
    if node_id is not None:
        native["id"] = node_id
    return native


def _decode(stored: Mapping[str, Any], *, is_node: bool) -> dict[str, Any]:
    props = dict(stored)
    if is_node:
        props.pop("id", None)
    extra = props.pop(SHADOW, None)
    if extra:
        props.update(json.loads(extra))
    return props


def _canonical(props: Mapping[str, Any]) -> str:
    """The same canonical text the embedded store compares, so both count changes alike."""
    return json.dumps(
        props, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _main_label(labels: Iterable[str]) -> str:
    rest = [label for label in labels if label != NODE_LABEL]
    return rest[0] if rest else NODE_LABEL


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

    chunk_size: int = 5000
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
        self._known_labels: set[str] = set()
        self._known_vector_namespaces: set[str] = set()
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
        self.has_vector_index = self._detect_vector_index()
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

    @staticmethod
    def _run(tx: Transaction, query: str, **params: Any) -> list[Record]:
        """Run one statement in a transaction and read all its records."""
        from neo4j.exceptions import DriverError, Neo4jError

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

    def _read(self, query: str, what: str, **params: Any) -> list[Record]:
        return self._transact(lambda tx: self._run(tx, query, **params), write=False, what=what)

    def _stream(self, query: str, what: str, **params: Any) -> Iterator[Record]:
        """Stream a long result without holding it all in memory (no retry mid-stream)."""
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            with self._driver.session(
                database=self.database,
                default_access_mode="READ",
                bookmark_manager=self._bookmarks,
                fetch_size=2000,
            ) as session:
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

    def _detect_vector_index(self) -> bool:
        try:
            rows = self._read(LIST_PROCEDURES, "procedure list", name="db.index.vector.queryNodes")
        except StoreError:
            return False
        return bool(rows and rows[0]["n"])

    def _ensure_schema(self, labels: Iterable[str]) -> None:
        """Uniqueness constraints on ``id`` for these labels (and the store's own), once.
        Schema changes run in their own transactions, before any data is written."""
        wanted = (
            [(NODE_LABEL, "id"), (META_LABEL, "key"), (CACHE_LABEL, "ck"), (VECTOR_LABEL, "vk")]
            if not self._known_labels
            else []
        )
        wanted += [(str(label), "id") for label in labels if str(label) not in self._known_labels]
        present = self._unique_constraints()
        for label, prop in wanted:
            if (label, prop) in present:
                self._known_labels.add(label)
                continue
            statement = render(
                CREATE_ID_CONSTRAINT, label=label, prop=prop, name=_constraint_name(label, prop)
            )
            self._transact(_runner(statement), write=True, what=f"constraint on {label}.{prop}")
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
        label = _ident(str(label), "label")
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
            _ident(str(edge.type), "relationship type")
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
        if not _IDENT.fullmatch(target):
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
        if not _IDENT.fullmatch(target):
            return
        for record in self._stream(render(ALL_NODES, label=target), "nodes"):
            yield self._node(record)

    def edges(self, rel: str | None = None) -> Iterator[Edge]:
        if rel is None:
            query = ALL_EDGES
        elif _IDENT.fullmatch(str(rel)):
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

    # ---- vectors --------------------------------------------------------------------------

    def put_vectors(
        self, namespace: str, ids: Sequence[str], vectors: NDArray[np.floating[Any]]
    ) -> None:
        """Store one vector per id under ``namespace`` (replacing earlier ones); where the
        server has a vector index, keep a cosine index over the namespace."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(ids):
            raise StoreError(f"put_vectors: {len(ids)} ids but vectors of shape {matrix.shape}")
        vlabel, index = _vector_names(namespace)
        if self.has_vector_index and namespace not in self._known_vector_namespaces and len(ids):
            options = {
                "indexConfig": {
                    "vector.dimensions": int(matrix.shape[1]),
                    "vector.similarity_function": "cosine",
                }
            }
            self._transact(
                _runner(render(CREATE_VECTOR_INDEX, name=index, vlabel=vlabel), options=options),
                write=True,
                what="create vector index",
            )
            self._transact(
                _runner(AWAIT_INDEX, name=index, seconds=300),
                write=False,
                what="await vector index",
            )
            self._known_vector_namespaces.add(namespace)
        rows = [
            {
                "vk": f"{namespace}\x1f{i}",
                "ns": namespace,
                "id": i,
                "embedding": [float(x) for x in row],
            }
            for i, row in zip(ids, matrix, strict=True)
        ]
        query = render(PUT_VECTORS, vlabel=vlabel)

        def work(tx: Transaction) -> None:
            for chunk in _chunks(rows, 1000):
                self._run(tx, query, rows=chunk)

        self._transact(work, write=True, what="put_vectors")

    def vectors(self, namespace: str) -> tuple[list[str], NDArray[np.float32]]:
        """Every id and vector stored under ``namespace``, ordered by id."""
        ids: list[str] = []
        rows: list[list[float]] = []
        for r in self._stream(READ_VECTORS, "vectors", ns=namespace):
            ids.append(r["id"])
            rows.append(r["embedding"])
        if not rows:
            return ids, np.zeros((0, 0), dtype=np.float32)
        return ids, np.asarray(rows, dtype=np.float32)

    def vector_search(
        self, namespace: str, query: Sequence[float] | NDArray[np.floating[Any]], k: int
    ) -> list[tuple[str, float]]:
        """The ``k`` ids under ``namespace`` most cosine-similar to ``query``, best first, with
        their cosine similarity: by the server's vector index where it has one, else exactly."""
        vec = np.asarray(query, dtype=np.float32).ravel()
        if k <= 0:
            return []
        if self.has_vector_index:
            _, index = _vector_names(namespace)
            try:
                rows = self._read(
                    QUERY_VECTOR_INDEX,
                    "vector_search",
                    index=index,
                    k=int(k),
                    vector=[float(x) for x in vec],
                )
            except StoreError:
                rows = None  # no index for this namespace yet: score exactly below
            if rows is not None:
                # Neo4j reports cosine as (1 + cos) / 2; give back plain cosine like numpy.
                return [(r["id"], 2.0 * float(r["score"]) - 1.0) for r in rows]
        ids, matrix = self.vectors(namespace)
        return top_k_cosine_vectors(vec, ids, matrix, k)

    # ---- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jStore({self.location!r})"


def _runner(query: str, **params: Any) -> Callable[[Transaction], list[Record]]:
    return lambda tx: Neo4jStore._run(tx, query, **params)


def _edge_key(edge: Edge) -> tuple[str, str, str]:
    return edge.key


def top_k_cosine_vectors(
    query: NDArray[np.float32], ids: Sequence[str], matrix: NDArray[np.float32], k: int
) -> list[tuple[str, float]]:
    """Exact cosine top-k over rows of ``matrix``; ties broken by id.

    >>> m = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.float32)
    >>> [i for i, _ in top_k_cosine_vectors(np.array([1, 0.1], np.float32), ["a", "b", "c"], m, 2)]
    ['a', 'c']
    """
    if not len(ids) or k <= 0:
        return []
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
    scores = (matrix @ query) / np.where(norms == 0, 1.0, norms)
    order = sorted(range(len(ids)), key=lambda i: (-float(scores[i]), ids[i]))[:k]
    return [(ids[i], float(scores[i])) for i in order if math.isfinite(float(scores[i]))]
