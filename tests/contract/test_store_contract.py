"""One suite, every store: what the ``GraphStore`` protocol promises."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import NodeNotFound, StoreError
from graph.model import Edge, Node
from graph.store import GraphStore, RowBatch


def _sample() -> tuple[list[Node], list[Edge]]:
    nodes = [
        Node("org:a", "Organization", {"name": "重庆甲机械有限公司", "kinds": ["manufacturer"]}),
        Node("org:b", "Organization", {"name": "乙研究院", "kinds": ["research_institute"]}),
        Node("eq:1", "Equipment", {"name": "盾构机", "status": "catalogued"}),
        Node("pat:1", "Patent", {"title": "一种刀盘", "ipc": ["E21D"]}),
        Node("al:1", "Alliance", {"name": "隧道装备联盟"}),
    ]
    edges = [
        Edge("org:a", "MAKES", "eq:1"),
        Edge("org:a", "OWNS", "pat:1"),
        Edge("org:a", "MEMBER_OF", "al:1", {"role": "lead"}),
        Edge("org:b", "MEMBER_OF", "al:1", {"role": "member"}),
    ]
    return nodes, edges


def test_upsert_then_get_returns_what_was_written(store: GraphStore) -> None:
    nodes, edges = _sample()
    report = store.upsert(nodes, edges)
    assert report.nodes_created == 5 and report.edges_created == 4
    for node in nodes:
        got = store.get(node.id)
        assert got.label == node.label and dict(got.props) == dict(node.props)


def test_upsert_is_idempotent(store: GraphStore) -> None:
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    version = store.version()
    again = store.upsert(nodes, edges)
    assert not again.changed and again.unchanged == 9
    assert store.version() == version


def test_upsert_rows_streams_batches_and_counts_each_key_once(store: GraphStore) -> None:
    """Batches of rows form one write: an edge written twice counts once, by the value it had
    before the write; a failure while the batches are read writes nothing."""
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    lead = ("org:a", "MEMBER_OF", "al:1")
    report = store.upsert_rows(
        [
            ([("org:c", "Organization", '{"name":"丙"}')], [(*lead, "{}")]),
            ([], [(*lead, '{"role":"lead"}'), ("org:c", "MAKES", "eq:1", "{}")]),
        ]
    )
    assert (report.nodes_created, report.edges_created, report.edges_updated) == (1, 1, 0)
    assert report.unchanged == 1
    assert dict(store.edges_of("org:a", rel="MEMBER_OF")[0].props) == {"role": "lead"}

    def broken() -> Iterator[RowBatch]:
        yield [("org:d", "Organization", '{"name":"丁"}')], []
        raise RuntimeError("a bad row found late")

    before = store.counts()
    with pytest.raises(RuntimeError, match="found late"):
        store.upsert_rows(broken())
    assert store.counts() == before and not store.has("org:d")
    assert store.labels_of(["org:c", "org:d", "eq:1"]) == {
        "org:c": "Organization",
        "eq:1": "Equipment",
    }


def test_update_replaces_properties(store: GraphStore) -> None:
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    report = store.upsert([Node("eq:1", "Equipment", {"name": "土压平衡盾构机"})])
    assert report.nodes_updated == 1
    assert dict(store.get("eq:1").props) == {"name": "土压平衡盾构机"}


def test_get_missing_raises(store: GraphStore) -> None:
    with pytest.raises(NodeNotFound, match="nope"):
        store.get("nope")
    assert not store.has("nope")


def test_failed_upsert_writes_nothing(store: GraphStore) -> None:
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    before = store.counts()
    with pytest.raises(StoreError):
        store.upsert(
            [Node("org:c", "Organization", {"name": "丙"})], [Edge("org:c", "MAKES", "eq:404")]
        )
    assert store.counts() == before
    assert not store.has("org:c")


def test_label_conflict_is_refused(store: GraphStore) -> None:
    store.upsert([Node("x", "Organization", {"name": "x"})])
    with pytest.raises(StoreError, match="Organization"):
        store.upsert([Node("x", "Patent", {"title": "x"})])
    assert store.get("x").label == "Organization"


def test_find_by_label_and_property(store: GraphStore) -> None:
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    assert [n.id for n in store.find("Organization")] == ["org:a", "org:b"]
    assert [n.id for n in store.find("Organization", kinds="manufacturer")] == ["org:a"]
    assert [n.id for n in store.find("Equipment", status="catalogued")] == ["eq:1"]
    assert store.find("Equipment", status="insured") == []


def test_neighbours_and_directions(store: GraphStore) -> None:
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    assert [n.id for n in store.neighbours("org:a")] == ["al:1", "eq:1", "pat:1"]
    assert [n.id for n in store.neighbours("org:a", rel="MAKES")] == ["eq:1"]
    assert [n.id for n in store.neighbours("al:1", direction="in")] == ["org:a", "org:b"]
    assert store.neighbours("al:1", direction="out") == []
    roles = {e.source: e.props.get("role") for e in store.edges_of("al:1", rel="MEMBER_OF")}
    assert roles == {"org:a": "lead", "org:b": "member"}


def test_neighbourhood_depth(store: GraphStore) -> None:
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    one = store.neighbourhood("org:b", 1)
    assert {n.id for n in one.nodes} == {"org:b", "al:1"}
    two = store.neighbourhood("org:b", 2)
    assert {n.id for n in two.nodes} == {"org:b", "al:1", "org:a"}
    three = store.neighbourhood("org:b", 3)
    assert {n.id for n in three.nodes} == {n.id for n in nodes}
    assert len(three.edges) == 4


def test_subgraph_keeps_only_inner_edges(store: GraphStore) -> None:
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    sub = store.subgraph(["org:a", "eq:1", "missing"])
    assert [n.id for n in sub.nodes] == ["eq:1", "org:a"]
    assert [e.key for e in sub.edges] == [("org:a", "MAKES", "eq:1")]


def test_counts_and_edges(store: GraphStore) -> None:
    nodes, edges = _sample()
    store.upsert(nodes, edges)
    counts = store.counts()
    assert counts["Organization"] == 2 and counts["MEMBER_OF"] == 2 and counts["MAKES"] == 1
    assert sorted(e.key for e in store.edges("OWNS")) == [("org:a", "OWNS", "pat:1")]


def test_cache_roundtrip(store: GraphStore) -> None:
    store.cache_put("vec:test", {"k1": b"\x00\x01", "k2": b"abc"})
    assert store.cache_get("vec:test", ["k1", "k2", "k3"]) == {"k1": b"\x00\x01", "k2": b"abc"}
    assert store.cache_get("other", ["k1"]) == {}


_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_props = st.dictionaries(
    st.sampled_from(["name", "description", "region", "trl", "ipc"]),
    st.one_of(_texts, st.integers(-(10**9), 10**9), st.lists(_texts, max_size=3), st.booleans()),
    max_size=4,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(props=st.lists(_props, min_size=1, max_size=6))
def test_property_upsert_then_get(store: GraphStore, props: list[dict[str, object]]) -> None:
    nodes = [Node(f"p:{i}", "Pitch", p) for i, p in enumerate(props)]
    store.upsert(nodes)
    for node in nodes:
        assert dict(store.get(node.id).props) == node.props


def test_embedded_reopen_builds_the_same_graph_as_networkx_api(tmp_path: object) -> None:
    """The embedded store builds its networkx graph from its arrays, not through networkx's
    API: after a reopen it must equal the API's build."""
    import networkx as nx

    from graph.networkx_store import NetworkxStore

    path = f"{tmp_path}/reopen.db"
    nodes, edges = _sample()
    edges.append(Edge("org:a", "OWNS", "eq:1"))  # a second key between the same pair
    NetworkxStore(path).upsert(nodes, edges)
    reopened = NetworkxStore(path)
    loaded = reopened.graph
    for node in nodes:  # the store's own reads agree
        assert dict(reopened.get(node.id).props) == dict(node.props)
    assert sorted((e.key, dict(e.props)) for e in reopened.edges()) == sorted(
        (e.key, dict(e.props)) for e in edges
    )
    expected = nx.MultiDiGraph()
    for n in nodes:
        expected.add_node(n.id, label=n.label, props=dict(n.props))
    for e in edges:  # edges without properties share one empty attribute dict
        expected.add_edge(e.source, e.target, key=e.type, **({"props": e.props} if e.props else {}))
    assert nx.utils.graphs_equal(loaded, expected)
    bare = [d for _, _, d in loaded.edges(data=True) if not d]
    assert bare and all(d is bare[0] for d in bare)
    assert sorted(loaded.in_edges("eq:1", keys=True)) == [
        ("org:a", "eq:1", "MAKES"),
        ("org:a", "eq:1", "OWNS"),
    ]
    loaded.add_edge("org:b", "eq:1", key="MAKES")  # still a working networkx graph
    assert loaded.has_edge("org:b", "eq:1", key="MAKES")
    reopened.upsert(
        [Node("eq:2", "Equipment", {"name": "架桥机"})], [Edge("org:b", "MAKES", "eq:2")]
    )
    rebuilt = reopened.graph  # a write drops the networkx graph; the next use builds it anew
    assert rebuilt is not loaded and rebuilt.has_edge("org:b", "eq:2", key="MAKES")
    assert not rebuilt.has_edge("org:b", "eq:1", key="MAKES")  # the edit above stayed its own
