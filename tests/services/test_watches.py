"""Watches and the percolator: the matrix product against its loop oracle, and the contract —
load the demo, save watches, load a second batch, get exactly the alerts expected, none twice
after re-loading it; nothing the owner may not see; a watch on nearly everything refused."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.information import add_watch, after_load, open_watch_store
from api.settings import Settings
from api.watch_store import WatchStore
from graph.clearance import is_visible
from graph.errors import InvalidRequest
from graph.networkx_store import NetworkxStore
from ingest.generate.demo import write_demo
from ingest.load import load_paths
from matching.watches import (
    Percolator,
    WatchQuery,
    is_valid_match,
    percolate_loop_vectors,
    percolate_vectors,
    query_stats_vectors,
)

BEARING = "需要大直径盾构机主轴承和盾构刀盘滚刀"
MONORAIL = "跨座式单轨车辆转向架"
NEW_IDS = ("eq:b2-bearing", "eq:b2-filler", "CN-B2-0001", "CN-B2-0002", "tech:b2-secret",
           "pitch:b2-0001")


# ---- the pure function against its oracle ------------------------------------------------


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 60), w=st.integers(1, 12), chunk=st.integers(1, 70),
       seed=st.integers(0, 10_000))
def test_percolate_equals_loop_of_queries(n: int, w: int, chunk: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    items, queries = _unit(rng, n, 8), _unit(rng, w, 8)
    thr = rng.uniform(-0.2, 0.6, w).astype(np.float32)
    got = percolate_vectors(items, queries, thr, chunk=chunk)
    want = percolate_loop_vectors(items, queries, thr)
    order = np.lexsort((want[1], want[0]))
    assert got[0].tolist() == want[0][order].tolist()
    assert got[1].tolist() == want[1][order].tolist()
    np.testing.assert_allclose(got[2], want[2][order], rtol=1e-5, atol=1e-6)
    assert all(s >= thr[q] for q, s in zip(got[0].tolist(), got[2].tolist(), strict=True))


def test_query_stats_match_numpy() -> None:
    rng = np.random.default_rng(3)
    sample, q = _unit(rng, 50, 16), _unit(rng, 4, 16)
    mean, std = query_stats_vectors(sample, q)
    sims = sample @ q.T
    np.testing.assert_allclose(mean, sims.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(std, sims.std(axis=0), rtol=1e-4)
    with pytest.raises(ValueError, match="thresholds"):
        percolate_vectors(sample, q, np.zeros(3, np.float32))


# ---- the demo contract, with the real model ------------------------------------------------


def write_batch(folder: Path, *, bearing_text: str = "直径8米级盾构机主驱动主轴承，三排圆柱滚子结构"
                ) -> Path:
    """A second batch: new equipment, patents, a secret technology and a pitch, two of each
    kind on the bearing subject or far from it, referencing demo organisations."""
    folder.mkdir(parents=True, exist_ok=True)

    def w(name: str, header: list[str], rows: list[list[str]]) -> None:
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            out.writerows(rows)

    w("equipment", ["id", "name", "maker_ids", "field", "description", "status"], [
        ["eq:b2-bearing", "超大直径盾构机主轴承", "org:0001", "field:construction.tunnel",
         bearing_text, "developing"],
        ["eq:b2-filler", "液态食品无菌灌装生产线", "org:0002", "", "每小时灌装2万瓶，适用于乳品饮料",
         ""],
    ])
    w("patents", ["id", "title", "abstract", "ipc", "owner_ids"], [
        ["CN-B2-0001", "一种盾构刀盘滚刀磨损在线监测装置", "在盾构刀盘上安装传感器实时监测滚刀磨损",
         "E21D", "org:0001"],
        ["CN-B2-0002", "一种茶叶揉捻机", "茶叶加工揉捻设备", "A23F", "org:0002"],
    ])
    w("technologies", ["id", "name", "description", "origin", "field", "trl", "owner_id",
                       "clearance"], [
        ["tech:b2-secret", "盾构机主轴承长寿命热处理技术", "超大型轴承渗碳热处理工艺，用于盾构机主轴承",
         "military", "field:construction.tunnel", "6", "org:0001", "secret"],
    ])
    w("pitches", ["id", "title", "summary", "org_id", "field", "stage", "trl"], [
        ["pitch:b2-0001", "跨座式单轨车辆新型转向架", "团队研发跨座式单轨车辆转向架，降低轮胎磨耗",
         "org:0010", "field:rail", "prototype", "5"],
    ])
    return folder


@pytest.fixture(scope="module")
def e5() -> Any:
    from matching.embedders import E5Embedder

    return E5Embedder()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, scale=0.1)
    return folder


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path, e5: Any) -> Path:
    """The demo loaded once, its texts embedded once (the vectors are cached in the file)."""
    from matching.engine import MatchingEngine

    path = tmp_path_factory.mktemp("demo-db") / "demo.db"
    store = NetworkxStore(path)
    load_paths(store, [demo_dir])
    for level in ("public", "restricted", "secret"):
        MatchingEngine(store, e5).profiles(level)
    store.close()
    return path


@pytest.fixture
def world(tmp_path: Path, demo_db: Path, e5: Any) -> Iterator[dict[str, Any]]:
    import shutil

    from matching.engine import MatchingEngine

    for suffix in ("", "-wal", "-shm"):
        src = demo_db.with_name(demo_db.name + suffix)
        if src.exists():
            shutil.copy(src, tmp_path / f"s.db{suffix}")
    store = NetworkxStore(tmp_path / "s.db")
    s = Settings(keys_file=tmp_path / "keys.json")
    engine = MatchingEngine(store, e5)
    db = open_watch_store(s)
    try:
        yield {"store": store, "settings": s, "engine": engine, "db": db, "tmp": tmp_path}
    finally:
        db.close()
        store.close()


def _oracle(world: dict[str, Any], e5: Any, watches: list[Any]) -> dict[tuple[str, str], float]:
    """Brute force, one watch and one new item at a time: the read model's vector of each new
    item the watch owner may see (pitches embedded here from their title and summary), the
    query embedded afresh, z against the read model's item sample."""
    store, engine = world["store"], world["engine"]
    out: dict[tuple[str, str], float] = {}
    for w in watches:
        p = engine.profiles(w.clearance)
        rows = {it.id: r for r, it in enumerate(p.corpus.items)}
        q = e5.embed_queries([w.query])[0]
        sims = p.item_sample_vectors @ q
        mean, std = float(sims.mean()), float(sims.std())
        for node in store.get_many(NEW_IDS):
            if not is_visible(node, w.clearance):
                continue
            if node.label == "Pitch":
                vec = e5.embed_documents([f"{node.title}。{node.get('summary')}"])[0]
            else:
                vec = p.item_vectors[rows[node.id]]
            z = (float(vec @ q) - mean) / std
            if z >= w.threshold:
                out[(w.id, node.id)] = z
    return out


