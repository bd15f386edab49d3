"""Percolation benchmark: W watches × N new items as one matrix product, against a loop of
queries (one matrix–vector product per watch) on a slice of the same data, in the same run.

``python benchmarks/bench_percolate.py [--watches 10000] [--items 100000] [--dim 384]
[--peer-watches 500] [--runs 3]`` prints JSON: median seconds of ``percolate_vectors`` on the
whole load, median seconds of ``percolate_loop_vectors`` on ``peer-watches`` watches, the loop's
time scaled to all watches, and the ratio. Vectors are synthetic and normalised (the width of
multilingual-e5-small); thresholds sit at z = 3 of each query's dot products with a 4,096-item
sample, as the service sets them. Results are checked equal on the peer's slice.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.embedders import normalise_vectors
from matching.watches import percolate_loop_vectors, percolate_vectors, query_stats_vectors


def _unit(rng: np.random.Generator, n: int, d: int) -> NDArray[np.float32]:
    return normalise_vectors(rng.standard_normal((n, d), dtype=np.float32))


def bench(watches: int, items: int, dim: int, peer_watches: int, runs: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    # items drawn around a few hundred topics, as patents are; queries near some of them
    topics = _unit(rng, 300, dim)
    m = normalise_vectors(topics[rng.integers(0, 300, items)] + 0.9 * _unit(rng, items, dim))
    q = normalise_vectors(topics[rng.integers(0, 300, watches)] + 0.9 * _unit(rng, watches, dim))
    mean, std = query_stats_vectors(m[:4096], q)
    thr = (mean + 3.0 * std).astype(np.float32)

    full: list[float] = []
    found = 0
    for _ in range(runs):
        t = time.perf_counter()
        w, _i, _s = percolate_vectors(m, q, thr)
        full.append(time.perf_counter() - t)
        found = int(w.size)
    peer: list[float] = []
    for _ in range(runs):
        t = time.perf_counter()
        lw, li, _ls = percolate_loop_vectors(m, q[:peer_watches], thr[:peer_watches])
        peer.append(time.perf_counter() - t)
    sw, si, _ss = percolate_vectors(m, q[:peer_watches], thr[:peer_watches])
    order = np.lexsort((li, lw))
    assert sw.tolist() == lw[order].tolist() and si.tolist() == li[order].tolist()
    product_s = statistics.median(full)
    loop_s = statistics.median(peer)
    loop_all = loop_s * watches / peer_watches
    return {
        "watches": watches, "items": items, "dim": dim, "cores": os.cpu_count(),
        "matches": found, "product_s": round(product_s, 2),
        "product_runs_s": [round(x, 2) for x in full],
        "peer_watches": peer_watches, "loop_s": round(loop_s, 2),
        "loop_scaled_to_all_watches_s": round(loop_all, 1),
        "ratio_loop_to_product": round(loop_all / product_s, 1),
        "budget_s": 60, "within_budget": product_s <= 60,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--watches", type=int, default=10_000)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--peer-watches", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    print(json.dumps(bench(a.watches, a.items, a.dim, a.peer_watches, a.runs), indent=1))


if __name__ == "__main__":
    main()
