"""Fixtures for the services (IP early warning, tender check): a small hand-built graph of tunnel
makers, their group, alliance and consortium partners, outsiders' patents (one secret), and an
engine over it with the hashing stand-in embedder (plumbing only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore
from graph.store import GraphStore

DATA = Path(__file__).resolve().parent.parent / "data"
SHARED_PATENTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "cn_patents" / "patents.csv"
SHIELD = "土压平衡盾构机刀盘常压换刀装置"


def _org(oid: str, name: str, **props: object) -> Node:
    return Node(oid, "Organization", {"name": name, "kinds": ["manufacturer"], **props})


def _pt(pid: str, title: str, ipc: list[str], filed: str, granted: str = "", **props: object
        ) -> Node:
    props.setdefault("kind", "invention")
    return Node(pid, "Patent", {"title": title, "ipc": ipc, "filed": filed, "granted": granted,
                                **props})


def filler_patents(n: int = 300) -> tuple[list[Node], list[Edge]]:
    """``n`` real patent titles outside E21D (shared data), owned by one organisation: the
    background that similarities are measured against."""
    import csv

    rows = []
    with open(SHARED_PATENTS, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if "E21" not in row["ipc"]:
                rows.append(row)
            if len(rows) >= n:
                break
    nodes = [Node("org:filler", "Organization", {"name": "背景专利公司", "kinds": ["other"]})]
    edges = []
    for row in rows:
        nodes.append(_pt(row["id"], row["title"], row["ipc"].split(";"), "2019-01-01"))
        edges.append(Edge("org:filler", "OWNS", row["id"]))
    return nodes, edges


def ip_graph(store: GraphStore, *, filler: int = 300) -> None:
    extra_nodes, extra_edges = filler_patents(filler) if filler else ([], [])
    nodes = [*extra_nodes,
        _org("org:maker", "渝隧重工", description="盾构机制造", parent_id="org:holding"),
        _org("org:holding", "渝隧控股集团"),
        _org("org:sister", "渝隧装备", description="盾构机配套", parent_id="org:holding"),
        _org("org:ally", "联盟伙伴公司", description="盾构刀具"),
        _org("org:mate", "联合体伙伴公司", description="盾构机液压"),
        _org("org:rival", "苏隧装备", description="盾构机"),
        _org("org:rival2", "川岳掘进", description="盾构机"),
        _org("org:far", "海风动力", description="风电"),
        _org("org:spy", "某研究所", kinds=["research_institute"]),
        Node("al:tunnel", "Alliance", {"name": "隧道装备创新联盟", "kind": "innovation"}),
        Node("pj:demo", "Project", {"name": "盾构示范工程", "kind": "demonstration"}),
        Node("pj:mil", "Project", {"name": "军用隧道", "kind": "military"}),
        Node("dm:mil", "Demand", {"text": "军用隧道掘进装备"}),
        Node("dm:plan", "Demand", {"text": SHIELD}),
        Node("pj:plan", "Project", {"name": "新线工程"}),
        Node("eq:shield", "Equipment", {"name": "土压平衡盾构机", "description": SHIELD,
                                        "field": "field:construction.tunnel"}),
        _pt("pt:own", "一种盾构机刀盘常压换刀装置", ["E21D 9/08"], "2015-01-10", "2016-05-01"),
        _pt("pt:own_far", "海上风电机组变桨控制方法", ["F03D 7/04"], "2015-01-10", "2016-05-01"),
        _pt("pt:sister", "盾构机刀盘常压换刀装置及方法", ["E21D 9/08"], "2016-02-01", "2017-01-01"),
        _pt("pt:ally", "盾构机刀盘常压换刀刀具", ["E21D 9/08"], "2016-02-01", "2017-01-01"),
        _pt("pt:mate", "盾构机刀盘常压换刀液压系统", ["E21D 9/08"], "2016-02-01", "2017-01-01"),
        _pt("pt:rival1", "一种土压平衡盾构机刀盘常压换刀装置", ["E21D 9/08"], "2018-03-01",
            "2019-06-01"),
        _pt("CN215000001U", "盾构机刀盘常压换刀结构", ["E21D 9/08"], "2021-03-01", kind=""),
        _pt("pt:rival_old", "盾构机刀盘常压换刀机构", ["E21D 9/08"], "2001-03-01", "2003-01-01"),
        _pt("pt:rival_dead", "盾构机刀盘常压换刀组件", ["E21D 9/08"], "2018-03-01", "2019-01-01",
            legal_status="未缴年费终止"),
        _pt("pt:far", "海上风电机组变桨轴承", ["F03D 7/00"], "2019-01-01", "2020-01-01"),
        _pt("pt:secret", "盾构机刀盘常压换刀绝密装置", ["E21D 9/08"], "2019-01-01",
            "2020-01-01", clearance="secret"),
    ]
    edges = [
        *extra_edges,
        Edge("org:maker", "MAKES", "eq:shield"),
        Edge("org:maker", "OWNS", "pt:own"),
        Edge("org:maker", "OWNS", "pt:own_far"),
        Edge("org:sister", "OWNS", "pt:sister"),
        Edge("org:ally", "OWNS", "pt:ally"),
        Edge("org:mate", "OWNS", "pt:mate"),
        Edge("org:rival", "OWNS", "pt:rival1"),
        Edge("org:rival", "OWNS", "CN215000001U"),
        Edge("org:rival", "OWNS", "pt:rival_old"),
        Edge("org:rival2", "OWNS", "pt:rival_dead"),
        Edge("org:far", "OWNS", "pt:far"),
        Edge("org:spy", "OWNS", "pt:secret"),
        Edge("org:maker", "MEMBER_OF", "al:tunnel"),
        Edge("org:ally", "MEMBER_OF", "al:tunnel"),
        Edge("org:maker", "PARTICIPATES_IN", "pj:demo"),
        Edge("org:mate", "PARTICIPATES_IN", "pj:demo"),
        Edge("pj:mil", "NEEDS", "dm:mil"),
        Edge("pj:plan", "NEEDS", "dm:plan"),
    ]
    store.upsert(nodes, edges)


@pytest.fixture
def ip_store(tmp_path: Path) -> Iterator[NetworkxStore]:
    store = NetworkxStore(tmp_path / "ip.db")
    ip_graph(store)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def ip_engine(ip_store: NetworkxStore) -> object:
    from matching.embedders import HashEmbedder
    from matching.engine import MatchingEngine

    return MatchingEngine(ip_store, HashEmbedder(dim=128))
