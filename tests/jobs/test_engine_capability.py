"""The jobs over the real matching engine and the product's embedding models
(multilingual-e5-small and USE fused)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore
from matching.consortium import ConsortiumRequest, form_consortia, is_valid_consortium
from matching.transfers import find_transfers


@pytest.fixture(scope="module")
def engine_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NetworkxStore, object]]:
    from matching.embedders import default_embedder
    from matching.engine import MatchingEngine

    store = NetworkxStore(tmp_path_factory.mktemp("cap") / "c.db")
    org = lambda i, k, n, d: Node(i, "Organization", {"name": n, "kinds": [k], "region": "渝北区", "description": d})  # noqa: E731
    nodes = [
        org("own", "user", "重庆轨道交通集团", "地铁 建设 运营"),
        org("m_tbm", "manufacturer", "重庆盾构装备有限公司", "土压平衡盾构机、泥水平衡盾构机及刀盘的研发制造"),
        org("m_wind", "manufacturer", "重庆风电叶片有限公司", "大型风力发电机组叶片制造"),
        org("r_tun", "university", "重庆交通大学隧道研究院", "隧道掘进 围岩 盾构施工力学研究"),
        org("r_bio", "university", "重庆医科研究院", "生物医药 疫苗 研究"),
        org("d1", "design_institute", "中铁隧道勘察设计院", "地铁隧道 设计"),
        org("i1", "integrator", "轨道系统集成公司", "地铁 系统集成"),
        org("t1", "testing_body", "国家盾构质量检验中心", "盾构机 质量 检测"),
        org("civ", "manufacturer", "精密轴承公司", "大型回转支承与主轴承 密封"),
        Node("eq", "Equipment", {"name": "土压平衡盾构机", "field": "field:construction.tunnel"}),
        Node("proj", "Project", {"name": "重庆地铁十五号线隧道工程", "kind": "key_project",
                                 "description": "采用盾构法施工的地铁区间隧道"}),
        Node("dem", "Demand", {"text": "直径6米级土压平衡盾构机 2台", "field": "field:construction.tunnel"}),
        Node("tech", "Technology", {"name": "舰用大型主轴承长寿命密封技术", "description": "大型主轴承 密封 寿命",
                                    "origin": "military", "clearance": "public", "trl": 7}),
        Node("dem2", "Demand", {"text": "盾构机主轴承密封国产化"}),
        Node("proj2", "Project", {"name": "主轴承国产化", "kind": "key_project"}),
    ]
    edges = [Edge("m_tbm", "MAKES", "eq"), Edge("proj", "OWNED_BY", "own"), Edge("proj", "NEEDS", "dem"),
             Edge("proj2", "OWNED_BY", "own"), Edge("proj2", "NEEDS", "dem2")]
    store.upsert(nodes, edges)
    engine = MatchingEngine(store, default_embedder())
    try:
        yield store, engine
    finally:
        store.close()


def test_consortium_with_real_engine_picks_the_fitting_members(engine_store: tuple[NetworkxStore, object]) -> None:
    store, engine = engine_store
    req = ConsortiumRequest("proj", alternatives=1)
    teams = form_consortia(store, req, fit=engine)  # type: ignore[arg-type]
    assert teams and is_valid_consortium(store, teams[0], req) == []
    ids = teams[0].ids
    assert "m_tbm" in ids and "m_wind" not in ids
    assert "r_tun" in ids and "r_bio" not in ids
    maker = teams[0].by_role("manufacturer")[0]
    assert any(e.get("id") == "eq" for e in maker.evidence)


def test_transfer_with_real_engine_finds_the_absorber(engine_store: tuple[NetworkxStore, object]) -> None:
    _, engine = engine_store
    r = find_transfers(engine, technology="tech")  # type: ignore[arg-type]
    assert r.demands[0].id == "dem2"
    assert r.organizations[0].id in {"civ", "m_tbm"}
