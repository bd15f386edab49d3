"""Benchmarks for the jobs: consortium formation and partner ranking on synthetic graphs.

Each returns median and p95 latency (ms) of warm queries, beside a simple peer measured in the
same run: greedy best-fit per role (no cohesion, no alternatives) for consortia, and raw
co-participation counts for partners.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from graph.model import Edge, Node
from graph.proximity import CollaborationIndex

__all__ = ["bench_consortium", "bench_partners", "timings"]

_KIND_OF_ROLE = {
    "design_institute": "design_institute",
    "integrator": "integrator",
    "research": "research_institute",
    "manufacturer": "manufacturer",
    "testing_body": "testing_body",
}
_WORDS = ["盾构", "刀盘", "主轴承", "掘进", "隧道", "风电", "叶片", "齿轮箱", "轨道", "转向架", "牵引", "变压器", "电抗器", "数控", "机床"]


def timings(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000.0)
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "runs": float(runs),
    }


def bench_consortium(*, n_roles: int = 6, candidates: int = 50, runs: int = 30, seed: int = 0) -> dict[str, Any]:
    """Consortium for ``n_roles`` roles (user + the others) with ``candidates`` per role."""
    from graph.networkx_store import NetworkxStore
    from matching.consortium import ROLES, ConsortiumRequest, form_consortia
    from matching.embedders import HashEmbedder
    from matching.engine import MatchingEngine
    from matching.jobs_common import ModeFit, fit_scores

    rnd = random.Random(seed)
    roles = [r for r in ROLES if r != "user"][: n_roles - 1]
    nodes: list[Node] = []
    edges: list[Edge] = []
    orgs: list[str] = []
    for role in roles:
        for i in range(candidates):
            oid = f"org:{role}:{i}"
            orgs.append(oid)
            words = " ".join(rnd.sample(_WORDS, 4))
            nodes.append(Node(oid, "Organization", {"name": f"{role}{i} {words}", "kinds": [_KIND_OF_ROLE[role]],
                                                     "region": "渝北区", "description": words}))
    users = [f"org:user:{i}" for i in range(10)]
    nodes += [Node(u, "Organization", {"name": u, "kinds": ["user"], "region": "渝北区"}) for u in users]
    for a in range(10):
        nodes.append(Node(f"al:{a}", "Alliance", {"name": f"联盟{a}"}))
        for j, m in enumerate(rnd.sample(orgs, 15)):
            edges.append(Edge(m, "MEMBER_OF", f"al:{a}", {"role": "lead" if j == 0 else "member"}))
    for p in range(200):
        nodes.append(Node(f"prj:{p}", "Project", {"name": " ".join(rnd.sample(_WORDS, 3)), "kind": "key_project"}))
        edges.append(Edge(f"prj:{p}", "OWNED_BY", rnd.choice(users)))
        for m in rnd.sample(orgs, 4):
            edges.append(Edge(m, "PARTICIPATES_IN", f"prj:{p}"))
    with tempfile.TemporaryDirectory() as tmp:
        store = NetworkxStore(Path(tmp) / "bench.db")
        store.upsert(nodes, edges)
        fit = ModeFit(MatchingEngine(store, HashEmbedder()), "lexical")
        projects = [f"prj:{p}" for p in range(200)]
        it = iter(projects * 10)
        role_counts = {"user": 1, **dict.fromkeys(roles, 1)}

        def ours() -> None:
            form_consortia(store, ConsortiumRequest(next(it), role_counts, alternatives=3,
                                                    candidates_per_role=candidates), fit=fit)

        def greedy() -> None:
            pid = next(it)
            for role in roles:
                got = fit_scores(fit, pid, kinds=[_KIND_OF_ROLE[role]], top=candidates, project_id=pid)
                _ = next(iter(got), None)

        result = {"firstset (3 alternatives)": timings(ours, runs), "greedy best fit (peer)": timings(greedy, runs)}
        store.close()
    return {
        "timings": result,
        "note": f"{n_roles} roles × {candidates} candidates, lexical fit stand-in; goal p95 ≤ 200 ms",
    }


def bench_partners(*, n_orgs: int = 100_000, runs: int = 50, seed: int = 0) -> dict[str, Any]:
    """Partner ranking over ``n_orgs`` organisations (a third of them with history)."""
    from matching.partners import PartnerQuery, PartnerRanker

    rng = np.random.default_rng(seed)
    countries = [f"C{i}" for i in range(30)]
    kinds = ["university", "research_institute", "manufacturer", "user", "other"]
    vocab = [f"w{i}" for i in range(3000)]
    nodes = [
        Node(f"o{i}", "Organization", {
            "name": " ".join(rng.choice(vocab, 3)),
            "kinds": [kinds[i % 5]],
            "region": countries[int(rng.integers(30))],
        })
        for i in range(n_orgs)
    ]
    n_projects = max(n_orgs // 3, 10)
    active = rng.choice(n_orgs, size=n_orgs // 3, replace=False)
    edges: list[Edge] = []
    for p in range(n_projects):
        nodes.append(Node(f"p{p}", "Project", {"name": " ".join(rng.choice(vocab, 8))}))
        for o in rng.choice(active, size=int(rng.integers(3, 8)), replace=False):
            edges.append(Edge(f"o{o}", "PARTICIPATES_IN", f"p{p}"))
    t = time.perf_counter()
    ranker = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    build_s = time.perf_counter() - t
    queries = []
    for _ in range(runs + 1):
        p = int(rng.integers(n_projects))
        queries.append(PartnerQuery(f"p{p}"))
    it = iter(queries * 3)

    def ours() -> None:
        ranker.rank(next(it), top=10)

    # a trained model at its most expensive: every feature weighed (both walks, the factors)
    from matching.learn.linear import LinearRanker
    from matching.partners import PARTNER_FEATURES

    learned = ranker.with_model(LinearRanker("partners", dict.fromkeys(PARTNER_FEATURES, 1.0)))
    t = time.perf_counter()
    learned.rank(queries[0], top=10)  # builds the factors and operators once per store version
    first_model_s = time.perf_counter() - t
    ranker.rank(queries[0], top=10)  # already built: the twin shares them

    def with_model() -> None:
        learned.rank(next(it), top=10)

    def copart() -> None:
        q = next(it)
        members = ranker.members_of(q)
        s = np.zeros(len(ranker.org_ids))
        s[[ranker.org_pos[m] for m in members]] = 1.0
        scores = np.asarray(ranker.b @ (ranker.bt @ s)).ravel()
        np.argpartition(-scores, 10)[:10]

    return {
        "timings": {"firstset (default weights)": timings(ours, runs),
                    "firstset, model weighing every feature": timings(with_model, runs),
                    "co-participation counts (peer)": timings(copart, runs)},
        "build_s": round(build_s, 2),
        "first_model_query_s": round(first_model_s, 2),
        "note": f"{n_orgs:,} organisations, {n_projects:,} projects, {len(edges):,} participations; "
        f"index built in {build_s:.1f} s; goal p95 ≤ 100 ms",
    }
