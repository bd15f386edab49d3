"""Roadshow shortlists: criteria parts, quotas, diversity, answered demands."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import InvalidRequest
from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore
from matching.roadshow import CRITERIA, parse_quotas, score_pitches, shortlist
from tests.jobs.plumbing import plumbing


@pytest.fixture
def pstore(tmp_path: Path) -> NetworkxStore:
    nodes = [Node("o", "Organization", {"name": "创客", "kinds": ["manufacturer"]}),
             Node("pat", "Patent", {"title": "盾构 刀盘 耐磨"})]
    edges = [Edge("o", "OWNS", "pat")]
    for i in range(4):
        nodes.append(Node(f"tun{i}", "Pitch", {"title": f"盾构 刀盘 方案{i}", "summary": "盾构 刀盘 耐磨 掘进",
                                               "field": "field:construction.tunnel", "stage": "pilot", "trl": 6}))
        edges.append(Edge("o", "PRESENTS", f"tun{i}"))
    for i in range(3):
        nodes.append(Node(f"wind{i}", "Pitch", {"title": f"风电 叶片 方案{i}", "summary": "风电 叶片",
                                                "field": "field:power.wind", "stage": "idea", "trl": 2}))
    nodes += [
        Node("p", "Project", {"name": "隧道", "kind": "key_project"}),
        Node("d1", "Demand", {"text": "盾构 刀盘 耐磨", "budget_wan": 500, "field": "field:construction.tunnel"}),
        Node("d2", "Demand", {"text": "盾构 掘进 刀盘", "budget_wan": 100}),
        Node("d3", "Demand", {"text": "风电 叶片", "status": "closed"}),
        Node("pm", "Project", {"name": "军", "kind": "military", "clearance": "secret"}),
        Node("dm", "Demand", {"text": "风电 叶片 军用", "budget_wan": 9000}),
    ]
    edges += [Edge("p", "NEEDS", "d1"), Edge("p", "NEEDS", "d2"), Edge("p", "NEEDS", "d3"), Edge("pm", "NEEDS", "dm")]
    s = NetworkxStore(tmp_path / "r.db")
    s.upsert(nodes, edges)
    return s


def test_scores_have_visible_parts_and_answered_demands(pstore: NetworkxStore) -> None:
    scored = {p.id: p for p in score_pitches(plumbing(pstore))}
    t = scored["tun0"]
    assert set(t.parts) == set(CRITERIA)
    assert t.score == pytest.approx(sum(t.parts.values()))
    assert {d["id"] for d in t.extra["demands"]} == {"d1", "d2"}
    assert t.parts["maturity"] > scored["wind0"].parts["maturity"]
    assert t.parts["technical_level"] > 0 and t.evidence[0].id == "pat"
    assert scored["wind0"].extra["demands"] == []  # the wind demand is closed, the military one secret


def test_secret_demand_counts_only_with_clearance(pstore: NetworkxStore) -> None:
    public = {p.id: p for p in score_pitches(plumbing(pstore))}
    secret = {p.id: p for p in score_pitches(plumbing(pstore), clearance="secret")}
    assert public["wind0"].parts["market_demand"] == 0
    assert [d["id"] for d in secret["wind0"].extra["demands"]] == ["dm"]


def test_quotas_reserve_and_cap(pstore: NetworkxStore) -> None:
    s = shortlist(plumbing(pstore), size=4, quotas=parse_quotas(["风电装备=2"]))
    fields = [p.extra["field"] for p in s.pitches]
    assert len(s.pitches) == 4 and fields.count("field:power.wind") == 2
    s = shortlist(plumbing(pstore), size=5, quotas={"field:construction.tunnel": 1})
    assert [p.extra["field"] for p in s.pitches].count("field:construction.tunnel") == 1
    assert len(s.pitches) == 4  # only three wind pitches are left to fill the rest
    s = shortlist(plumbing(pstore), size=6, quotas={"field:power.wind": 5})
    assert s.unfilled == {"field:power.wind": 2}


def test_diversity_mixes_fields(pstore: NetworkxStore) -> None:
    plain = shortlist(plumbing(pstore), size=3, diversity=0.0)
    mixed = shortlist(plumbing(pstore), size=3, diversity=0.9)
    assert {p.extra["field"] for p in plain.pitches} == {"field:construction.tunnel"}
    assert len({p.extra["field"] for p in mixed.pitches}) == 2


def test_bad_quotas(pstore: NetworkxStore) -> None:
    with pytest.raises(InvalidRequest, match="FIELD=N"):
        parse_quotas(["wind"])
    with pytest.raises(InvalidRequest, match="more than the size"):
        shortlist(plumbing(pstore), size=1, quotas={"field:power.wind": 2})
