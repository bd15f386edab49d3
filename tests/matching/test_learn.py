"""Learning from the graph: leakage-free examples, parts that add up, calibrated probabilities,
models kept in the store with a version (stand-in embedder: plumbing only)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.cli import build
from graph.model import Edge, Node, Rel
from graph.networkx_store import NetworkxStore
from graph.proximity import CollaborationIndex
from matching.embedders import HashEmbedder
from matching.engine import DEFAULT_CALIBRATION, MatchingEngine, script_share
from matching.learn import (
    LinearRanker,
    RankingSet,
    fit_calibration,
    fit_linear_ranker,
    load_model,
    rank_metrics,
    save_model,
)
from matching.learn.linear import fit_coordinate_ascent, fit_softmax, group_hits_vectors
from matching.learn.partners import (
    PartnerExample,
    cross_fitted_partner_report,
    hidden_partner_examples,
    partner_examples_set,
)
from matching.learn.suppliers import (
    SUPPLIER_FEATURES,
    hidden_supplier_examples,
    supplier_examples_set,
)
from matching.partners import PARTNER_FEATURES, PartnerQuery, PartnerRanker
from matching.results import parts_add_up

from .conftest import small_graph


def _copy_without(src: NetworkxStore, path: Path, hidden: tuple[str, str, str]) -> NetworkxStore:
    """A new store with every node and edge of ``src`` except ``hidden`` (deleted first)."""
    out = NetworkxStore(path)
    out.upsert(list(src.nodes()),
               [e for e in src.edges() if (e.source, e.type, e.target) != hidden])
    return out


# ---- leakage ---------------------------------------------------------------------------------

def test_supplier_example_features_equal_those_with_the_edge_deleted(
        graph_store: NetworkxStore, tmp_path: Path) -> None:
    emb = HashEmbedder()
    examples = [e for e in hidden_supplier_examples(graph_store) if e.answer == "org:shield"]
    assert examples and examples[0].equipment == "eq:shield"
    hidden = supplier_examples_set(graph_store, emb, examples, folds=1)
    deleted = _copy_without(graph_store, tmp_path / "d.db", ("org:shield", Rel.MAKES, "eq:shield"))
    try:
        engine = MatchingEngine(deleted, emb)
        engine.use_model(None)
        ids = [o.id for o in engine.profiles().corpus.orgs if "manufacturer" in o.kinds]
        feats = engine.features(examples[0].text, ids, kinds=("manufacturer",))
        direct = np.column_stack([feats[n] for n in SUPPLIER_FEATURES]).astype(np.float64)
        # and the same query with the edge still there differs (the test can fail)
        with_edge = MatchingEngine(graph_store, emb)
        leaky = with_edge.features(examples[0].text, ids, kinds=("manufacturer",))
    finally:
        deleted.close()
    np.testing.assert_allclose(hidden.x, direct, rtol=0, atol=1e-6)
    assert hidden.y[ids.index("org:shield")] == 1
    row = ids.index("org:shield")
    assert leaky["catalogue"][row] == 1.0 and hidden.column("catalogue")[row] == 0.0


def _cordis_like() -> tuple[list[Node], list[Edge]]:
    nodes = [Node(f"o{i}", "Organization", {"name": f"Org {i}", "kinds": ["university"],
                                             "region": "IT" if i % 2 else "DE"}) for i in range(8)]
    nodes += [Node(f"p{j}", "Project", {"name": f"wind turbine {j}"}) for j in range(5)]
    pairs = [(0, 0), (1, 0), (2, 0), (0, 1), (3, 1), (1, 2), (3, 2), (4, 2), (5, 3), (2, 3),
             (6, 4), (0, 4), (1, 4)]
    edges = [Edge(f"o{i}", "PARTICIPATES_IN", f"p{j}") for i, j in pairs]
    return nodes, edges


def test_partner_example_features_equal_those_with_the_edge_deleted() -> None:
    nodes, edges = _cordis_like()
    full = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    ex = PartnerExample("p2", ("o1", "o3"), "o4")
    hidden = partner_examples_set(full, [ex], folds=1, top_negatives=100, random_negatives=0)
    gone = [e for e in edges if (e.source, e.target) != ("o4", "p2")]
    deleted = PartnerRanker(CollaborationIndex.from_parts(nodes, gone))
    raw, seeds = deleted.part_vectors(PartnerQuery("p2", members=ex.members), extra=True)
    rows = [i for i in range(len(deleted.org_ids)) if i not in seeds]
    direct = np.column_stack([raw[f][rows] for f in PARTNER_FEATURES])
    np.testing.assert_allclose(hidden.x, direct, atol=1e-9)
    # o4's only participation is the hidden one: a newcomer, with degree 0, in its example
    assert bool(hidden.newcomer[0])
    assert hidden.column("degree")[rows.index(deleted.org_pos["o4"])] == 0.0


def test_hidden_partner_examples_take_several_members_of_a_project_one_at_a_time() -> None:
    nodes, edges = _cordis_like()
    r = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    examples = hidden_partner_examples(r, per_project=3, seed=1)
    from_p4 = [e for e in examples if e.project_id == "p4"]  # p4: o6, o0, o1
    assert len(from_p4) >= 2 and len({e.answer for e in from_p4}) == len(from_p4)
    for e in from_p4:
        assert set(e.members) | {e.answer} == {"o6", "o0", "o1"}


def test_cross_fitted_report_never_measures_a_model_on_projects_it_learned_from(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import matching.learn.partners as learn_partners

    nodes, edges = _cordis_like()
    base = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    tasks = [PartnerExample("p0", ("o0", "o1"), "o2"), PartnerExample("p2", ("o1", "o3"), "o4"),
             PartnerExample("p4", ("o0", "o1"), "o6"), PartnerExample("p1", ("o0",), "o3")]
    calls: list[tuple[set[str], PartnerRanker]] = []
    real = learn_partners.train_partners

    def spy(ranker: PartnerRanker, **kw: object) -> object:
        calls.append((set(kw["exclude_projects"]), ranker))  # type: ignore[call-overload]
        return real(ranker, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(learn_partners, "train_partners", spy)
    rows = cross_fitted_partner_report(base, tasks, max_queries=20, folds=1)
    assert len(calls) == 2
    excluded = [c[0] for c in calls]
    assert excluded[0].isdisjoint(excluded[1]) and excluded[0] | excluded[1] == {"p0", "p1",
                                                                                 "p2", "p4"}
    for projects, ranker in calls:  # the part's hidden participations are gone from training
        for t in tasks:
            if t.project_id in projects:
                i, j = ranker.org_pos[t.answer], ranker.project_pos[t.project_id]
                assert ranker.b[i, j] == 0
    by = {r["method"]: r for r in rows}
    assert by["learned"]["n"] == len(tasks) and "default_weights" in by


def test_hidden_partner_examples_never_hide_the_owner() -> None:
    nodes, edges = _cordis_like()
    edges.append(Edge("p0", "OWNED_BY", "o0"))
    r = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    examples = hidden_partner_examples(r, exclude_projects={"p4"}, seed=3)
    assert examples and all(e.project_id != "p4" for e in examples)
    assert all(e.answer != "o0" for e in examples if e.project_id == "p0")
    assert all(e.answer not in e.members for e in examples)


# ---- the learners, metrics and calibration ----------------------------------------------------

def _toy(seed: int = 0, n: int = 60) -> RankingSet:
    rng = np.random.default_rng(seed)
    groups = []
    for q in range(n):
        x = rng.normal(size=(12, 3))
        y = np.zeros(12, np.int64)
        y[np.argmax(x[:, 0] + 0.3 * x[:, 1])] = 1
        groups.append((x, y, f"q{q}", bool(q % 3 == 0)))
    return RankingSet.from_groups("toy", ("a", "b", "noise"), groups)


def test_learners_recover_the_signal_and_beat_noise() -> None:
    train, test = _toy(0).split(0.3, seed=0)
    for model in (fit_linear_ranker(train),
                  fit_coordinate_ascent(train, {"a": 0.1, "b": 0.0, "noise": 0.5}),
                  fit_softmax(train, nonnegative=False)):
        assert model.weights["a"] > abs(model.weights["noise"])
        learned = rank_metrics(model.score_rows(test.x), test)["mrr"]
        noise = rank_metrics(test.column("noise"), test)["mrr"]
        assert learned > noise + 0.3
    m = rank_metrics(test.column("a"), test)
    assert m["newcomers"]["n"] + m["with_history"]["n"] == test.n_groups


def test_softmax_over_a_compressed_pool_equals_the_whole_pool() -> None:
    """A row standing for c identical candidates weighs exactly like c copies of it."""
    rng = np.random.default_rng(4)
    whole, compressed, weights = [], [], []
    for q in range(40):
        answer = rng.normal(size=(1, 2)) + np.array([1.0, 0.0])
        others = rng.normal(size=(3, 2))
        counts = rng.integers(1, 5, size=3)
        compressed.append((np.vstack([answer, others]), np.array([1, 0, 0, 0]), f"q{q}", False))
        weights.append(np.r_[1.0, counts.astype(np.float64)])
        rows = np.vstack([answer, np.repeat(others, counts, axis=0)])
        whole.append((rows, np.r_[1, np.zeros(int(counts.sum()), np.int64)], f"q{q}", False))
    a = fit_softmax(RankingSet.from_groups("t", ("a", "b"), compressed, weights=weights),
                    nonnegative=False)
    b = fit_softmax(RankingSet.from_groups("t", ("a", "b"), whole), nonnegative=False)
    assert a.weights["a"] > 0.5
    for k in ("a", "b"):
        assert a.weights[k] == pytest.approx(b.weights[k], abs=1e-4)


def test_softmax_keeps_fixed_and_nonnegative_weights() -> None:
    train, _ = _toy(2).split(0.3, seed=0)
    model = fit_softmax(train, fixed={"noise": 0.25})
    assert model.weights["noise"] == 0.25
    assert min(model.weights.values()) >= 0.0


def test_coordinate_ascent_never_ends_below_its_start() -> None:
    data = _toy(1)
    start = {"a": 0.0, "b": 1.0, "noise": 0.0}
    model = fit_coordinate_ascent(data, start)
    assert model.info["objective"] >= model.info["objective_at_start"]


def test_group_hits_match_a_brute_force_over_tie_orders() -> None:
    import itertools

    scores = np.array([2.0, 1.0, 1.0, 1.0, 0.5, 3.0, 3.0])
    y = np.array([0, 1, 0, 0, 0, 1, 0])
    group = np.array([0, 0, 0, 0, 0, 1, 1])
    rr, hit = group_hits_vectors(scores, y, group, 2, k=2)
    for g, rows in ((0, [0, 1, 2, 3, 4]), (1, [5, 6])):
        rrs, hits = [], []
        for perm in itertools.permutations(rows):
            order = sorted(perm, key=lambda i: -scores[i])  # stable: ties in perm order
            rank = next(k for k, i in enumerate(order, 1) if y[i])
            rrs.append(1 / rank)
            hits.append(rank <= 2)
        assert rr[g] == pytest.approx(np.mean(rrs))
        assert hit[g] == pytest.approx(np.mean(hits))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-20, 20, allow_nan=False), min_size=2, max_size=30),
       st.integers(0, 10_000))
def test_calibrated_probability_is_monotone_in_the_score(scores: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = np.array(scores)
    y = (rng.random(len(s)) < 1 / (1 + np.exp(-s))).astype(np.int64)
    cal = fit_calibration(s, y)
    assert cal.a > 0
    probs = [cal.probability(v) for v in sorted(s)]
    assert all(a <= b for a, b in itertools.pairwise(probs))
    assert all(0.0 <= p <= 1.0 for p in probs)


def test_calibration_follows_the_labels() -> None:
    rng = np.random.default_rng(0)
    s = rng.normal(size=4000) * 2
    y = (rng.random(4000) < 1 / (1 + np.exp(-(1.5 * s - 1)))).astype(np.int64)
    cal = fit_calibration(s, y)
    assert cal.a == pytest.approx(1.5, abs=0.2) and cal.b == pytest.approx(-1.0, abs=0.2)


# ---- the store, the engine and the CLI -------------------------------------------------------

def test_models_are_kept_with_a_version(graph_store: NetworkxStore) -> None:
    assert load_model(graph_store, "suppliers") is None
    m = LinearRanker("suppliers", {"dense_org": 2.0, "lexical": 0.5})
    assert save_model(graph_store, m).version == 1
    assert save_model(graph_store, m).version == 2
    got = load_model(graph_store, "suppliers")
    assert got is not None and got.version == 2 and dict(got.weights) == dict(m.weights)


def test_engine_defaults_until_trained_then_the_model_with_exact_parts(
        graph_store: NetworkxStore) -> None:
    emb = HashEmbedder()
    plain = MatchingEngine(graph_store, emb)
    assert plain.model is None and plain.calibration == DEFAULT_CALIBRATION
    before = plain.rank_organizations("泥水平衡盾构机", kinds=["manufacturer"], top=5)
    assert set(before[0].parts) <= {"dense_org", "dense_item", "lexical", "ipc", "catalogue",
                                    "insured", "field_text"}
    assert "dense_org" in before[0].parts
    model = LinearRanker("suppliers", {"dense_org": 0.0, "lexical": 3.0, "catalogue": 1.0,
                                       "field_text": 0.2},
                         fit_calibration(np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 0.5]),
                                         np.array([0, 0, 1, 1, 1, 0])))
    save_model(graph_store, model)
    trained = MatchingEngine(graph_store, emb)
    assert trained.model is not None
    hits = trained.rank_organizations("泥水平衡盾构机", kinds=["manufacturer"], top=5,
                                      local=True)
    assert hits and all(parts_add_up(h) for h in hits)
    assert set(hits[0].parts) <= {"lexical", "catalogue", "field_text", "local"}
    assert "local" in hits[0].parts  # the policy option keeps its documented weight
    probs = [h.probability for h in hits]
    assert all(p is not None for p in probs)
    assert probs == sorted(probs, reverse=True)  # the same order as the scores
    assert hits[0].to_json()["score_100"] == round(100 * hits[0].probability)


def test_english_queries_get_no_lexical_part_against_chinese_profiles(
        graph_store: NetworkxStore) -> None:
    assert script_share("盾构机") == 1.0 and script_share("shield machine") == 0.0
    engine = MatchingEngine(graph_store, HashEmbedder())
    ids = ["org:shield", "org:tbm", "org:wind"]
    en = engine.features("slurry shield TBM", ids)
    zh = engine.features("泥水平衡盾构机", ids)
    assert np.all(en["lexical"] == 0.0)
    assert np.any(zh["lexical"] != 0.0)


def test_partner_ranker_with_a_model_adds_up_and_is_calibrated() -> None:
    nodes, edges = _cordis_like()
    r = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    model = LinearRanker("partners", {"coparticipation": 1.0, "ppr_wide": 2.0, "als": 0.5,
                                      "newcomer_country": 0.3}, fit_calibration(
        np.array([0.0, 0.2, 1.0, 2.0, 0.1, 1.5]), np.array([0, 0, 1, 1, 0, 1])))
    hits = r.with_model(model).rank(PartnerQuery("p0"), top=5)
    assert hits and all(parts_add_up(h) for h in hits)
    assert set(hits[0].parts) <= set(model.weights)
    scores = [h.score for h in hits]
    assert [h.probability for h in hits] == [model.calibration.probability(s) for s in scores]
    assert hits[0].probability is not None and hits[0].probability >= hits[-1].probability


def test_a_model_scores_as_its_weights_over_every_feature_computed() -> None:
    """Features a model does not weigh are skipped when scoring; the scores stay the same."""
    nodes, edges = _cordis_like()
    r = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    model = LinearRanker("partners", {"coparticipation": 1.0, "als": 0.5, "cosine": 0.7})
    total, _, _ = r.with_model(model).score_vector(PartnerQuery("p0"))
    raw, _ = r.part_vectors(PartnerQuery("p0"), extra=True)
    expected = sum(w * raw[k] for k, w in model.weights.items())
    np.testing.assert_allclose(total, expected)
    assert raw["proximity"].any()  # computed in full, skipped for this model


def test_cli_train_from_graph_keeps_versions_and_reports_peers(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    store = NetworkxStore(db)
    small_graph(store)
    nodes, edges = _cordis_like()
    store.upsert(nodes, edges)
    store.close()
    runner = CliRunner()
    args = ["train", "--from-graph", "--store", str(db), "--embedder", "hash", "--json"]
    first = runner.invoke(build(), args)
    assert first.exit_code == 0, first.stdout
    payload = json.loads(first.stdout)
    sup, par = payload["jobs"]["suppliers"], payload["jobs"]["partners"]
    assert sup["version"] == 1 and par["version"] == 1
    assert {"default_weights", "dense", "lexical"} <= set(sup["methods"])
    assert {"learned", "default_weights", "coparticipation", "ppr"} <= set(par["methods"])
    second = runner.invoke(build(), args)
    assert json.loads(second.stdout)["jobs"]["suppliers"]["version"] == 2
    store = NetworkxStore(db)
    try:
        saved = load_model(store, "partners")
        assert saved is not None and saved.version == 2
    finally:
        store.close()


def test_cli_train_needs_something_to_learn_from(tmp_path: Path) -> None:
    result = CliRunner().invoke(build(), ["train", "--store", str(tmp_path / "e.db"), "--json"])
    assert result.exit_code != 0
    assert "from-graph" in result.stdout



def test_full_pool_compression_keeps_the_metrics_of_the_whole_directory() -> None:
    from matching.partners_eval import expected_hits

    nodes, edges = _cordis_like()
    nodes += [Node(f"n{i}", "Organization", {"name": f"New {i}", "kinds": ["university"],
                                              "region": "IT"}) for i in range(30)]
    r = PartnerRanker(CollaborationIndex.from_parts(nodes, edges))
    examples = [PartnerExample("p2", ("o1", "o3"), "o4"), PartnerExample("p0", ("o0", "o1"), "o2")]
    full = partner_examples_set(r, examples, folds=1, full_pool=True)
    assert full.weight is not None and full.x.shape[0] < 2 * (len(r.org_ids) - 2)  # compressed
    weights = {"coparticipation": 1.0, "country": 0.3, "newcomer": 0.1, "ppr_wide": 0.5}
    got = rank_metrics(LinearRanker("partners", weights).score_rows(full.x, full.features), full)
    loo = r.without([(e.answer, e.project_id) for e in examples])
    rrs = []
    for e in examples:
        raw, seeds = loo.part_vectors(PartnerQuery(e.project_id, members=e.members), extra=True)
        total = sum(w * raw[k] for k, w in weights.items())
        allowed = np.ones(len(loo.org_ids), bool)
        allowed[seeds] = False
        rrs.append(expected_hits(np.asarray(total), allowed, loo.org_pos[e.answer])[0])
    assert got["mrr"] == pytest.approx(float(np.mean(rrs)), abs=1e-4)


def test_candidate_features_agree_with_features_and_keep_the_answer(
        graph_store: NetworkxStore) -> None:
    engine = MatchingEngine(graph_store, HashEmbedder())
    ids, feats = engine.candidate_features("泥水平衡盾构机", candidates=2, must=["org:wind"])
    assert "org:wind" in ids and "org:inst" not in ids  # kinds: manufacturers only
    direct = engine.features("泥水平衡盾构机", ids, kinds=("manufacturer",))
    assert set(feats) == set(direct)
    for name, col in feats.items():
        np.testing.assert_allclose(col, direct[name], atol=1e-6)


@pytest.mark.parametrize("name", ["matching.learn.dataset", "matching.learn.linear",
                                  "matching.partners", "matching.engine"])
def test_doctests(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
