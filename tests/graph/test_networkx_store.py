"""The embedded store's own promises, beyond the contract: the graph in memory after writes
equals a fresh read of the file, another process's writes are picked up, and files of the
first schema are rewritten on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore

_IDS = [f"n{i}" for i in range(8)]
_LABELS = {i: ("Organization" if int(i[1:]) % 2 else "Patent") for i in _IDS}


def _snapshot(store: NetworkxStore) -> dict[str, Any]:
    """Everything a reader can see, in a comparable form."""
    nodes = sorted((n.id, n.label, dict(n.props)) for n in store.nodes())

    def edges(items: list[Edge]) -> list[tuple[tuple[str, str, str], dict[str, Any]]]:
        return sorted((e.key, dict(e.props)) for e in items)

    return {
        "nodes": nodes,
        "edges": edges(list(store.edges())),
        "by_label": {
            label: [n.id for n in store.nodes(label)] for label in ("Organization", "Patent")
        },
        "around": {
            n[0]: (
                edges(store.edges_of(n[0], direction="out")),
                edges(store.edges_of(n[0], direction="in")),
                edges(store.neighbourhood(n[0], 2).edges),
                edges(store.edges_of(n[0], rel="OWNS")),
            )
            for n in nodes
        },
    }


_node = st.builds(
    lambda i, v: Node(i, _LABELS[i], {"v": v}),
    st.sampled_from(_IDS),
    st.integers(0, 2),
)
_edge = st.builds(
    lambda s, t, typ, w: Edge(s, typ, t, {"w": w} if w else {}),
    st.sampled_from(_IDS),
    st.sampled_from(_IDS),
    st.sampled_from(["OWNS", "MAKES", "CITES"]),
    st.integers(0, 2),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.lists(_node, max_size=6), st.lists(_edge, max_size=8)), min_size=1, max_size=4
    )
)
def test_graph_in_memory_after_writes_equals_a_fresh_read(
    tmp_path: Path, writes: list[tuple[list[Node], list[Edge]]]
) -> None:
    path = tmp_path / f"g{abs(hash(repr(writes)))}.db"
    live = NetworkxStore(path)
    live.upsert([Node("n0", "Patent", {"v": 0})])
    live.get("n0")  # the graph is in memory from here: later writes update it in place
    for nodes, edges in writes:
        ends = {e.source for e in edges} | {e.target for e in edges}
        nodes = nodes + [Node(i, _LABELS[i], {"v": 0}) for i in sorted(ends) if not live.has(i)]
        live.upsert(nodes, edges)
        assert _snapshot(live) == _snapshot(NetworkxStore(path))
    live.close()


def test_another_process_writes_are_read_before_this_one_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    mine, theirs = NetworkxStore(path), NetworkxStore(path)
    mine.upsert([Node("a", "Organization", {"name": "甲"})])
    assert mine.has("a")
    theirs.upsert(
        [Node("b", "Organization", {"name": "乙"})], [Edge("b", "COLLABORATED_WITH", "a")]
    )
    mine.upsert([Node("c", "Organization", {"name": "丙"})], [Edge("c", "COLLABORATED_WITH", "b")])
    assert [n.id for n in mine.neighbours("b")] == ["a", "c"]
    assert _snapshot(mine) == _snapshot(NetworkxStore(path))


def test_ids_with_the_separator_and_keys_with_gaps_read_back(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    store = NetworkxStore(path)
    store.upsert(
        [Node("a\x1fb", "Patent", {}), Node("gone", "Patent", {}), Node("c", "Patent", {})],
        [Edge("a\x1fb", "CITES", "c")],
    )
    store.close()
    with sqlite3.connect(path) as db:  # a row removed by hand leaves a gap in the keys
        db.execute("DELETE FROM nodes WHERE id = 'gone'")
    reopened = NetworkxStore(path)
    assert [n.id for n in reopened.nodes()] == ["a\x1fb", "c"]
    assert [e.key for e in reopened.edges_of("c")] == [("a\x1fb", "CITES", "c")]
    reopened.upsert([Node("d", "Patent", {})], [Edge("d", "CITES", "c")])
    assert _snapshot(reopened) == _snapshot(NetworkxStore(path))


def test_labels_and_types_outside_the_model_read_back(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    NetworkxStore(path).upsert(
        [Node("w", "Widget", {"n": 1}), Node("p", "Patent", {})],
        [Edge("w", "LIKES", "p"), Edge("p", "CITES", "p")],
    )
    store = NetworkxStore(path)
    assert store.get("w").label == "Widget" and store.get("p").label == "Patent"
    assert sorted(e.key for e in store.edges_of("p", direction="in")) == [
        ("p", "CITES", "p"),
        ("w", "LIKES", "p"),
    ]
    assert [n.id for n in store.nodes("Widget")] == ["w"]


_SCHEMA_1 = """
CREATE TABLE nodes (id TEXT PRIMARY KEY, label TEXT NOT NULL, props TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE edges (source TEXT NOT NULL, type TEXT NOT NULL, target TEXT NOT NULL,
    props TEXT NOT NULL, PRIMARY KEY (source, type, target)) WITHOUT ROWID;
CREATE TABLE cache (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (ns, key)) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema', '1'), ('version', '7');
INSERT INTO nodes VALUES ('org:a', 'Organization', '{"name":"甲"}'), ('eq:1', 'Equipment', '{}');
INSERT INTO edges VALUES ('org:a', 'MAKES', 'eq:1', '{"since":2020}');
INSERT INTO cache VALUES ('vec', 'k', x'00ff');
"""


def test_a_schema_1_file_is_rewritten_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA_1)
    store = NetworkxStore(path)
    assert store.get("org:a").props == {"name": "甲"}
    assert store.edges_of("eq:1") == [Edge("org:a", "MAKES", "eq:1", {"since": 2020})]
    assert store.version() == 7 and store.cache_get("vec", ["k"]) == {"k": b"\x00\xff"}
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
        assert db.execute("SELECT * FROM edge_rows").fetchall() == [
            ("org:a", "MAKES", "eq:1", '{"since":2020}')
        ]
    assert NetworkxStore(path).counts() == {"Equipment": 1, "MAKES": 1, "Organization": 1}


def _unique_id_indexes(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[1] for row in db.execute("PRAGMA index_list(nodes)") if row[2]]


def test_a_first_load_builds_the_id_index_at_its_end_and_a_failed_one_keeps_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "first.db"
    store = NetworkxStore(path)
    assert _unique_id_indexes(path) == ["nodes_id"]

    def failing() -> Any:
        yield [("a", "Patent", "{}")], []
        raise RuntimeError("the loader found a bad row")

    with pytest.raises(RuntimeError):
        store.upsert_rows(failing())
    assert store.counts() == {} and _unique_id_indexes(path) == ["nodes_id"]
    # an id written twice in the first load into the empty table: found by key, counted once
    report = store.upsert_rows(
        [
            ([("a", "Patent", '{"v":1}'), ("b", "Patent", "{}")], []),
            ([("a", "Patent", '{"v":2}')], [("a", "CITES", "b", "{}")]),
        ]
    )
    assert (report.nodes_created, report.nodes_updated, report.edges_created) == (2, 0, 1)
    assert store.get("a").props == {"v": 2}
    assert _unique_id_indexes(path) == ["nodes_id"]
    with sqlite3.connect(path) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO nodes VALUES (9, 'a', 'Patent', '{}')")  # the index holds
    assert NetworkxStore(path).get("a").props == {"v": 2}
