"""What a caller's clearance lets them see. Hidden items behave exactly like missing ones.

The rule itself lives in :mod:`graph.clearance` (an unknown mark counts as the highest level, a
military project without a mark is restricted, a demand is hidden with its project); this
module applies it to nodes read from a store. Graph views walk only through visible nodes,
so a hidden node is never a bridge that reveals what lies behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from graph.clearance import is_visible as clearance_rule
from graph.errors import NodeNotFound
from graph.model import Edge, Label, Node, Rel, Subgraph
from graph.store import GraphStore

__all__ = ["filter_payload", "is_visible", "visible_get", "visible_ids", "visible_neighbourhood"]


def is_visible(store: GraphStore, node: Node, clearance: str) -> bool:
    """The one rule of :mod:`graph.clearance`, with a demand's project read from the store."""
    parent = None
    if node.label == Label.DEMAND:
        ids = [e.source for e in store.edges_of(node.id, rel=Rel.NEEDS, direction="in")]
        found = store.get_many(ids[:1])
        parent = found[0] if found else None
    return clearance_rule(node, clearance, parent=parent)


def visible_get(store: GraphStore, node_id: str, clearance: str) -> Node:
    """The node, or ``NodeNotFound`` when it is missing or above the clearance."""
    node = store.get(node_id)
    if not is_visible(store, node, clearance):
        raise NodeNotFound(node_id)
    return node


def visible_ids(store: GraphStore, ids: Iterable[str], clearance: str) -> set[str]:
    """The ids among these that exist and are visible."""
    return {
        n.id for n in store.get_many(list(dict.fromkeys(ids))) if is_visible(store, n, clearance)
    }


def visible_neighbourhood(
    store: GraphStore, node_id: str, depth: int, clearance: str, *, limit: int
) -> tuple[Subgraph, bool]:
    """Visible nodes within ``depth`` edges through visible nodes only; at most ``limit``.

    Returns the subgraph and whether it was cut at the limit.
    """
    visible_get(store, node_id, clearance)
    seen: dict[str, Node] = {node_id: store.get(node_id)}
    hidden: set[str] = set()
    frontier = [node_id]
    cut = False
    for _ in range(depth):
        nxt: list[str] = []
        for current in frontier:
            others = sorted(
                {e.target if e.source == current else e.source for e in store.edges_of(current)}
            )
            for node in store.get_many([o for o in others if o not in seen and o not in hidden]):
                if not is_visible(store, node, clearance):
                    hidden.add(node.id)
                    continue
                if len(seen) >= limit:
                    cut = True
                    break
                seen[node.id] = node
                nxt.append(node.id)
        frontier = nxt
    sub = store.subgraph(seen)
    nodes = [seen[n.id] for n in sub.nodes]
    edges: list[Edge] = [e for e in sub.edges if e.source in seen and e.target in seen]
    return Subgraph(nodes, edges), cut


_TOKEN = re.compile(r"[A-Za-z][\w-]*:[\w.:/-]+")


def filter_payload(store: GraphStore, payload: Any, clearance: str) -> Any:
    """Remove, anywhere in a JSON-like result, what names a node the caller may not see.

    A second line of defence behind the matching jobs' own clearance filter. Every string in the
    payload, and every id-like token inside a longer string (``proj:x`` in a sentence), is looked
    up; a list item (a hit, an evidence entry, an id) that names a hidden node is dropped, and any
    other string that does is blanked.
    """
    if clearance == "secret":
        return payload
    candidates: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            if len(value) <= 300:
                candidates.add(value)
            candidates.update(_TOKEN.findall(value[:5000]))
        elif isinstance(value, dict):
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    collect(payload)
    found = store.get_many(sorted(candidates))
    bad = {n.id for n in found if not is_visible(store, n, clearance)}
    if not bad:
        return payload

    def names_hidden(value: Any) -> bool:
        if isinstance(value, str):
            return value in bad or any(t in bad for t in _TOKEN.findall(value[:5000]))
        if isinstance(value, dict):
            return any(names_hidden(v) for v in value.values() if not isinstance(v, list | dict))
        return False

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ("" if names_hidden(v) and isinstance(v, str) else clean(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [clean(v) for v in value if not names_hidden(v)]
        return value

    return clean(payload)