def test_demo_second_batch_gives_exactly_the_expected_alerts(world: dict[str, Any], e5: Any
                                                              ) -> None:
    store, s, engine, db = world["store"], world["settings"], world["engine"], world["db"]
    w_pub = add_watch(db, store, engine, owner="cli", clearance="public", text=BEARING,
                      settings=s)
    w_rail = add_watch(db, store, engine, owner="cli", clearance="public", text=MONORAIL,
                       settings=s)
    w_sec = add_watch(db, store, engine, owner="cli", clearance="secret", text=BEARING,
                      settings=s)
    w_dem = add_watch(db, store, engine, owner="cli", clearance="public", demand="dem:0002",
                      settings=s)
    watches = [w_pub, w_rail, w_sec, w_dem]
    assert db.alerts() == []  # what existed when the watch was saved is the baseline

    report = load_paths(store, [write_batch(world["tmp"] / "b2")])
    done = after_load(store, report, engine=engine, settings=s)
    assert done is not None and done["load"] and "error" not in done
    alerts = db.alerts()
    got = {(a.watch, a.item): a.score for a in alerts}
    want = _oracle(world, e5, watches)
    assert set(got) == set(want)
    for key, z in want.items():
        assert got[key] == pytest.approx(z, abs=2e-3)
    # and what a person expects of these watches
    assert {(w_pub.id, "eq:b2-bearing"), (w_pub.id, "CN-B2-0001"),
            (w_rail.id, "pitch:b2-0001"), (w_sec.id, "tech:b2-secret"),
            (w_dem.id, "CN-B2-0001")} <= set(got)
    assert not {k for k in got if k[1] in ("eq:b2-filler", "CN-B2-0002")}
    assert not {k for k in got if k[1] == "tech:b2-secret" and k[0] != w_sec.id}
    assert not {k for k in got if k[0] == w_rail.id and k[1] != "pitch:b2-0001"}
    for a in alerts:
        payload = a.to_json()
        assert set(payload) == {"id", "watch", "item", "label", "name", "score", "parts",
                                "evidence", "load", "created"}
        assert payload["load"] == done["load"]
        assert sum(payload["parts"].values()) == pytest.approx(payload["score"], abs=1e-5)
        assert payload["evidence"][0]["id"] == a.item
    bearing = next(a for a in alerts if a.item == "eq:b2-bearing")
    assert {"kind": "owner", "id": "org:0001"}.items() <= bearing.evidence[1].items()

    # the same batch again: nothing new, nothing twice
    again = load_paths(store, [world["tmp"] / "b2"])
    after_load(store, again, engine=engine, settings=s)
    assert len(db.alerts()) == len(alerts)

    # a changed item is scored again but never alerts a watch twice
    changed = write_batch(world["tmp"] / "b3", bearing_text="主轴承，另附：跨座式单轨车辆转向架配件")
    (changed / "pitches.csv").unlink()
    after_load(store, load_paths(store, [changed]), engine=engine, settings=s)
    pairs = [(a.watch, a.item) for a in db.alerts()]
    assert len(pairs) == len(set(pairs))


