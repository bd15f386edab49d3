"""Copy a graph from one store to another (embedded ⇄ Bolt server) and verify the counts.

The copy streams nodes, then edges, in batches; each batch is one upsert, so one transaction on
the target. A copy that stops half-way leaves whole batches behind, and running it again is
safe: upserts are idempotent, and what was already copied counts as unchanged. The blob cache
(embedding vectors keyed by content hash) is not copied: the protocol cannot list its keys, and
every entry is rebuilt on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

from graph.errors import StoreError
from graph.model import Label, Rel
from graph.store import GraphStore

__all__ = ["MigrateReport", "Progress", "copy_store", "totals"]

_LABEL_NAMES = frozenset(str(label) for label in Label)
_REL_NAMES = frozenset(str(rel) for rel in Rel)

T = TypeVar("T")

Progress = Callable[[str, int, int], None]
"""Called as ``progress(kind, done, total)`` with kind ``"nodes"`` or ``"edges"``."""


@dataclass(frozen=True)
class MigrateReport:
    """What a copy did and whether the target's counts match the source's afterwards."""

    source: str
    target: str
    nodes: int
    edges: int
    nodes_written: int
    edges_written: int
    unchanged: int
    source_counts: dict[str, int]
    target_counts: dict[str, int]
    mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return not self.mismatches


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _edge_names(store: GraphStore, counts: dict[str, int]) -> set[str]:
    """Which names in ``store.counts()`` are relationship types rather than labels: the model's
    types, and any other name that ``store.edges(name)`` has an edge for."""
    names: set[str] = set()
    for name in counts:
        if name in _REL_NAMES:
            names.add(name)
        elif name not in _LABEL_NAMES:
            found = store.edges(name)
            try:
                if next(found, None) is not None:
                    names.add(name)
            finally:
                close = getattr(found, "close", None)
                if callable(close):
                    close()
    return names


def totals(store: GraphStore, counts: dict[str, int]) -> tuple[int, int]:
    """(nodes, edges) in ``counts``, a ``store.counts()`` result of that store."""
    edge_names = _edge_names(store, counts)
    nodes = sum(n for k, n in counts.items() if k not in edge_names)
    return nodes, sum(counts.values()) - nodes


def copy_store(
    source: GraphStore,
    target: GraphStore,
    *,
    batch_size: int = 5000,
    merge: bool = False,
    progress: Progress | None = None,
) -> MigrateReport:
    """Copy every node and edge of ``source`` into ``target`` and compare their counts.

    The target must be empty unless ``merge`` is true; then its counts are checked to be at
    least the source's, label by label and type by type, since it may hold more. Returns the
    report; ``report.verified`` tells whether the counts agree.

    Notes: O(V + E) reads and writes, memory O(batch_size).
    """
    if batch_size < 1:
        raise StoreError("batch_size must be at least 1")
    before = target.counts()
    if before and any(before.values()) and not merge:
        raise StoreError(
            f"target {target.location} is not empty ({sum(before.values())} nodes and edges); "
            "copy into an empty store, or merge into this one explicitly"
        )
    source_counts = source.counts()
    n_nodes, n_edges = totals(source, source_counts)
    written_nodes = written_edges = unchanged = 0

    done = 0
    if progress:
        progress("nodes", 0, n_nodes)
    for batch_nodes in _batches(source.nodes(), batch_size):
        report = target.upsert(batch_nodes)
        written_nodes += report.nodes_created + report.nodes_updated
        unchanged += report.unchanged
        done += len(batch_nodes)
        if progress:
            progress("nodes", done, n_nodes)

    done = 0
    if progress:
        progress("edges", 0, n_edges)
    for batch_edges in _batches(source.edges(), batch_size):
        report = target.upsert((), batch_edges)
        written_edges += report.edges_created + report.edges_updated
        unchanged += report.unchanged
        done += len(batch_edges)
        if progress:
            progress("edges", done, n_edges)

    target_counts = target.counts()
    mismatches: dict[str, tuple[int, int]] = {}
    for key in sorted(set(source_counts) | set(target_counts)):
        want, have = source_counts.get(key, 0), target_counts.get(key, 0)
        if (have < want) if merge else (have != want):
            mismatches[key] = (want, have)
    return MigrateReport(
        source=source.location,
        target=target.location,
        nodes=n_nodes,
        edges=n_edges,
        nodes_written=written_nodes,
        edges_written=written_edges,
        unchanged=unchanged,
        source_counts=source_counts,
        target_counts=target_counts,
        mismatches=mismatches,
    )
