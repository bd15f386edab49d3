"""Military–civil transfers: directions, parts, evidence, and clearance."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import InvalidRequest, NodeNotFound
from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore
from matching.transfers import find_transfers
from tests.jobs.plumbing import plumbing


@pytest.fixture
def mstore(tmp_path: Path) -> NetworkxStore:
    nodes = [
        Node("mil", "Organization", {"name": "某研究所", "kinds": ["military_unit"]}),
        Node("civ1", "Organization", {"name": "重庆盾构机械公司", "kinds": ["manufacturer"], "description": "盾构机 刀盘 主轴承"}),
        Node("civ2", "Organization", {"name": "风电叶片公司", "kinds": ["manufacturer"], "description": "风电 叶片"}),
        Node("eq1", "Equipment", {"name": "盾构机 主轴承", "field": "field:construction.tunnel"}),
        Node("pat1", "Patent", {"title": "一种盾构机主轴承密封", "abstract": "主轴承 密封 盾构"}),
        Node("t_pub", "Technology", {"name": "高可靠主轴承密封技术", "description": "主轴承 密封 盾构 掘进",
                                     "origin": "military", "field": "field:construction.tunnel", "trl": 7,
                                     "clearance": "public"}),
        Node("t_sec", "Technology", {"name": "绝密 主轴承 密封 盾构", "description": "主轴承 密封 盾构",
                                     "origin": "military", "field": "field:construction.tunnel", "trl": 8,
                                     "clearance": "secret"}),
        Node("t_civ", "Technology", {"name": "民用 技术", "origin": "civil", "clearance": "public"}),
        Node("p_civ", "Project", {"name": "地铁隧道工程", "kind": "key_project"}),
        Node("p_mil", "Project", {"name": "某军用工程", "kind": "military"}),
        Node("d_civ", "Demand", {"text": "盾构机 主轴承 密封 国产化", "field": "field:construction.tunnel"}),
        Node("d_mil", "Demand", {"text": "风电 叶片 军用", "field": "field:power.wind"}),
    ]
    edges = [
        Edge("mil", "OWNS", "t_pub"), Edge("mil", "OWNS", "t_sec"), Edge("civ1", "OWNS", "t_civ"),
        Edge("civ1", "MAKES", "eq1"), Edge("civ1", "OWNS", "pat1"),
        Edge("p_civ", "NEEDS", "d_civ"), Edge("p_mil", "NEEDS", "d_mil"),
        Edge("p_civ", "OWNED_BY", "civ2"), Edge("p_mil", "OWNED_BY", "mil"),
    ]
    s = NetworkxStore(tmp_path / "m.db")
    s.upsert(nodes, edges)
    return s


def test_military_technology_to_civil_demands_and_absorbers(mstore: NetworkxStore) -> None:
    r = find_transfers(plumbing(mstore), technology="t_pub")
    assert r.direction == "military_to_civil"
    assert [h.id for h in r.demands] == ["d_civ"]  # never the military demand
    assert r.organizations[0].id == "civ1"
    best = r.organizations[0]
    assert best.score == pytest.approx(sum(best.parts.values()))
    assert {e["kind"] for e in best.to_json()["evidence"]} >= {"patent", "equipment"}
    assert "mil" not in {h.id for h in r.organizations}


def test_demand_side_respects_clearance(mstore: NetworkxStore) -> None:
    public = find_transfers(plumbing(mstore), demand="d_civ", clearance="public")
    secret = find_transfers(plumbing(mstore), demand="d_civ", clearance="secret")
    assert [h.id for h in public.technologies] == ["t_pub"]
    assert {h.id for h in secret.technologies} == {"t_pub", "t_sec"}
    assert all(h.parts.keys() == {"dense", "lexical", "field", "maturity"} for h in secret.technologies)


def test_civil_org_to_military_demands(mstore: NetworkxStore) -> None:
    assert find_transfers(plumbing(mstore), org="civ2", clearance="public").demands == []  # p_mil restricted
    r = find_transfers(plumbing(mstore), org="civ2", clearance="restricted")
    assert r.direction == "civil_to_military"
    assert [h.id for h in r.demands] == ["d_mil"]
    assert r.demands[0].to_json()["evidence"][0]["id"] == "p_mil"


def test_military_demand_gets_civil_suppliers(mstore: NetworkxStore) -> None:
    r = find_transfers(plumbing(mstore), demand="d_mil", clearance="restricted")
    assert r.direction == "civil_to_military"
    assert r.organizations and r.organizations[0].id == "civ2"


def test_hidden_ids_fail_like_missing_ones(mstore: NetworkxStore) -> None:
    for kwargs in ({"technology": "t_sec"}, {"demand": "d_mil"}):
        with pytest.raises(NodeNotFound) as hidden:
            find_transfers(plumbing(mstore), clearance="public", **kwargs)
        key = next(iter(kwargs))
        with pytest.raises(NodeNotFound) as missing:
            find_transfers(plumbing(mstore), clearance="public", **{key: "nope"})
        assert str(hidden.value).replace(kwargs[key], "X") == str(missing.value).replace("nope", "X")


def test_bad_requests(mstore: NetworkxStore) -> None:
    with pytest.raises(InvalidRequest, match="military origin"):
        find_transfers(plumbing(mstore), technology="t_civ")
    with pytest.raises(InvalidRequest, match="exactly one"):
        find_transfers(plumbing(mstore), technology="t_pub", org="civ1")
    with pytest.raises(InvalidRequest, match="clearance"):
        find_transfers(plumbing(mstore), technology="t_pub", clearance="top")


def test_every_result_passes_its_checker(mstore: NetworkxStore) -> None:
    from matching.read_model import read_model
    from matching.results import Ranked
    from matching.transfers import TransferResult, check_transfers

    engine = plumbing(mstore)
    m = read_model(engine, "restricted")
    for kwargs in ({"technology": "t_pub"}, {"demand": "d_civ"}, {"demand": "d_mil"},
                   {"org": "civ1"}):
        assert check_transfers(m, find_transfers(engine, clearance="restricted", **kwargs)) == []
    # the checker names what a broken result breaks
    good = find_transfers(engine, technology="t_pub", clearance="restricted")
    broken = TransferResult(good.direction, good.source,
                            demands=[Ranked("d_mil", "x", 1.0, {"dense": 0.5})],
                            organizations=[Ranked("mil", "某研究所", 0.0, {})])
    problems = " ".join(check_transfers(m, broken))
    assert "wrong side" in problems and "parts do not add up" in problems
    assert "military unit" in problems
    public = read_model(engine, "public")
    assert "not visible" in " ".join(check_transfers(public, broken))


def test_single_signal_modes_keep_only_their_parts(mstore: NetworkxStore) -> None:
    engine = plumbing(mstore)
    dense = find_transfers(engine, demand="d_civ", mode="dense")
    lexical = find_transfers(engine, demand="d_civ", mode="lexical")
    assert all(set(h.parts) == {"dense"} for h in dense.technologies)
    assert all(set(h.parts) == {"lexical"} for h in lexical.technologies)