def test_refuses_a_watch_on_nearly_everything(world: dict[str, Any]) -> None:
    store, s, engine, db = world["store"], world["settings"], world["engine"], world["db"]
    with pytest.raises(InvalidRequest, match=r"\d+ of \d+ items \(\d+%\)") as caught:
        add_watch(db, store, engine, owner="cli", clearance="public", text=BEARING,
                  threshold=-3.0, settings=s)
    assert caught.value.field == "threshold"
    assert db.watches() == []


def test_hidden_demand_is_like_a_missing_one(world: dict[str, Any]) -> None:
    store, s, engine, db = world["store"], world["settings"], world["engine"], world["db"]
    hidden = next(n.id for n in store.nodes("Technology") if not is_visible(n, "public"))
    errors = []
    for tid in (hidden, "tech:none"):
        with pytest.raises(InvalidRequest) as caught:
            add_watch(db, store, engine, owner="cli", clearance="public", technology=tid,
                      settings=s)
        errors.append(str(caught.value).replace(tid, "ID"))
    assert errors[0] == errors[1]
    ok = add_watch(db, store, engine, owner="cli", clearance="secret", technology=hidden,
                   settings=s)
    assert ok.exclude == (hidden,)


def test_matches_pass_their_checker(world: dict[str, Any]) -> None:
    perc = Percolator(world["engine"])
    queries = [WatchQuery("a", BEARING, 1.0), WatchQuery("b", MONORAIL, 1.5, labels=("Patent",)),
               WatchQuery("c", BEARING, 1.0, field="field:construction.tunnel")]
    matches = perc.score(queries, "public")
    assert matches and {m.watch for m in matches} == {"a", "b", "c"}
    by_id = {q.id: q for q in queries}
    for m in matches:
        assert is_valid_match(m, by_id[m.watch]) == []
    assert is_valid_match(matches[0], WatchQuery(matches[0].watch, BEARING, 99.0))


# ---- plumbing: the CLI contract, with the stand-in embedder ---------------------------------


def test_cli_watch_add_list_alerts_rm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      demo_dir: Path) -> None:
    from api.cli import app, build

    build()
    runner = CliRunner()
    monkeypatch.setenv("FIRSTSET_KEYS_FILE", str(tmp_path / "keys.json"))
    monkeypatch.setenv("FIRSTSET_EMBEDDER", "hash")
    db = str(tmp_path / "s.db")

    def run(*args: str) -> tuple[int, Any]:
        r = runner.invoke(app, [*args, "--json"])
        return r.exit_code, json.loads(r.stdout) if r.stdout.strip() else None

    assert run("ingest", str(demo_dir), "--store", db)[0] == 0
    code, made = run("watch", "add", "--text", BEARING, "--threshold", "1.5", "--store", db)
    assert code == 0, made
    assert made["id"].startswith("watch:") and made["threshold"] == 1.5 and made["open"]
    code, bad = run("watch", "add", "--text", BEARING, "--rate", "hourly", "--store", db)
    assert code == 1 and "rate" in bad["error"]
    code, listed = run("watch", "list")
    assert [w["id"] for w in listed["watches"]] == [made["id"]]

    code, loaded = run("ingest", str(write_batch(tmp_path / "b2")), "--store", db)
    assert code == 0 and loaded["errors"] == []
    code, out = run("alerts")
    assert code == 0 and out["alerts"], out
    first = out["alerts"][0]
    assert set(first) == {"id", "watch", "item", "label", "name", "score", "parts",
                          "evidence", "load", "created"}
    assert all(a["item"] != "tech:b2-secret" for a in out["alerts"])  # public watch
    code, none = run("alerts", "--since", out["alerts"][-1]["created"])
    assert code == 0 and none["alerts"] == []
    code, bad = run("alerts", "--since", "yesterday")
    assert code == 1 and "ISO" in bad["error"]
    code, other = run("alerts", "--watch", "watch:none")
    assert other["alerts"] == []
    assert run("alerts", "--owner", "key:nobody")[1]["alerts"] == []
    assert len(run("alerts", "--owner", "cli")[1]["alerts"]) == len(out["alerts"])

    assert run("watch", "rm", made["id"])[0] == 0
    assert run("watch", "list")[1]["watches"] == []
    assert run("watch", "rm", made["id"])[0] == 1
    # the store shows what the load brought
    shown = WatchStore(tmp_path / "firstset-watches.db")
    assert {a.load for a in shown.alerts()} == {first["load"]}
    shown.close()


