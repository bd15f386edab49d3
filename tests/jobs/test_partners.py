"""Partner recovery: ranking, leave-one-out, honest tie counting, evaluation against peers."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.errors import NodeNotFound
from graph.model import Edge, Node
from graph.proximity import CollaborationIndex
from matching.partners import PartnerQuery, PartnerRanker
from matching.partners_eval import PartnerTask, evaluate_partners, expected_hits, load_partner_tasks


def _world() -> CollaborationIndex:
    nodes = [
        Node("a", "Organization", {"name": "Politecnico di Torino", "kinds": ["university"], "region": "IT"}),
        Node("b", "Organization", {"name": "Universita di Torino", "kinds": ["university"], "region": "IT"}),
        Node("c", "Organization", {"name": "Fiat Research", "kinds": ["manufacturer"], "region": "IT"}),
        Node("d", "Organization", {"name": "Siemens AG", "kinds": ["manufacturer"], "region": "DE"}),
        Node("n", "Organization", {"name": "Camera di commercio Torino", "kinds": ["user"], "region": "IT"}),
        Node("z", "Organization", {"name": "Oslo kommune", "kinds": ["user"], "region": "NO"}),
    ]
    nodes += [Node(f"p{i}", "Project", {"name": t}) for i, t in
              enumerate(["wind turbine blades", "wind turbine gearbox", "urban mobility Torino", "new wind farm"])]
    edges = [Edge("a", "PARTICIPATES_IN", "p0"), Edge("c", "PARTICIPATES_IN", "p0"),
             Edge("a", "PARTICIPATES_IN", "p1"), Edge("c", "PARTICIPATES_IN", "p1"),
             Edge("d", "PARTICIPATES_IN", "p1"), Edge("b", "PARTICIPATES_IN", "p2"),
             Edge("a", "PARTICIPATES_IN", "p3")]
    return CollaborationIndex.from_parts(nodes, edges)


def test_past_partners_rank_first_with_parts_and_evidence() -> None:
    r = PartnerRanker(_world())
    hits = r.rank(PartnerQuery("p3"), top=3)
    assert hits[0].id == "c"
    assert hits[0].score == pytest.approx(sum(hits[0].parts.values()))
    assert hits[0].evidence[0]["kind"] == "co_participation"
    assert "a" not in {h.id for h in hits}  # members are never proposed


def test_kind_filter_and_text_query() -> None:
    r = PartnerRanker(_world())
    hits = r.rank(PartnerQuery(None, "wind blades", "", ("a",), kind="manufacturer"), top=5)
    assert {h.id for h in hits} == {"c", "d"}
    assert r.rank(PartnerQuery(None, "x", "", ("a",), kind="research"), top=5)[0].id == "b"


def test_newcomers_are_ranked_by_priors_not_left_last() -> None:
    r = PartnerRanker(_world())
    hits = r.rank(PartnerQuery("p2", members=("a",)), top=6)
    order = [h.id for h in hits]
    assert order.index("n") < order.index("z")  # same country and name beat a stranger
    newcomer_parts = ("newcomer", "newcomer_country", "newcomer_kind", "newcomer_name")
    n_prior = sum(hits[order.index("n")].parts.get(k, 0.0) for k in newcomer_parts)
    z_prior = sum(hits[order.index("z")].parts.get(k, 0.0) for k in newcomer_parts)
    assert n_prior > z_prior  # the newcomer-only priors are what lift it


def test_unknown_ids() -> None:
    r = PartnerRanker(_world())
    with pytest.raises(NodeNotFound):
        r.rank(PartnerQuery("nope"))
    with pytest.raises(NodeNotFound):
        r.rank(PartnerQuery("p0", members=("ghost",)))


def test_without_forgets_exactly_one_participation() -> None:
    r = PartnerRanker(_world())
    loo = r.without([("c", "p0")])
    assert loo.b.nnz == r.b.nnz - 1
    assert "c" not in loo.members_of(PartnerQuery("p0"))
    assert "c" in r.members_of(PartnerQuery("p0"))  # the original is untouched


def _brute(scores: np.ndarray, target: int, k: int) -> tuple[float, float]:
    rr, hit, n = 0.0, 0.0, 0
    idx = list(range(len(scores)))
    for perm in itertools.permutations(idx):
        order = sorted(idx, key=lambda i: (-scores[i], perm.index(i)))
        rank = order.index(target) + 1
        rr += 1 / rank
        hit += rank <= k
        n += 1
    return rr / n, hit / n


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 2), min_size=1, max_size=6), st.integers(0, 5), st.integers(1, 3))
def test_expected_hits_equal_random_tie_breaking(values: list[int], target: int, k: int) -> None:
    scores = np.array(values, dtype=float)
    target %= len(values)
    rr, rec = expected_hits(scores, np.ones(len(values), dtype=bool), target, ks=(k,))
    want_rr, want_rec = _brute(scores, target, k)
    assert rr == pytest.approx(want_rr)
    assert rec[k] == pytest.approx(want_rec)


def test_constant_scorer_is_not_perfect() -> None:
    rr, rec = expected_hits(np.zeros(1000), np.ones(1000, dtype=bool), 5)
    assert rec[10] == pytest.approx(0.01) and rr < 0.01


def test_evaluation_leaves_the_hidden_edge_out() -> None:
    r = PartnerRanker(_world())
    # c's only tie to p0 is the hidden one; with it left out, co-participation still finds c
    rows = {row["method"]: row for row in evaluate_partners(r, [PartnerTask("p0", ("a",), "c")])}
    assert set(rows) == {"firstset", "hand_weights", "coparticipation", "tfidf", "ppr"}
    assert rows["firstset"]["n"] == 1
    assert rows["coparticipation"]["recall@10"] == 1.0
    # d's only participation is the hidden one: it must look like a newcomer, tied with the rest
    rows = {row["method"]: row for row in evaluate_partners(r, [PartnerTask("p1", ("a", "c"), "d")])}
    assert rows["firstset"]["newcomers"]["n"] == 1
    assert rows["coparticipation"]["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4, abs=1e-4)


def test_evaluation_reports_a_trained_model_beside_the_defaults() -> None:
    from matching.learn.linear import LinearRanker

    r = PartnerRanker(_world())
    tasks = [PartnerTask("p0", ("a",), "c"), PartnerTask("p1", ("a", "c"), "d")]
    same = LinearRanker("partners", r.weights.parts())
    rows = {row["method"]: row for row in evaluate_partners(r, tasks, model=same)}
    assert rows["learned"]["mrr"] == pytest.approx(rows["firstset"]["mrr"])
    only_kind = LinearRanker("partners", {"kind": 1.0})  # a model that differs is told apart
    rows = {row["method"]: row for row in evaluate_partners(r, tasks, model=only_kind)}
    assert rows["learned"]["mrr"] != pytest.approx(rows["firstset"]["mrr"])


def test_cordis_task_format(tmp_path: Path) -> None:
    line = {"project_id": 1, "known_partners": [{"pic": 2}], "heldout": {"pic": 3, "org_type": "HES"}}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(line) + "\n" + json.dumps({"project": "p", "members": ["a"], "answer": "b"}) + "\n")
    tasks = load_partner_tasks(path)
    assert tasks[0] == PartnerTask("cordis:1", ("pic:2",), "pic:3", "HES")
    assert tasks[1] == PartnerTask("p", ("a",), "b")


def test_partner_checker_names_what_a_ranking_breaks(tmp_path: Path) -> None:
    from matching.partners import PartnerQuery, PartnerRanker, check_partners
    from matching.results import Ranked
    from tests.jobs.graphs import random_store

    store = random_store(tmp_path, 11, n_orgs=40, n_projects=6)
    try:
        ranker = PartnerRanker.from_store(store, clearance="secret")
        project = next(iter(ranker.project_ids))
        query = PartnerQuery(project)
        hits = ranker.rank(query, top=5)
        assert check_partners(ranker, query, hits) == []  # rank() checks before returning
        member = ranker.members_of(query)[0]
        broken = [*hits[:1], hits[0], Ranked(member, "x", 1.0, {"a": 0.5}),
                  Ranked("no:such", "y", 0.0, {})]
        problems = " ".join(check_partners(ranker, query, broken))
        assert "listed twice" in problems and "already a member" in problems
        assert "parts do not add up" in problems and "may see" in problems
        assert all("与" in e["text"] for h in hits for e in h.to_json()["evidence"]
                   if e["kind"] == "co_participation")
    finally:
        store.close()


def test_latent_factors_do_not_depend_on_the_order_edges_arrive_in() -> None:
    # two copies of one consortium pattern, and a pair on its own: equal singular values
    nodes = [Node(f"o{i}", "Organization", {"name": f"Org {i}"}) for i in range(8)]
    nodes += [Node(f"p{j}", "Project", {"name": f"P {j}"}) for j in range(5)]
    pattern = [(0, 0), (1, 0), (1, 1), (2, 1)]
    pairs = [(i + 3 * c, j + 2 * c) for c in (0, 1) for i, j in pattern] + [(6, 4), (7, 4)]
    edges = [Edge(f"o{i}", "PARTICIPATES_IN", f"p{j}") for i, j in pairs]
    first = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    rng = np.random.default_rng(3)
    shuffled = [edges[k] for k in rng.permutation(len(edges))]
    second = PartnerRanker(CollaborationIndex.from_parts(nodes[::-1], shuffled))
    query = PartnerQuery("p0")
    a, _ = first.part_vectors(query, extra=True)
    b, _ = second.part_vectors(query, extra=True)
    assert np.allclose(a["als"], b["als"], atol=1e-9)
    assert first.factors().shape[1] >= 1


@pytest.mark.parametrize("dense_cells", [0, 10**9], ids=["arpack", "lapack"])
def test_latent_factors_are_computed_on_one_blas_thread(
        monkeypatch: pytest.MonkeyPatch, dense_cells: int) -> None:
    # another thread count sums in another order, and nearly equal singular values come out as
    # other vectors (CORDIS: up to 0.06 between 1 and 2 threads): the SVD runs on one thread
    import scipy.sparse.linalg
    from threadpoolctl import threadpool_info

    import matching.partners as partners

    seen: list[int] = []

    def watching(real):  # type: ignore[no-untyped-def]
        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
            return real(*args, **kwargs)
        return run

    monkeypatch.setattr(partners, "DENSE_SVD_CELLS", dense_cells)
    monkeypatch.setattr(scipy.sparse.linalg, "svds", watching(scipy.sparse.linalg.svds))
    monkeypatch.setattr(np.linalg, "svd", watching(np.linalg.svd))
    PartnerRanker(_world()).factors()
    assert seen and set(seen) == {1}


def test_forgetting_nothing_keeps_the_ranker_and_its_caches() -> None:
    r = PartnerRanker(_world())
    factors = r.factors()
    assert r.without([("c", "p2"), ("ghost", "p0")]) is r  # c was never in p2
    forgot = r.without([("c", "p0")])
    assert forgot is not r and forgot.degree[forgot.org_pos["c"]] == 1
    assert forgot.factors() is not factors


def test_default_calibration_follows_the_directory_size() -> None:
    import math

    from matching.partners import DEFAULT_CALIBRATION, DEFAULT_CALIBRATION_ORGS

    r = PartnerRanker(_world())  # 6 organisations
    cal = r.calibration()
    assert cal.a == DEFAULT_CALIBRATION.a
    assert cal.b == pytest.approx(DEFAULT_CALIBRATION.b + math.log(DEFAULT_CALIBRATION_ORGS / 6))
    # one of six is far likelier to be the missing member than one of CORDIS's 20k
    assert cal.probability(5.0) > DEFAULT_CALIBRATION.probability(5.0)
    hits = r.rank(PartnerQuery("p3"), top=3)
    assert [h.probability for h in hits] == sorted((h.probability for h in hits), reverse=True)


def test_twins_share_what_is_built_on_first_use() -> None:
    # the server makes a twin per request (with_model): the factors must be built once
    r = PartnerRanker(_world())
    first = r.with_model(None)
    factors = first.factors()
    assert r.factors() is factors and r.with_weights(r.weights).factors() is factors
    assert r.wide_operator() is first.wide_operator()
