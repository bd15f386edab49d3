"""Benchmark: the Bolt server store against the embedded store on one synthetic graph.

Both stores get the same graph (by default 100k nodes and 500k relationships, shaped like
firstset's: organisations that make equipment, own patents and technologies, take part in
projects and collaborate), loaded with ``upsert`` in batches, and then the same 2-hop
neighbourhood queries from random organisations. Both must return the same neighbourhoods;
the medians are reported per store.

Notes: generation is O(V + E) with a fixed seed; the server's database is cleared first.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph.errors import StoreError
from graph.model import Edge, Label, Node, Rel
from graph.store import GraphStore

__all__ = ["run_bench", "synthetic_graph", "time_store"]

# Share of nodes per label, and how each relationship type picks its target label.
_MIX = (
    (Label.ORGANIZATION, 0.2),
    (Label.EQUIPMENT, 0.3),
    (Label.PATENT, 0.3),
    (Label.TECHNOLOGY, 0.1),
    (Label.PROJECT, 0.1),
)
_TYPES = (
    (Rel.MAKES, Label.EQUIPMENT, 0.3),
    (Rel.OWNS, Label.PATENT, 0.3),
    (Rel.OWNS, Label.TECHNOLOGY, 0.1),
    (Rel.PARTICIPATES_IN, Label.PROJECT, 0.2),
    (Rel.COLLABORATED_WITH, Label.ORGANIZATION, 0.1),
)


def synthetic_graph(n_nodes: int, n_edges: int, *, seed: int = 7) -> tuple[list[Node], list[Edge]]:
    """A random graph with the model's labels and types; every edge starts at an organisation
    and no ``(source, type, target)`` repeats.

    >>> nodes, edges = synthetic_graph(100, 300)
    >>> len(nodes), len(edges), len({e.key for e in edges})
    (100, 300, 300)
    """
    rng = random.Random(seed)
    by_label: dict[Label, list[str]] = {}
    nodes: list[Node] = []
    for label, share in _MIX:
        count = max(1, round(n_nodes * share)) if label != _MIX[-1][0] else n_nodes - len(nodes)
        ids = [f"{label.lower()[:3]}:{i}" for i in range(count)]
        by_label[label] = ids
        for node_id in ids:
            props: dict[str, Any] = {"name": f"{label} {node_id}", "field": f"f{rng.randrange(40)}"}
            if label is Label.ORGANIZATION:
                props["kinds"] = ["manufacturer"]
            nodes.append(Node(node_id, label, props))
    orgs = by_label[Label.ORGANIZATION]
    weights = [w for _, _, w in _TYPES]
    seen: set[tuple[str, str, str]] = set()
    edges: list[Edge] = []
    capacity = sum(len(orgs) * len(by_label[t]) for _, t, _ in _TYPES)
    if n_edges > capacity // 2:
        raise StoreError(f"{n_edges} relationships do not fit {n_nodes} nodes")
    while len(edges) < n_edges:
        rel, target_label, _ = rng.choices(_TYPES, weights)[0]
        source = rng.choice(orgs)
        target = rng.choice(by_label[target_label])
        key = (source, str(rel), target)
        if key in seen or source == target:
            continue
        seen.add(key)
        props = {"weight": round(rng.random(), 3)} if rel is Rel.COLLABORATED_WITH else {}
        edges.append(Edge(source, rel, target, props))
    return nodes, edges


def _load(store: GraphStore, nodes: list[Node], edges: list[Edge], batch_size: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(nodes), batch_size):
        store.upsert(nodes[i : i + batch_size])
    for i in range(0, len(edges), batch_size):
        store.upsert((), edges[i : i + batch_size])
    return time.perf_counter() - start


def time_store(
    store: GraphStore, nodes: list[Node], edges: list[Edge], starts: list[str], batch_size: int
) -> tuple[dict[str, float], list[int]]:
    """Load the graph into ``store`` and time ``neighbourhood(start, 2)`` for each start.
    Returns the timings and the size of each neighbourhood (nodes + edges)."""
    load_s = _load(store, nodes, edges, batch_size)
    store.neighbourhood(starts[0], 2)  # warm-up: the embedded store reads its file here
    times: list[float] = []
    sizes: list[int] = []
    for start in starts:
        t0 = time.perf_counter()
        sub = store.neighbourhood(start, 2)
        times.append(time.perf_counter() - t0)
        sizes.append(len(sub.nodes) + len(sub.edges))
    times_ms = sorted(t * 1000 for t in times)
    return {
        "load_s": load_s,
        "load_items_per_s": (len(nodes) + len(edges)) / load_s if load_s else 0.0,
        "two_hop_median_ms": statistics.median(times_ms),
        "two_hop_p90_ms": times_ms[min(len(times_ms) - 1, int(0.9 * len(times_ms)))],
        "two_hop_mean_size": statistics.fmean(sizes),
    }, sizes


def run_bench(
    url: str,
    *,
    n_nodes: int = 100_000,
    n_edges: int = 500_000,
    n_queries: int = 30,
    batch_size: int = 10_000,
    workdir: Path | None = None,
    seed: int = 7,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the benchmark on the Bolt server at ``url`` (its database is cleared) and on an
    embedded store in ``workdir`` (a temporary folder by default)."""
    from graph.neo4j_store import Neo4jStore
    from graph.networkx_store import NetworkxStore

    say = log or (lambda _: None)
    say(f"generating {n_nodes} nodes and {n_edges} relationships …")
    nodes, edges = synthetic_graph(n_nodes, n_edges, seed=seed)
    rng = random.Random(seed + 1)
    orgs = [n.id for n in nodes if n.label == Label.ORGANIZATION]
    starts = rng.sample(orgs, min(n_queries, len(orgs)))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        say("embedded store: loading and querying …")
        embedded = NetworkxStore(Path(tmp) / "bench.db")
        try:
            results["embedded"], sizes_a = time_store(embedded, nodes, edges, starts, batch_size)
        finally:
            embedded.close()
    say(f"Bolt server {url.split('@')[-1]}: loading and querying …")
    bolt = Neo4jStore.from_url(url)
    try:
        bolt.clear()
        results["bolt"], sizes_b = time_store(bolt, nodes, edges, starts, batch_size)
        counts = bolt.counts()
        bolt.clear()
    finally:
        bolt.close()
    if sizes_a != sizes_b:
        raise StoreError("the two stores returned different 2-hop neighbourhoods")
    if sum(counts.values()) != n_nodes + n_edges:
        raise StoreError(f"the server holds {sum(counts.values())} items, not {n_nodes + n_edges}")
    results["setup"] = {
        "nodes": n_nodes,
        "edges": n_edges,
        "queries": len(starts),
        "batch_size": batch_size,
        "server": bolt.server,
        "same_neighbourhoods": True,
    }
    return results
