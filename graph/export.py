"""Export a whole store as GraphML (for Gephi, yEd, networkx) or JSON lines (for anything)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import networkx as nx

from graph.store import GraphStore

__all__ = ["export_graphml", "export_jsonl", "jsonl_lines"]


def _scalar(value: Any) -> Any:
    """GraphML holds scalars only: lists and maps become JSON text."""
    if isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, ensure_ascii=False)


def export_graphml(store: GraphStore, path: Path) -> tuple[int, int]:
    """Write the store to ``path``; returns (nodes, edges) written."""
    g = nx.MultiDiGraph()
    for node in store.nodes():
        g.add_node(node.id, label=node.label, **{k: _scalar(v) for k, v in node.props.items()})
    for edge in store.edges():
        g.add_edge(
            edge.source,
            edge.target,
            key=edge.type,
            type=edge.type,
            **{k: _scalar(v) for k, v in edge.props.items()},
        )
    nx.write_graphml(g, path, encoding="utf-8")
    return g.number_of_nodes(), g.number_of_edges()


def jsonl_lines(store: GraphStore) -> Iterator[str]:
    """One JSON object per node, then one per edge."""
    for node in store.nodes():
        yield json.dumps(
            {"kind": "node", "id": node.id, "label": node.label, "props": dict(node.props)},
            ensure_ascii=False,
        )
    for edge in store.edges():
        yield json.dumps(
            {
                "kind": "edge",
                "source": edge.source,
                "type": edge.type,
                "target": edge.target,
                "props": dict(edge.props),
            },
            ensure_ascii=False,
        )


def export_jsonl(store: GraphStore, out: IO[str]) -> int:
    n = 0
    for line in jsonl_lines(store):
        out.write(line + "\n")
        n += 1
    return n
