"""Training from the graph at scale: ``python -m benchmarks.bench_train --orgs N --patents M``.

Builds a synthetic graph in an embedded store — ``orgs`` organisations (manufacturers, with
one or two products each, the patents shared out among them, and projects of 3–6 members over
a quarter of them) — and times ``firstset train --from-graph``'s two jobs on it:
the supplier set (hidden ``MAKES`` edges in folds, every manufacturer ranked per query) and
the partner set (hidden ``PARTICIPATES_IN`` edges), each with its fit and calibration, as
``firstset train`` runs them on a graph of that size (one fold, the engine's top 200 supplier
candidates per query, sampled partner candidates above 25k organisations).

Texts are short synthetic Chinese profiles and the embedder is the deterministic stand-in
(``HashEmbedder``): 1.1M texts cannot be embedded by the real model on two cores within the
budget, and the vector cache means a real store embeds each text once, before any training.
The store load is timed apart from the training. Goal: training ≤ 10 minutes on 2 cores at
100k organisations and 1M patents.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from graph.model import Edge, Label, Node, Rel
from graph.networkx_store import NetworkxStore

__all__ = ["build_graph", "run_bench"]

WORDS = ("盾构机", "主轴承", "刀盘", "液压", "变压器", "风电", "齿轮箱", "叶片", "核电", "阀门",
         "机器人", "数控", "机床", "传感器", "电池", "储能", "压缩机", "汽轮机", "燃气轮机", "泵")


def _text(rng: np.random.Generator, n: int) -> str:
    return "".join(WORDS[i] for i in rng.integers(len(WORDS), size=n))


def build_graph(store: NetworkxStore, *, orgs: int, patents: int, seed: int = 0) -> None:
    """The synthetic graph (see the module doc), written in batches of one transaction each."""
    rng = np.random.default_rng(seed)
    nodes: list[Node] = []
    edges: list[Edge] = []

    def flush() -> None:
        store.upsert(nodes, edges)
        nodes.clear()
        edges.clear()

    for i in range(orgs):
        nodes.append(Node(f"o{i}", Label.ORGANIZATION, {
            "name": f"企业{i}", "kinds": ["manufacturer"], "region": "重庆",
            "description": _text(rng, 6)}))
        for j in range(1 + int(rng.integers(2))):
            eid = f"e{i}.{j}"
            nodes.append(Node(eid, Label.EQUIPMENT, {"name": _text(rng, 3),
                                                     "description": _text(rng, 8)}))
            edges.append(Edge(f"o{i}", Rel.MAKES, eid))
        if len(nodes) >= 50_000:
            flush()
    for k in range(patents):
        pid = f"pt{k}"
        nodes.append(Node(pid, Label.PATENT, {"title": _text(rng, 4), "abstract": _text(rng, 10)}))
        edges.append(Edge(f"o{int(rng.integers(orgs))}", Rel.OWNS, pid))
        if len(nodes) >= 50_000:
            flush()
    members = np.flatnonzero(rng.random(orgs) < 0.25)
    for p in range(max(orgs // 20, 1)):
        pid = f"pj{p}"
        nodes.append(Node(pid, Label.PROJECT, {"name": _text(rng, 5)}))
        for m in rng.choice(members, int(rng.integers(3, 7)), replace=False):
            edges.append(Edge(f"o{int(m)}", Rel.PARTICIPATES_IN, pid))
    flush()


def run_bench(*, orgs: int, patents: int, max_queries: int = 2000, folds: int = 1,
              seed: int = 0) -> dict[str, Any]:
    from matching.embedders import HashEmbedder
    from matching.learn.partners import train_partners
    from matching.learn.suppliers import train_suppliers
    from matching.partners import PartnerRanker

    out: dict[str, Any] = {"orgs": orgs, "patents": patents, "max_queries": max_queries,
                           "folds": folds}
    with tempfile.TemporaryDirectory() as tmp:
        store = NetworkxStore(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        build_graph(store, orgs=orgs, patents=patents, seed=seed)
        out["load_s"] = round(time.perf_counter() - t0, 1)
        emb = HashEmbedder()
        t1 = time.perf_counter()
        _, rep = train_suppliers(store, emb, max_queries=max_queries, folds=folds,
                                 candidates=200)
        out["suppliers_s"] = round(time.perf_counter() - t1, 1)
        out["suppliers_examples"] = rep["examples"]
        t2 = time.perf_counter()
        ranker = PartnerRanker.from_store(store)
        _, info = train_partners(ranker, max_queries=max_queries, folds=folds)
        out["partners_s"] = round(time.perf_counter() - t2, 1)
        out["partners_examples"] = info["examples"]
        out["train_s"] = round(out["suppliers_s"] + out["partners_s"], 1)
        store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orgs", type=int, default=100_000)
    ap.add_argument("--patents", type=int, default=1_000_000)
    ap.add_argument("--max-queries", type=int, default=2000)
    ap.add_argument("--folds", type=int, default=1)
    a = ap.parse_args()
    print(json.dumps(run_bench(orgs=a.orgs, patents=a.patents, max_queries=a.max_queries,
                               folds=a.folds)))


if __name__ == "__main__":
    main()
