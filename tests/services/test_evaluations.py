"""Demonstration evaluations: the ``evaluations`` kind and its edges, the independence rule of
the consortium (a body owned by the maker moves nothing and is refused over HTTP), the status
they move, that they add nothing to a ranking score, and the HTTP and CLI answers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.app import create_app
from api.auth import KeyStore
from api.settings import Settings
from graph.errors import InvalidRequest
from graph.networkx_store import NetworkxStore
from ingest.generate.demo import write_demo
from ingest.load import load_paths
from matching.evaluations import (
    equipment_status,
    evaluated_orgs,
    evaluation_evidence,
    evaluations,
    record_evaluation,
)
from tests.jobs.test_clearance import strings  # every string of a JSON answer
from tests.services.catalogue_data import write_catalogue_batch


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("ev")
    write_demo(root / "demo", scale=0.1)
    return [root / "demo", write_catalogue_batch(root / "cat")]


@pytest.fixture
def store(tmp_path: Path, folders: list[Path]) -> Iterator[NetworkxStore]:
    s = NetworkxStore(tmp_path / "s.db")
    load_paths(s, folders)
    try:
        yield s
    finally:
        s.close()


def test_loaded_with_edges_and_indicators(store: NetworkxStore) -> None:
    out = {e.type: e.target for e in store.edges_of("ev:free", direction="out")}
    assert out == {"EVALUATES": "eq:0001", "EVALUATED_BY": "org:lab-free",
                   "EVALUATED_IN": "prj:0001"}
    ev = next(e for e in evaluations(store, clearance="public") if e.id == "ev:free")
    ind = {i["indicator"]: i for i in ev.indicators}
    assert ind["mtbf_h"]["ok"] is True  # 1200 h against 1000 h
    assert ind["localisation_rate"]["ok"] is False  # 85 % against 90 %
    assert ind["performance"]["measured"].startswith("开挖直径")


def test_the_body_must_be_independent_of_the_maker(store: NetworkxStore) -> None:
    by_id = {e.id: e for e in evaluations(store, clearance="public", equipment="eq:0001")}
    assert by_id["ev:free"].independent
    own = by_id["ev:own"]
    assert not own.independent and any("ownership" in p for p in own.problems)
    base = {"equipment_id": "eq:0001", "project_id": "prj:0001", "date": "2025-01-01",
            "verdict": "pass", "report_ref": "R-1"}
    with pytest.raises(InvalidRequest, match="ownership") as caught:
        record_evaluation(store, {"id": "ev:new", "body_id": "org:lab-own", **base},
                          clearance="public")
    assert caught.value.field == "body_id" and not store.has("ev:new")
    with pytest.raises(InvalidRequest, match="testing body") as caught:
        record_evaluation(store, {"id": "ev:new", "body_id": "org:0001", **base},
                          clearance="public")
    with pytest.raises(InvalidRequest) as caught:
        record_evaluation(store, {"id": "ev:new", "body_id": "org:lab-free", **base,
                                  "project_id": "prj:none"}, clearance="public")
    assert caught.value.field == "project_id"
    ok = record_evaluation(store, {"id": "ev:new", "body_id": "org:lab-free", **base},
                           clearance="public")
    assert ok.independent and ok.date == dt.date(2025, 1, 1)


def test_status_moves_evaluated_to_demonstrated(store: NetworkxStore) -> None:
    before = equipment_status(store, "eq:0001", clearance="public", day=dt.date(2024, 8, 1))
    assert before["status"] == "insured"  # listed 2024-03 and insured from 2024-04
    s = equipment_status(store, "eq:0002", clearance="public", day=dt.date(2023, 6, 1))
    assert s["status"] == "catalogued"
    s = equipment_status(store, "eq:0002", clearance="public", day=dt.date(2024, 6, 1))
    assert s["status"] == "developing"  # it left the catalogue
    base = {"project_id": "prj:0001", "body_id": "org:lab-free", "report_ref": "R"}
    record_evaluation(store, {"id": "ev:c", "equipment_id": "eq:0005", "date": "2024-01-01",
                              "verdict": "conditional", **base}, clearance="public")
    s = equipment_status(store, "eq:0005", clearance="public", day=dt.date(2024, 6, 1))
    assert s["status"] == "evaluated"
    record_evaluation(store, {"id": "ev:p", "equipment_id": "eq:0005", "date": "2024-05-01",
                              "verdict": "pass", **base}, clearance="public")
    s = equipment_status(store, "eq:0005", clearance="public", day=dt.date(2024, 6, 1))
    assert s["status"] == "demonstrated"
    s = equipment_status(store, "eq:0005", clearance="public", day=dt.date(2024, 3, 1))
    assert s["status"] == "evaluated"  # the pass had not happened yet
    # a dependent body's pass moves nothing
    only_own = equipment_status(store, "eq:0001", clearance="public", day=dt.date(2024, 9, 15))
    assert "ev:own" in {e["id"] for e in only_own["evaluations"]}


def test_clearance_hides_evaluations_of_hidden_projects(store: NetworkxStore) -> None:
    public = {e.id for e in evaluations(store, clearance="public")}
    restricted = {e.id for e in evaluations(store, clearance="restricted")}
    assert "ev:mil" not in public and "ev:mil" in restricted
    text = json.dumps(equipment_status(store, "eq:0003", clearance="public"), ensure_ascii=False)
    assert "ev:mil" not in text and "prj:mil" not in text and "MIL-2024" not in text
    assert "org:0003" not in evaluated_orgs(store, clearance="public")
    assert "org:0003" in evaluated_orgs(store, clearance="restricted")


def test_evidence_only_never_a_score(store: NetworkxStore) -> None:
    from matching.embedders import HashEmbedder
    from matching.engine import MatchingEngine

    ev = evaluation_evidence(store, "org:0001", clearance="public")
    assert ev and all(e["kind"] == "evaluation" and e["score"] == 0.0 for e in ev)
    assert evaluated_orgs(store, clearance="public") == {"org:0001"}
    engine = MatchingEngine(store, HashEmbedder())
    text = "土压平衡盾构机"
    before = {h.id: h.score for h in engine.rank_organizations(text, top=20)}
    for e in list(store.nodes("Evaluation")):
        store.upsert([type(e)(e.id, e.label, {**e.props, "verdict": "fail"})])
    after = {h.id: h.score for h in engine.rank_organizations(text, top=20)}
    assert before == pytest.approx(after)  # verdicts changed, scores did not


def test_http_and_cli(tmp_path: Path, folders: list[Path]) -> None:
    from api.services import plumbing_engine

    db = tmp_path / "h.db"
    store = NetworkxStore(db)
    load_paths(store, folders)
    settings = Settings(environment="staging", secret_key="test-secret-not-default",
                        keys_file=tmp_path / "keys.json", open_reads=False, warm_up=False)
    ks = KeyStore(settings.keys_file, secret=settings.secret_key)
    editor = {"X-API-Key": ks.create(role="editor", clearance="public").key}
    viewer = {"X-API-Key": ks.create(role="viewer", clearance="public").key}
    restricted = {"X-API-Key": ks.create(role="viewer", clearance="restricted").key}
    body: dict[str, Any] = {"id": "ev:http", "equipment_id": "eq:0004", "body_id": "org:lab-free",
                            "project_id": "prj:0001", "date": "2024-07-01", "verdict": "pass",
                            "report_ref": "CQ-H-1", "mtbf_h": 900, "spec_mtbf_h": 1000}
    try:
        with TestClient(create_app(settings, store=store, engine_factory=plumbing_engine)) as c:
            assert c.post("/api/evaluations", json=body, headers=viewer).status_code == 403
            r = c.post("/api/evaluations", json=body, headers=editor)
            assert r.status_code == 201, r.text
            assert r.json()["independent"] and r.json()["indicators"][0]["ok"] is False
            bad = c.post("/api/evaluations", json={**body, "id": "ev:x", "body_id": "org:lab-own",
                                                   "equipment_id": "eq:0001"}, headers=editor)
            assert bad.status_code == 422 and bad.json()["field"] == "body_id"
            bad = c.post("/api/evaluations", json={**body, "verdict": "great"}, headers=editor)
            assert bad.status_code == 422
            got = c.get("/api/evaluations", params={"equipment": "eq:0004"}, headers=viewer)
            assert [e["id"] for e in got.json()["evaluations"]] == ["ev:http"]
            st = c.get("/api/equipment/eq:0004/status", params={"on": "2024-08-01"},
                       headers=viewer).json()
            assert st["status"] == "insured" and st["catalogue"][0]["active"]
            assert c.get("/api/equipment/eq:0004/status", params={"on": "soon"},
                         headers=viewer).status_code == 422
            pub = c.get("/api/evaluations", headers=viewer).json()["evaluations"]
            res = c.get("/api/evaluations", headers=restricted).json()["evaluations"]
            assert "ev:mil" not in {e["id"] for e in pub} and "ev:mil" in {e["id"] for e in res}
            d = c.get("/api/catalogue/diff", params={"a": "national-2023", "b": "national-2024"},
                      headers=viewer).json()
            assert [e["equipment"] for e in d["entered"]] == ["eq:0003"]
            assert c.get("/api/catalogue/diff", params={"a": "x", "b": "national-2024"},
                         headers=viewer).json()["field"] == "a"
            ins = c.get("/api/insurance/eq:0001", headers=viewer).json()
            assert ins["eligible"] and ins["compensation_wan"] == pytest.approx(108.0)
            assert c.get("/api/insurance/ce:none", headers=viewer).status_code == 404
            e = c.get("/api/catalogue/entries", params={"equipment": "eq:0002", "on": "2024-06-01"},
                      headers=viewer).json()
            assert e["entries"][0]["active"] is False and e["entries"][0]["exit_reason"]
    finally:
        store.close()
    from api.cli import app, build

    build()
    r = CliRunner().invoke(app, ["evaluations", "--equipment", "eq:0001", "--store", str(db),
                                 "--json"])
    assert r.exit_code == 0, r.stdout
    assert {e["id"] for e in json.loads(r.stdout)["evaluations"]} == {"ev:free", "ev:own"}
    r = CliRunner().invoke(app, ["catalogue", "status", "eq:0004", "--on", "2024-08-01",
                                 "--store", str(db), "--json"])
    assert json.loads(r.stdout)["status"] == "insured"


# ---- clearance, as a property ------------------------------------------------------------

MARKS = ("", "public", "restricted", "secret", "绝密")


@settings(max_examples=15, deadline=None)
@given(eq_marks=st.lists(st.sampled_from(MARKS), min_size=2, max_size=4),
       node_marks=st.lists(st.sampled_from(MARKS), min_size=4, max_size=8),
       military=st.booleans())
def test_answers_never_exceed_the_caller_clearance(eq_marks: list[str], node_marks: list[str],
                                                    military: bool) -> None:
    """Evaluations, catalogue entries, diffs, status and insurance answers mention no node the
    caller may not see, whatever the marks on equipment, entries, evaluations and projects."""
    import tempfile

    from graph.clearance import is_visible
    from graph.errors import NodeNotFound
    from graph.model import Edge, Node
    from matching.catalogue import catalogue_diff, catalogue_entries
    from matching.insurance import InsuranceRule, insurance_for

    def mark(props: dict[str, Any], m: str) -> dict[str, Any]:
        return {**props, "clearance": m} if m else props

    with tempfile.TemporaryDirectory() as d:
        s = NetworkxStore(Path(d) / "s.db")
        nodes = [Node("org:m", "Organization", {"name": "制造", "kinds": ["manufacturer"]}),
                 Node("org:t", "Organization", {"name": "检测", "kinds": ["testing_body"]}),
                 Node("prj:p", "Project", {"name": "项目",
                                           **({"kind": "military"} if military else {})})]
        edges = []
        for i, m in enumerate(eq_marks):
            nodes.append(Node(f"eq:{i}", "Equipment", mark({"name": f"装备{i}"}, m)))
            edges.append(Edge("org:m", "MAKES", f"eq:{i}"))
            em = node_marks[i % len(node_marks)]
            nodes.append(Node(f"ce:{i}", "CatalogueEntry", mark(
                {"list": "national", "batch": "b2" if i % 2 else "b1", "entered": "2024-01-01",
                 "premium_wan": 10, "insured_value_wan": 500, "insured_from": "2024-02-01",
                 "insured_to": "2025-02-01"}, em)))
            edges.append(Edge(f"ce:{i}", "LISTS", f"eq:{i}"))
            vm = node_marks[(i + 1) % len(node_marks)]
            nodes.append(Node(f"ev:{i}", "Evaluation", mark(
                {"date": "2024-06-01", "verdict": "pass", "report_ref": f"R{i}"}, vm)))
            edges += [Edge(f"ev:{i}", "EVALUATES", f"eq:{i}"),
                      Edge(f"ev:{i}", "EVALUATED_BY", "org:t"),
                      Edge(f"ev:{i}", "EVALUATED_IN", "prj:p")]
        s.upsert(nodes, edges)
        try:
            for level in ("public", "restricted", "secret"):
                hidden = {n.id for n in nodes if not is_visible(n, level)}
                # an evaluation is hidden with its equipment or project; an entry with its
                # equipment
                for i in range(len(eq_marks)):
                    if f"eq:{i}" in hidden:
                        hidden |= {f"ce:{i}", f"ev:{i}"}
                    if "prj:p" in hidden:
                        hidden.add(f"ev:{i}")
                answers: list[Any] = [
                    [e.to_json() for e in evaluations(s, clearance=level)],
                    [e.to_json() for e in catalogue_entries(s, clearance=level)],
                ]
                if len(eq_marks) > 1:
                    try:
                        answers.append(catalogue_diff(s, "b1", "b2", clearance=level))
                    except InvalidRequest as exc:  # a batch the caller cannot see: named only
                        assert "b1" in str(exc) or "b2" in str(exc)
                for i in range(len(eq_marks)):
                    try:
                        answers.append(equipment_status(s, f"eq:{i}", clearance=level))
                        answers.append(insurance_for(s, f"eq:{i}", InsuranceRule(),
                                                     clearance=level).to_json())
                    except NodeNotFound:
                        assert f"eq:{i}" in hidden
                seen = set(strings(answers))
                assert not (seen & hidden), (level, seen & hidden)
                visible_evals = {f"ev:{i}" for i in range(len(eq_marks))} - hidden
                assert {e.id for e in evaluations(s, clearance=level)} == visible_evals
                assert bool(evaluated_orgs(s, clearance=level)) == bool(visible_evals)
        finally:
            s.close()
