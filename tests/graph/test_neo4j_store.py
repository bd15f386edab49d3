"""The Bolt store: what the contract suite does not show.

Tests that need a server use ``FIRSTSET_TEST_BOLT`` (``make test`` starts ArcadeDB and sets it).
Without it they skip, unless ``FIRSTSET_REQUIRE_BOLT=1``: then they fail, so a CI run that lost
its server cannot pass by skipping. The Cypher grammar check needs Node and
``tools/cypher-lint`` (``make test`` runs ``npm ci`` there) under the same rule.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j.exceptions import ClientError, TransientError

from graph import neo4j_cypher, neo4j_store
from graph.errors import StoreError
from graph.migrate import copy_store
from graph.model import Edge, Label, Node
from graph.neo4j_codec import decode, encode
from graph.neo4j_cypher import CREATE_NODES, STATEMENTS, all_statements, render
from graph.neo4j_store import Neo4jStore
from graph.networkx_store import NetworkxStore

REPO = Path(__file__).resolve().parents[2]
LINT_DIR = REPO / "tools" / "cypher-lint"
REQUIRED = os.environ.get("FIRSTSET_REQUIRE_BOLT") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (FIRSTSET_REQUIRE_BOLT=1, so this fails rather than skips)")
    pytest.skip(reason)


@pytest.fixture
def bolt() -> Iterator[Neo4jStore]:
    url = os.environ.get("FIRSTSET_TEST_BOLT")
    if not url:
        _unavailable("no Bolt server: set FIRSTSET_TEST_BOLT (make test starts one)")
    assert url is not None
    store = Neo4jStore.from_url(url)  # an unreachable server raises here: a failure
    store.clear()
    try:
        yield store
    finally:
        store.close()


def _sample() -> tuple[list[Node], list[Edge]]:
    nodes = [
        Node("org:a", "Organization", {"name": "重庆甲机械", "kinds": ["manufacturer", "user"]}),
        Node("org:b", "Organization", {"name": "乙研究院", "kinds": ["research_institute"]}),
        Node("eq:1", "Equipment", {"name": "盾构机", "status": "catalogued", "budget_wan": 1.5}),
        Node("pat:1", "Patent", {"title": "刀盘", "ipc": ["E21D"], "granted": None}),
    ]
    edges = [
        Edge("org:a", "MAKES", "eq:1"),
        Edge("org:a", "OWNS", "pat:1"),
        Edge("org:a", "COLLABORATED_WITH", "org:b", {"weight": 0.5, "evidence": ["proj:1"]}),
    ]
    return nodes, edges


# ---- the Cypher grammar check ----------------------------------------------------------------


def _lint(statements: dict[str, str]) -> tuple[int, dict[str, list[str]]]:
    node = shutil.which("node")
    if node is None or not (LINT_DIR / "node_modules" / "@neo4j-cypher").is_dir():
        _unavailable("cypher-lint not installed: cd tools/cypher-lint && npm ci")
    assert node is not None
    done = subprocess.run(
        [node, str(LINT_DIR / "lint.mjs")],
        input=json.dumps(statements),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_every_statement_is_valid_neo4j_cypher() -> None:
    statements = all_statements()
    # Every template appears; labels and types differ only in a quoted identifier.
    assert {name.split("[")[0] for name in statements} == set(STATEMENTS)
    assert len(all_statements(every_label=True)) > len(statements)
    code, errors = _lint(statements)
    assert errors == {} and code == 0


def test_grammar_check_fails_on_broken_statements() -> None:
    broken = {
        "typo": render(CREATE_NODES, label="Patent").replace("CREATE", "CREAT"),
        "unclosed": "MATCH (n:FsNode {id: $id RETURN n",
        # ArcadeDB runs this one without complaint; Neo4j refuses it.
        "no_return": "MATCH (n:FsNode) WHERE n.id = $id",
        "duplicate_column": "RETURN count(*) AS n, 1 AS n",
    }
    code, errors = _lint({**broken, "fine": "MATCH (n:FsNode {id: $id}) RETURN n.id AS id"})
    assert code == 1
    assert set(errors) == set(broken)


def test_statements_never_carry_data() -> None:
    """Only checked identifiers are put into statement text; anything else is refused."""
    with pytest.raises(StoreError, match="identifier"):
        render(CREATE_NODES, label="Patent`) DETACH DELETE (n")
    with pytest.raises(StoreError, match="not fully rendered"):
        render(CREATE_NODES)


# ---- pieces that need no server --------------------------------------------------------------


def test_split_url_takes_credentials_from_url_or_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTSET_NEO4J_USER", "envuser")
    monkeypatch.setenv("FIRSTSET_NEO4J_PASSWORD", "envpass")
    monkeypatch.setenv("FIRSTSET_NEO4J_DATABASE", "envdb")
    uri, auth, db, shown = Neo4jStore.split_url("bolt://127.0.0.1:7687")
    assert (uri, auth, db) == ("bolt://127.0.0.1:7687", ("envuser", "envpass"), "envdb")
    assert "envpass" not in shown
    uri, auth, db, shown = Neo4jStore.split_url("neo4j://me:s%3Acret@h:1/graph?region=x")
    assert (uri, auth, db) == ("neo4j://h:1?region=x", ("me", "s:cret"), "graph")
    assert shown == "neo4j://me@h:1/graph"


def test_properties_that_bolt_cannot_hold_survive_as_json() -> None:
    props: dict[str, Any] = {
        "name": "甲",
        "trl": 7,
        "ok": True,
        "ipc": ["E21D", "B23K"],
        "empty": [],
        "nothing": None,
        "nested": {"a": [1, {"b": 2}]},
        "mixed": [1, "a"],
        "huge": 2**70,
        "id": "shadowed",
        "_fs_x": 1,
        "floats": [1.5, 2.5],
        "int_float": [1, 2.5],
    }
    stored = encode(props, node_id="n1")
    assert stored["id"] == "n1" and stored["name"] == "甲" and stored["ipc"] == ["E21D", "B23K"]
    assert set(json.loads(stored["_fs_json"])) == {
        "nothing",
        "nested",
        "mixed",
        "huge",
        "id",
        "_fs_x",
        "int_float",
    }
    assert decode(stored, is_node=True) == props


def test_no_server_side_vector_path_is_left() -> None:
    """The engine scores vectors with numpy from the store's cache on every server; the server
    vector index path was removed (untestable here), statements and all."""
    for name in ("put_vectors", "vectors", "vector_search", "has_vector_index"):
        assert not hasattr(Neo4jStore, name), name
    text = " ".join(all_statements(every_label=True).values())
    assert "VECTOR" not in text.upper() and "FsVector" not in text
    assert "FsVector" not in neo4j_cypher.RESERVED_LABELS


def test_the_store_module_still_offers_its_catalogue_names() -> None:
    """Split by job, the old import paths keep working."""
    assert neo4j_store.render is render and neo4j_store.STATEMENTS is STATEMENTS
    assert neo4j_store.all_statements is all_statements
    names = vars(neo4j_store)
    assert names["CREATE_NODES"] == CREATE_NODES and names["NODE_LABEL"] == "FsNode"
    assert names["_encode"] is encode and names["_decode"] is decode


# ---- against the server ----------------------------------------------------------------------


@pytest.mark.bolt
def test_transient_errors_are_retried(bolt: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = bolt._run

    def flaky(tx: Any, query: str, **params: Any) -> Any:
        calls.append(query)
        if len(calls) <= 2:  # the first two attempts hit a deadlock-like transient error
            raise neo4j_store._QueryFailed(query, TransientError("deadlock detected"))
        return real(tx, query, **params)

    monkeypatch.setattr(bolt, "_run", flaky)
    monkeypatch.setattr(bolt, "retry_base_delay", 0.001)
    nodes, edges = _sample()
    report = bolt.upsert(nodes, edges)
    monkeypatch.undo()
    assert report.nodes_created == 4 and report.edges_created == 3
    assert bolt.counts()["Organization"] == 2


@pytest.mark.bolt
def test_retries_give_up_with_the_query_in_the_error(
    bolt: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always(tx: Any, query: str, **params: Any) -> Any:
        raise neo4j_store._QueryFailed(query, TransientError("still busy"))

    monkeypatch.setattr(bolt, "_run", always)
    monkeypatch.setattr(bolt, "retry_base_delay", 0.001)
    with pytest.raises(StoreError, match=r"still busy[\s\S]*query: UNWIND \$ids") as caught:
        bolt.upsert([Node("x", "Organization", {"name": "x"})])
    assert isinstance(caught.value.__cause__, TransientError)


@pytest.mark.bolt
def test_driver_errors_are_wrapped_with_the_failing_query(bolt: Neo4jStore) -> None:
    with pytest.raises(StoreError, match=r"query: RETURN 1 \+") as caught:
        bolt._read("RETURN 1 +", "test")
    assert isinstance(caught.value.__cause__, ClientError)


@pytest.mark.bolt
def test_error_mid_upsert_rolls_back_everything(
    bolt: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes, edges = _sample()
    bolt.upsert(nodes[:1])
    before, version = bolt.counts(), bolt.version()
    real = bolt._run

    def fail_on_edges(tx: Any, query: str, **params: Any) -> Any:
        if "MERGE (a)-[e:" in query:  # nodes are already written in this transaction
            raise neo4j_store._QueryFailed(query, ClientError("refused"))
        return real(tx, query, **params)

    monkeypatch.setattr(bolt, "_run", fail_on_edges)
    with pytest.raises(StoreError, match="refused"):
        bolt.upsert(nodes, edges)
    monkeypatch.undo()
    assert bolt.counts() == before and bolt.version() == version
    assert not bolt.has("org:b")


@pytest.mark.bolt
def test_awkward_properties_round_trip_on_the_server(bolt: Neo4jStore) -> None:
    props: dict[str, Any] = {
        "name": "重庆\x00甲",
        "nothing": None,
        "nested": {"a": [1, {"b": 2}]},
        "mixed": [1, "a"],
        "huge": 2**70,
        "id": "shadowed",
        "empty": [],
        "f": -0.25,
    }
    bolt.upsert(
        [Node("n1", "Pitch", props), Node("n2", "Pitch", {})],
        [Edge("n1", "CITES", "n2", {"nested": {"x": None}, "w": 1})],
    )
    assert dict(bolt.get("n1").props) == props
    assert [dict(e.props) for e in bolt.edges("CITES")] == [{"nested": {"x": None}, "w": 1}]
    assert not bolt.upsert([Node("n1", "Pitch", props)]).changed
    assert [n.id for n in bolt.find("Pitch", nested={"a": [1, {"b": 2}]})] == ["n1"]
    assert [n.id for n in bolt.find("Pitch", id="shadowed")] == ["n1"]


@pytest.mark.bolt
def test_one_constraint_per_label_and_ids_unique_across_labels(bolt: Neo4jStore) -> None:
    bolt.upsert([Node("x", "Organization", {"name": "x"})])
    with pytest.raises(StoreError, match="Organization"):
        bolt.upsert([Node("x", "Equipment", {"name": "x"})])
    rows = bolt._read("SHOW CONSTRAINTS", "test")
    unique = {
        r["labelsOrTypes"][0]
        for r in rows
        if r["type"] == "UNIQUENESS" and r["properties"] == ["id"]
    }
    assert {"FsNode", *Label} <= unique


@pytest.mark.bolt
def test_round_trips_count_every_query_sent(
    bolt: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes, edges = _sample()
    bolt.upsert(nodes, edges)

    def cost(call: Any) -> int:
        before = bolt.round_trips
        call()
        return bolt.round_trips - before

    assert cost(lambda: bolt.get("org:a")) == 1
    assert cost(lambda: bolt.get_many(["org:a", "org:b", "eq:1"])) == 1
    assert cost(bolt.version) == 1
    assert cost(lambda: bolt.edges_of("org:a")) == 3  # presence, out, in
    assert cost(bolt.counts) == 2
    monkeypatch.setattr(bolt, "fetch_size", 2)  # one query even when it comes in batches
    assert cost(lambda: list(bolt.nodes())) == 1
    assert cost(lambda: list(bolt.edges("MAKES"))) == 1
    # upsert: nodes by id, one CREATE for the new label's node, then the version bump
    assert cost(lambda: bolt.upsert([Node("org:c", "Organization", {"name": "丙"})])) == 3
    assert cost(lambda: bolt.upsert(nodes)) == 1  # unchanged: only the read
    # a retried transaction counts the statements it ran again
    real, failed = bolt._run, list[str]()

    def flaky(tx: Any, query: str, **params: Any) -> Any:
        if not failed:
            failed.append(query)
            bolt._count()  # what the real _run counts before the driver fails
            raise neo4j_store._QueryFailed(query, TransientError("deadlock detected"))
        return real(tx, query, **params)

    monkeypatch.setattr(bolt, "_run", flaky)
    monkeypatch.setattr(bolt, "retry_base_delay", 0.001)
    assert cost(lambda: bolt.get("org:a")) == 2


@pytest.mark.bolt
def test_version_grows_and_clear_keeps_it_growing(bolt: Neo4jStore) -> None:
    v0 = bolt.version()
    bolt.upsert(*_sample())
    v1 = bolt.version()
    bolt.clear()
    assert v0 < v1 < bolt.version() and bolt.counts() == {}


@pytest.mark.bolt
def test_migrate_round_trip_keeps_every_count(bolt: Neo4jStore, tmp_path: Path) -> None:
    nodes, edges = _sample()
    more = [Node(f"pat:{i}", "Patent", {"title": f"p{i}", "ipc": ["E21D"]}) for i in range(2, 40)]
    cites = [Edge(f"pat:{i}", "CITES", f"pat:{i + 1}") for i in range(2, 39)]
    first = NetworkxStore(tmp_path / "first.db")
    first.upsert(nodes + more, edges + cites)
    seen: list[tuple[str, int, int]] = []
    there = copy_store(first, bolt, batch_size=7, progress=lambda *a: seen.append(a))
    assert there.verified and there.nodes == 42 and there.edges == 40
    assert seen[-1] == ("edges", 40, 40) and ("nodes", 42, 42) in seen
    back_store = NetworkxStore(tmp_path / "back.db")
    back = copy_store(bolt, back_store, batch_size=11)
    assert back.verified and back.target_counts == first.counts()
    assert sorted(back_store.nodes(), key=lambda n: n.id) == sorted(
        first.nodes(), key=lambda n: n.id
    )
    assert sorted(e.key for e in back_store.edges()) == sorted(e.key for e in first.edges())
    with pytest.raises(StoreError, match="not empty"):
        copy_store(first, bolt)
    again = copy_store(first, bolt, merge=True)
    assert again.verified and again.nodes_written == 0 and again.unchanged == 82
    first.close()
    back_store.close()
