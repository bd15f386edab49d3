"""IP early warning at scale: ``python benchmarks/bench_ip_risk.py [--patents N] [--queries Q]``.

One product's ``ip_risk`` over 1M patents (100k organisations, synthetic unit vectors of the default
embedder's width: e5 and USE fused, 896), warm: the read model is built once (``ProfileIndex.load``,
as ``firstset bench suppliers`` does: loading 1.1M nodes into a store and embedding them is not what
is measured), then each query is a product already in it (``--equipment``: its vector and its
maker's patents come from the index, no embedding). Reported: median and p95 of the whole call
(subject, exclusions, scan, owners, terms from the store, levels, field summaries), of the scan
alone, and of a numpy brute-force peer in the same run (full product + full argsort
over the patent rows), with a check that both find the same top patents. A text query
(``--text``, real query embedding by the default embedder) is timed too.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.suppliers import synthetic_corpus  # noqa: E402
from graph.model import Edge, Node  # noqa: E402
from graph.networkx_store import NetworkxStore  # noqa: E402
from matching.embedders import normalise_vectors  # noqa: E402
from matching.ip_risk import IpRiskQuery, _view, ip_risk, scan_patents_vectors  # noqa: E402
from matching.profiles import Item, ProfileIndex  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000.0, q)), 1)


def _rss_gb() -> float:
    import psutil

    return round(float(psutil.Process().memory_info().rss) / 2**30, 2)


def _running() -> int:
    """Tasks running right now on the machine (``/proc/loadavg``, this one included)."""
    try:
        with open("/proc/loadavg") as fh:
            return int(fh.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return 1


def _wait_quiet(limit: int, patience: float = 20.0) -> bool:
    """Wait until at most ``limit`` tasks run (checked every 50 ms, up to ``patience`` s)."""
    end = time.monotonic() + patience
    while time.monotonic() < end:
        if _running() <= limit:
            return True
        time.sleep(0.05)
    return False


def run(n_orgs: int, n_patents: int, n_queries: int, n_text: int, top: int = 10,
        quiet: int = 0) -> dict[str, Any]:
    """The measures; ``quiet`` > 0 starts each timed query only when at most that many tasks
    run on the machine (a shared machine: the others' work is not this code's cost)."""
    from matching.embedders import default_embedder
    from matching.engine import MatchingEngine

    out: dict[str, Any] = {"orgs": n_orgs, "patents": n_patents, "queries": n_queries}
    t0 = time.perf_counter()
    model = default_embedder()  # the product's: e5 and USE fused
    corpus, vectors = synthetic_corpus(n_orgs, n_patents, model.dim)
    # One product per queried maker, its vector near one of its maker's patents (a product
    # and its own patents describe the same thing).
    rng = np.random.default_rng(7)
    makers = list(range(n_queries))
    extra = np.empty((len(makers), model.dim), np.float32)
    for j, o in enumerate(makers):
        own = corpus.org_items[o][1:] or [o]
        base = vectors[own[0]]
        noise = rng.standard_normal(model.dim).astype(np.float32) / np.sqrt(model.dim)
        extra[j] = base + 0.3 * noise
        corpus.org_items[o].append(len(corpus.items))
        corpus.items.append(Item(f"eq:{o}", "equipment", f"产品{o}", f"产品{o}"))
    vectors = np.concatenate([vectors, normalise_vectors(extra)])
    store = NetworkxStore(Path(tempfile.mkdtemp(prefix="firstset-ip-")) / "ip.db")
    store.upsert(
        [Node(f"org:{o}", "Organization", {"name": f"单位{o}", "kinds": ["manufacturer"]})
         for o in makers]
        + [Node(f"eq:{o}", "Equipment", {"name": f"产品{o}"}) for o in makers],
        [Edge(f"org:{o}", "MAKES", f"eq:{o}") for o in makers],
    )
    engine = MatchingEngine(store, model)
    index = ProfileIndex(store, engine.embedder)
    index.load(corpus, vectors)
    index.version = store.version()
    engine._profiles["public"] = index  # the read model, built directly (see the docstring)
    del vectors
    gc.collect()
    view = _view(index)
    out["build_s"] = round(time.perf_counter() - t0, 1)
    out["rss_gb"] = _rss_gb()

    ip_risk(engine, IpRiskQuery(equipment="eq:0", top=top))  # warm-up
    total: list[float] = []
    scan: list[float] = []
    peer: list[float] = []
    same = 0
    quiet_hits = 0
    for o in makers:
        if quiet:
            quiet_hits += _wait_quiet(quiet)
        t = time.perf_counter()
        report = ip_risk(engine, IpRiskQuery(equipment=f"eq:{o}", top=top))
        total.append(time.perf_counter() - t)
        assert len(report.risks) == top
        q = index.item_vectors[corpus.org_items[o][-1]]  # the product's own vector
        t = time.perf_counter()
        rows, _, _, _ = scan_patents_vectors(index.item_vectors, view.is_patent, q, top,
                                             sample=view.sample)
        scan.append(time.perf_counter() - t)
        t = time.perf_counter()
        scores = index.item_vectors @ q
        patent_rows = np.flatnonzero(view.is_patent)
        brute = patent_rows[np.argsort(-scores[patent_rows], kind="stable")[:top]]
        peer.append(time.perf_counter() - t)
        same += int(set(rows.tolist()) == set(brute.tolist()))
    out["ip_risk_ms"] = {"median": _pct(total, 50), "p95": _pct(total, 95)}
    out["scan_ms"] = {"median": _pct(scan, 50), "p95": _pct(scan, 95)}
    out["brute_force_peer_ms"] = {"median": _pct(peer, 50), "p95": _pct(peer, 95)}
    out["same_top"] = f"{same}/{len(makers)}"
    if quiet:
        out["quiet"] = {"max_running": quiet, "queries_started_quiet": quiet_hits}
    texts: list[float] = []
    for i in range(n_text):
        t = time.perf_counter()
        ip_risk(engine, IpRiskQuery(text=f"需要大直径盾构机主轴承与刀盘（批次{i}）", org="org:1",
                                    top=top))
        texts.append(time.perf_counter() - t)
    if texts:
        out["ip_risk_text_ms"] = {"median": _pct(texts, 50), "p95": _pct(texts, 95)}
    out["rss_gb_end"] = _rss_gb()
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orgs", type=int, default=100_000)
    ap.add_argument("--patents", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--text-queries", type=int, default=20)
    ap.add_argument("--quiet", type=int, default=0,
                    help="start each timed query when at most this many tasks run (0: never wait)")
    args = ap.parse_args()
    print(json.dumps(run(args.orgs, args.patents, args.queries, args.text_queries,
                         quiet=args.quiet), indent=2))


if __name__ == "__main__":
    main()
