"""Engine plumbing with the deterministic stand-in embedder: filters, parts, policy, evidence,
caching and incremental refresh. Matching *quality* is judged in test_quality.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import InvalidRequest
from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore
from matching.embedders import CachedEmbedder, HashEmbedder
from matching.engine import MatchingEngine, SupplierQuery
from matching.scoring import DEFAULT_WEIGHTS, Weights


def engine(store: NetworkxStore, **kw: object) -> MatchingEngine:
    return MatchingEngine(store, HashEmbedder(64), **kw)  # type: ignore[arg-type]


def test_parts_add_up_and_json_shape(graph_store: NetworkxStore) -> None:
    hits = engine(graph_store).rank_organizations("泥水平衡盾构机", top=10)
    assert hits
    for h in hits:
        assert sum(h.parts.values()) == pytest.approx(h.score, abs=1e-9)
        js = h.to_json()
        assert set(js) == {"id", "name", "score", "parts", "evidence", "probability",
                           "score_100", "level"}
        assert 0 <= js["score_100"] <= 100 and js["level"] in {"high", "medium", "low"}
        for ev in js["evidence"]:
            assert set(ev) == {"kind", "id", "text", "score"}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_kind_field_region_catalogue_insured_filters(graph_store: NetworkxStore) -> None:
    e = engine(graph_store)
    ids = {h.id for h in e.rank_organizations("盾构机", kinds=["manufacturer"], top=50)}
    assert "org:inst" not in ids
    assert "org:owner" not in ids
    tunnel = {h.id for h in e.rank_organizations("设备", field="隧道掘进装备", top=50)}
    assert tunnel == {"org:shield", "org:shield2", "org:twin", "org:tbm"}
    parent = {h.id for h in e.rank_organizations("设备", field="field:construction", top=50)}
    assert parent == tunnel
    cq = {h.id for h in e.rank_organizations("设备", region="重庆", top=50)}
    assert cq == {"org:shield", "org:owner"}
    assert {h.id for h in e.rank_organizations("设备", region="巴南区", top=50)} == {"org:shield"}
    cat = {h.id for h in e.rank_organizations("风电", catalogued=True, top=50)}
    assert cat == {"org:shield", "org:tbm"}  # a strict filter still fills the list
    assert {h.id for h in e.rank_organizations("风电", insured=True, top=50)} == {"org:shield"}


def test_local_preference_is_an_explicit_named_part(graph_store: NetworkxStore) -> None:
    e = engine(graph_store)
    plain = {h.id: h for h in e.rank_organizations("泥水平衡盾构机", top=10)}
    assert all("local" not in h.parts for h in plain.values())
    local = {h.id: h for h in e.rank_organizations("泥水平衡盾构机", local=True, top=10)}
    assert local["org:shield"].parts["local"] == DEFAULT_WEIGHTS.local
    assert local["org:shield"].score - plain["org:shield"].score == pytest.approx(
        DEFAULT_WEIGHTS.local)
    assert local["org:shield2"].parts["local"] == 0.0
    assert local["org:shield2"].score == pytest.approx(plain["org:shield2"].score)


def test_track_record_is_shown_not_ranked(graph_store: NetworkxStore) -> None:
    """org:shield2 has a demonstration; it must earn nothing for it."""
    e = engine(graph_store)
    hits = {h.id: h for h in e.rank_organizations("大直径泥水平衡盾构机", top=10)}
    record = [ev for ev in hits["org:shield2"].evidence if ev.kind == "track_record"]
    assert [ev.id for ev in record] == ["pj:old"]
    assert record[0].score == 0.0
    assert hits["org:shield2"].parts == pytest.approx(hits["org:twin"].parts)
    assert hits["org:shield2"].score == pytest.approx(hits["org:twin"].score)
    assert not any(ev.kind == "track_record" for ev in hits["org:twin"].evidence)


def test_demand_uses_project_owner_proximity_and_path(graph_store: NetworkxStore) -> None:
    e = engine(graph_store)
    hits = e.suppliers(SupplierQuery(demand_id="dm:shield", top=10))
    by_id = {h.id: h for h in hits}
    assert by_id["org:tbm"].parts["proximity"] == pytest.approx(DEFAULT_WEIGHTS.proximity / 2)
    assert by_id["org:shield"].parts["proximity"] == 0.0
    path = [ev for ev in by_id["org:tbm"].evidence if ev.kind == "path"]
    assert path
    assert "隧道装备创新联盟" in path[0].text
    assert path[0].id == "org:owner"
    assert by_id["org:shield"].parts["field"] == DEFAULT_WEIGHTS.field


def test_clearance_hides_technologies(graph_store: NetworkxStore) -> None:
    e = engine(graph_store)
    public = e.rank_organizations("绝密掘进导航技术", top=10)
    assert all(ev.id != "tech:secret" for h in public for ev in h.evidence)
    secret = e.rank_organizations("绝密掘进导航技术", top=10, clearance="secret")
    assert any(ev.id == "tech:secret" for h in secret for ev in h.evidence)
    # the public profile of org:tbm does not depend on the secret text
    assert e.profiles("public").corpus.profile_texts != e.profiles("secret").corpus.profile_texts
    assert "绝密" not in " ".join(e.profiles("public").corpus.profile_texts)


def test_cache_and_incremental_refresh(graph_store: NetworkxStore) -> None:
    inner = HashEmbedder(64)
    e = MatchingEngine(graph_store, inner)
    e.refresh()
    first = inner.calls
    assert first > 0
    e.rank_organizations("盾构机")
    assert inner.calls == first + 1  # only the query was embedded
    # a new engine over the same store reads every vector from the cache
    inner2 = HashEmbedder(64)
    e2 = MatchingEngine(graph_store, inner2)
    e2.refresh()
    assert inner2.calls == 0
    # one new product: only its text is embedded
    graph_store.upsert([Node("eq:new", "Equipment", {"name": "盾构机主驱动"})],
                       [Edge("org:shield", "MAKES", "eq:new")])
    e2.rank_organizations("主驱动", top=3)
    assert inner2.calls == 2  # the new product + the query
    assert isinstance(e2.embedder, CachedEmbedder)
    # a changed text is embedded again; unchanged ones are not
    graph_store.upsert([Node("eq:new", "Equipment", {"name": "盾构机主驱动系统"})])
    e2.refresh()
    assert inner2.calls == 3


def test_similarity_and_features(graph_store: NetworkxStore) -> None:
    e = engine(graph_store)
    sims = e.similarity("海上风电机组", ["org:wind", "org:shield", "org:nope"])
    assert set(sims) == {"org:wind", "org:shield"}
    assert sims["org:wind"].dense_org > sims["org:shield"].dense_org
    assert sims["org:wind"].best_item in {"org:wind", "eq:wind"}
    feats = e.features("海上风电机组", ["org:wind", "org:nope"], project_id="pj:metro")
    assert feats["dense_org"][1] == 0.0
    assert set(feats) >= {"dense_org", "lexical", "proximity", "catalogue"}


def test_modes_keep_only_their_parts(graph_store: NetworkxStore) -> None:
    e = engine(graph_store)
    dense = e.rank_organizations("盾构机", mode="dense", top=3)
    assert set(dense[0].parts) == {"dense_org", "dense_item"}
    lexical = e.rank_organizations("盾构机", mode="lexical", top=3)
    assert set(lexical[0].parts) == {"lexical"}


def test_bad_requests(graph_store: NetworkxStore) -> None:
    e = engine(graph_store)
    with pytest.raises(InvalidRequest, match="unknown field") as info:
        e.rank_organizations("x", field="no such field")
    assert info.value.field == "field"
    with pytest.raises(InvalidRequest, match="empty"):
        e.rank_organizations("  ")
    with pytest.raises(InvalidRequest, match="not a Demand"):
        e.suppliers(SupplierQuery(demand_id="org:wind"))
    with pytest.raises(InvalidRequest, match="no project"):
        e.rank_organizations("x", project_id="pj:none")


def test_custom_weights_and_saved_weights(graph_store: NetworkxStore) -> None:
    w = Weights(lexical=0.0)
    e = engine(graph_store, weights=w)
    assert all("lexical" not in h.parts for h in e.rank_organizations("盾构机"))
    graph_store.cache_put("matching", {"weights": w.to_json().encode()})
    assert engine(graph_store).weights == w
    with pytest.raises(InvalidRequest, match="unknown weight"):
        Weights.from_mapping({"sales": 1.0})


def test_nodes_above_clearance_never_count(graph_store: NetworkxStore) -> None:
    graph_store.upsert(
        [Node("org:mil", "Organization", {"name": "军工盾构所", "kinds": ["manufacturer"],
                                          "description": "泥水平衡盾构机", "clearance": "restricted"}),
         Node("pt:hidden", "Patent", {"title": "盾构机隐蔽导向专利", "clearance": "secret"}),
         Node("pj:mil", "Project", {"name": "军用隧道", "kind": "military"}),
         Node("dm:mil", "Demand", {"text": "盾构机"})],
        [Edge("org:shield", "OWNS", "pt:hidden"), Edge("pj:mil", "NEEDS", "dm:mil"),
         Edge("pj:mil", "OWNED_BY", "org:owner")])
    e = engine(graph_store)
    public = e.rank_organizations("盾构机隐蔽导向", top=50)
    # an organisation's clearance is the qualification it holds (保密资质), not a mark on it
    assert "org:mil" in {h.id for h in public}
    assert all(ev.id != "pt:hidden" for h in public for ev in h.evidence)
    assert "隐蔽" not in " ".join(e.profiles("public").corpus.profile_texts)
    restricted = {h.id for h in e.rank_organizations("盾构机", top=50, clearance="restricted")}
    assert "org:mil" in restricted
    secret = e.rank_organizations("盾构机隐蔽导向专利", top=50, clearance="secret")
    assert any(ev.id == "pt:hidden" for h in secret for ev in h.evidence)
    from graph.errors import NodeNotFound

    with pytest.raises(NodeNotFound):
        e.suppliers(SupplierQuery(demand_id="dm:mil"))
    assert e.suppliers(SupplierQuery(demand_id="dm:mil"), clearance="restricted")
    with pytest.raises(InvalidRequest, match="clearance"):
        e.rank_organizations("x", clearance="top-secret")


def test_a_profile_that_only_names_its_products_says_so(tmp_path: Path) -> None:
    """A maker listed with a product name and a model number gets a profile note in its
    evidence (demands told by function may miss it); one whose product has a sentence does
    not, nor does it once that sentence is added."""
    from matching.engine import THIN_PROFILE_NOTE

    store = NetworkxStore(tmp_path / "thin.db")
    store.upsert(
        [Node("org:list", "Organization", {"name": "甲重工", "kinds": ["manufacturer"]}),
         Node("org:full", "Organization", {"name": "乙重工", "kinds": ["manufacturer"]}),
         Node("eq:list", "Equipment", {"name": "旋挖钻机", "description": "规格型号：XR550D"}),
         Node("eq:full", "Equipment", {"name": "旋挖钻机",
                                       "description": "桩径三米，入岩深度一百米，用于桥梁桩基"})],
        [Edge("org:list", "MAKES", "eq:list"), Edge("org:full", "MAKES", "eq:full")])
    notes = {h.id: [e for e in h.evidence if e.kind == "profile_note"]
             for h in engine(store).rank_organizations("旋挖钻机", top=10)}
    assert [e.text for e in notes["org:list"]] == [THIN_PROFILE_NOTE]
    assert notes["org:full"] == []
    store.upsert([Node("eq:list", "Equipment", {"name": "旋挖钻机", "description":
                                                "最大钻孔直径二点五米，适合卵石和岩层"})], [])
    notes = {h.id: [e for e in h.evidence if e.kind == "profile_note"]
             for h in engine(store).rank_organizations("旋挖钻机", top=10)}
    assert notes["org:list"] == []
