"""Graph and taxonomy features: field match, IPC evidence, proximity to the project owner.

Proximity walks only relationships that say who works with whom — alliances (``MEMBER_OF``),
projects (``PARTICIPATES_IN``, ``OWNED_BY``) and ``COLLABORATED_WITH`` — never ``MAKES`` →
``DEMONSTRATED_IN``, so a supplier's past demonstrations (track record) earn nothing here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from graph.errors import NodeNotFound
from graph.model import Node, Rel
from graph.store import GraphStore
from graph.taxonomy import field_ancestors

__all__ = [
    "PROXIMITY_RELS",
    "OwnerPaths",
    "field_match",
    "ipc_profile",
    "ipc_score",
    "ipc_subclass",
    "owner_paths",
    "project_owner",
]

PROXIMITY_RELS = (Rel.MEMBER_OF, Rel.PARTICIPATES_IN, Rel.OWNED_BY, Rel.COLLABORATED_WITH)
MAX_HOPS = 4
MAX_VISITED = 50_000


def field_match(org_fields: Iterable[str], wanted: str | None) -> float:
    """1 for the same field, 0.5 for a parent or child field, 0.25 for a sibling, else 0.

    >>> field_match(["field:construction.tunnel"], "field:construction.tunnel")
    1.0
    >>> field_match(["field:construction"], "field:construction.tunnel")
    0.5
    >>> field_match(["field:construction.lifting"], "field:construction.tunnel")
    0.25
    """
    if not wanted:
        return 0.0
    best = 0.0
    want_chain = field_ancestors(wanted)
    for f in org_fields:
        if f == wanted:
            return 1.0
        chain = field_ancestors(f)
        if wanted in chain or f in want_chain:
            best = max(best, 0.5)
        elif len(chain) > 1 and len(want_chain) > 1 and chain[1] == want_chain[1]:
            best = max(best, 0.25)
    return best


def ipc_subclass(code: str) -> str:
    """The IPC subclass of a code: ``"E21D 9/06"`` → ``"E21D"``."""
    return code.replace(" ", "")[:4].upper()


def ipc_profile(scored_codes: Sequence[tuple[float, Sequence[str]]]) -> dict[str, float]:
    """IPC subclass weights from ``(similarity, codes)`` of the best-matching patents, scaled so
    the heaviest subclass weighs 1.

    >>> ipc_profile([(0.9, ["E21D 9/06"]), (0.6, ["E21D 9/08", "B23K 1/00"])])
    {'E21D': 1.0, 'B23K': 0.4}
    """
    weights: dict[str, float] = {}
    for sim, codes in scored_codes:
        for sub in {ipc_subclass(c) for c in codes if c}:
            weights[sub] = weights.get(sub, 0.0) + max(sim, 0.0)
    top = max(weights.values(), default=0.0)
    return {k: round(v / top, 6) for k, v in weights.items()} if top > 0 else {}


def ipc_score(codes: Iterable[str], profile: Mapping[str, float]) -> float:
    """The heaviest subclass of the query's IPC profile that these codes hold."""
    return max((profile.get(ipc_subclass(c), 0.0) for c in codes), default=0.0)


def project_owner(store: GraphStore, project_id: str) -> str | None:
    """The owner organisation of a project (``OWNED_BY``), or None."""
    for e in store.edges_of(project_id, rel=Rel.OWNED_BY, direction="out"):
        return e.target
    return None


@dataclass(frozen=True)
class OwnerPaths:
    """Shortest paths from a project owner over the proximity relationships."""

    owner: str
    parent: Mapping[str, tuple[str, str]]  # node → (previous node, relationship)
    hops: Mapping[str, int]

    def proximity(self, org_id: str) -> float:
        """1 / hops to the owner (0 for the owner itself or without a path)."""
        h = self.hops.get(org_id, 0)
        if h < 0:
            return 0.0
        return 1.0 / h if h > 0 else 0.0

    def path(self, org_id: str) -> list[tuple[str, str]]:
        """``[(node, relationship to the next node), …]`` from the organisation to the owner;
        the owner comes last with an empty relationship. Empty without a path."""
        if self.hops.get(org_id, -1) <= 0:
            return []
        out: list[tuple[str, str]] = []
        current = org_id
        while current != self.owner:
            prev, rel = self.parent[current]
            out.append((current, rel))
            current = prev
        out.append((self.owner, ""))
        return out


def owner_paths(
    store: GraphStore,
    owner: str,
    *,
    max_hops: int = MAX_HOPS,
    visible: Callable[[Node], bool] | None = None,
) -> OwnerPaths:
    """Breadth-first search from the owner (either direction) up to ``max_hops``, through nodes
    that ``visible`` accepts only (so a hidden node never bridges a path).

    Notes
    -----
    O(visited nodes + their edges); stops after ``MAX_VISITED`` nodes so a huge alliance cannot
    make one query slow.
    """
    hops = {owner: 0}
    parent: dict[str, tuple[str, str]] = {}
    queue = deque([owner])
    wanted = {str(r) for r in PROXIMITY_RELS}
    while queue and len(hops) < MAX_VISITED:
        node = queue.popleft()
        if hops[node] < 0 or hops[node] >= max_hops:
            continue
        try:
            edges = store.edges_of(node)
        except NodeNotFound:
            continue
        for e in edges:
            if e.type not in wanted:
                continue
            other = e.target if e.source == node else e.source
            if other in hops:
                continue
            if visible is not None:
                found = store.get_many([other])
                if not found or not visible(found[0]):
                    hops[other] = -1  # seen and hidden: never on a path
                    continue
            if other not in hops:
                hops[other] = hops[node] + 1
                parent[other] = (node, e.type)
                queue.append(other)
    return OwnerPaths(owner, parent, hops)