# ---- clearance, as a property ------------------------------------------------------------

MARKS = ("", "public", "restricted", "secret", "top-secret")


@settings(max_examples=12, deadline=None)
@given(marks=st.lists(st.sampled_from(MARKS), min_size=3, max_size=10),
       seed=st.integers(0, 1000))
def test_alerts_never_exceed_the_owner_clearance(marks: list[str], seed: int) -> None:
    """Whatever the marks on new items, a watch alerts on exactly the new items its owner may
    see (a threshold of -10 passes every item), and on nothing else."""
    import tempfile

    from graph.model import Edge, Node
    from matching.embedders import HashEmbedder
    from matching.engine import MatchingEngine

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        store = NetworkxStore(root / "s.db")
        s = Settings(keys_file=root / "keys.json", watch_max_share=1.0)
        store.upsert([Node("org:a", "Organization", {"name": "甲", "kinds": ["manufacturer"]}),
                      Node("eq:0", "Equipment", {"name": "盾构机"})],
                     [Edge("org:a", "MAKES", "eq:0")])
        engine = MatchingEngine(store, HashEmbedder())
        db = open_watch_store(s)
        try:
            watches = [add_watch(db, store, engine, owner="cli", clearance=level,
                                 text="盾构机主轴承", threshold=-10.0, settings=s)
                       for level in ("public", "restricted", "secret")]
            nodes, edges = [], []
            for i, mark in enumerate(marks):
                label = ("Technology", "Equipment", "Patent")[(i + seed) % 3]
                props: dict[str, Any] = {"name" if label != "Patent" else "title":
                                         f"盾构机部件{i}"}
                if mark:
                    props["clearance"] = mark
                if label == "Technology":
                    props["origin"] = "military"
                nodes.append(Node(f"n:{i}", label, props))
                edges.append(Edge("org:a", "MAKES" if label == "Equipment" else "OWNS", f"n:{i}"))
            store.upsert(nodes, edges)
            after_load(store, None, engine=engine, settings=s)
            by_watch: dict[str, set[str]] = {w.id: set() for w in watches}
            for a in db.alerts():
                by_watch[a.watch].add(a.item)
            for w in watches:
                visible = {n.id for n in nodes if is_visible(n, w.clearance)}
                assert by_watch[w.id] == visible, (w.clearance, marks)
        finally:
            db.close()
            store.close()


def test_benchmark_runs_and_agrees_with_its_peer() -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_percolate.py"
    spec = importlib.util.spec_from_file_location("bench_percolate", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.bench(watches=200, items=3000, dim=32, peer_watches=40, runs=1)
    assert out["matches"] > 0 and out["product_s"] >= 0 and out["within_budget"]


def test_firstset_demo_percolates_what_it_loads(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from api.cli import app, build

    build()
    runner = CliRunner()
    monkeypatch.setenv("FIRSTSET_KEYS_FILE", str(tmp_path / "keys.json"))
    monkeypatch.setenv("FIRSTSET_EMBEDDER", "hash")
    db = str(tmp_path / "s.db")
    r = runner.invoke(app, ["watch", "add", "--text", BEARING, "--store", db, "--json"])
    assert r.exit_code == 0, r.stdout  # an empty store: the baseline is empty
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--scale", "0.1",
                            "--no-index", "--store", db, "--json"])
    assert r.exit_code == 0, r.stdout
    alerts = json.loads(runner.invoke(app, ["alerts", "--json"]).stdout)["alerts"]
    assert alerts and all(a["load"] == alerts[0]["load"] for a in alerts)
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--no-index",
                            "--store", db, "--json"])
    assert r.exit_code == 0
    again = json.loads(runner.invoke(app, ["alerts", "--json"]).stdout)["alerts"]
    assert again == alerts  # the same files again: nothing new
