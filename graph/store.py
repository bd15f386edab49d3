"""The ``GraphStore`` protocol: what every backend offers the rest of firstset.

Two backends implement it and pass one contract suite (``tests/contract``): ``NetworkxStore``
(embedded, networkx in memory persisted to one SQLite file) and ``Neo4jStore`` (a Bolt server).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from graph.model import Edge, Node, Subgraph, UpsertReport

__all__ = ["Direction", "EdgeRow", "GraphStore", "NodeRow", "RowBatch"]

Direction = Literal["out", "in", "both"]
NodeRow = tuple[str, str, str]  # id, label, properties as canonical JSON
EdgeRow = tuple[str, str, str, str]  # source, type, target, properties as canonical JSON
RowBatch = tuple[Sequence[NodeRow], Sequence[EdgeRow]]


@runtime_checkable
class GraphStore(Protocol):
    """A property graph with transactional, idempotent upserts.

    Upserts replace the properties of a node or edge with the ones given (so an upsert followed
    by a get returns exactly what was written) and are all or nothing: an error leaves the store
    as it was. Nodes are keyed by ``id``; edges by ``(source, type, target)``.
    """

    location: str

    def upsert(self, nodes: Iterable[Node], edges: Iterable[Edge] = ()) -> UpsertReport:
        """Write nodes, then edges, in one transaction; raises ``StoreError`` on conflict."""
        ...

    def upsert_rows(self, batches: Iterable[RowBatch]) -> UpsertReport:
        """Write many batches of rows in one transaction, as they arrive: a batch's edges may
        point at nodes of the same or an earlier batch. Rows carry properties as canonical JSON
        (sorted keys), which is what a bulk loader has. An exception raised while iterating
        ``batches`` rolls the whole write back (a loader finding bad rows late does this)."""
        ...

    def get(self, node_id: str) -> Node:
        """The node with this id; raises ``NodeNotFound``."""
        ...

    def get_many(self, node_ids: Iterable[str]) -> list[Node]:
        """The nodes that exist among these ids, in the order asked."""
        ...

    def has(self, node_id: str) -> bool: ...

    def labels_of(self, node_ids: Iterable[str]) -> dict[str, str]:
        """The label of each of these ids that is stored (a cheap existence check, usable
        while a write is under way)."""
        ...

    def find(self, label: str | None = None, **props: Any) -> list[Node]:
        """Nodes with this label whose properties equal the ones given (list properties:
        the value is one of the items)."""
        ...

    def nodes(self, label: str | None = None) -> Iterator[Node]: ...

    def edges(self, rel: str | None = None) -> Iterator[Edge]: ...

    def edges_of(
        self, node_id: str, *, rel: str | None = None, direction: Direction = "both"
    ) -> list[Edge]:
        """The edges touching a node; raises ``NodeNotFound``."""
        ...

    def neighbours(
        self, node_id: str, *, rel: str | None = None, direction: Direction = "both"
    ) -> list[Node]:
        """Nodes one edge away, each once, ordered by id; raises ``NodeNotFound``."""
        ...

    def neighbourhood(self, node_id: str, depth: int = 1, *, rel: str | None = None) -> Subgraph:
        """Nodes within ``depth`` edges (either direction) and the edges among them."""
        ...

    def subgraph(self, node_ids: Iterable[str]) -> Subgraph:
        """The nodes that exist among these ids and the edges among them."""
        ...

    def counts(self) -> dict[str, int]:
        """Node count per label and edge count per type."""
        ...

    def version(self) -> int:
        """A number that grows with every committed change; indexes use it to stay fresh."""
        ...

    def cache_get(self, namespace: str, keys: Iterable[str]) -> dict[str, bytes]:
        """Stored blobs (such as embedding vectors) for the keys that have one."""
        ...

    def cache_put(self, namespace: str, items: Mapping[str, bytes]) -> None: ...

    def close(self) -> None: ...
