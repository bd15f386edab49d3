"""IP early warning: the scan against brute force, exclusions (maker, group, alliance and
consortium partners), clearance, terms and levels, field summaries, bad input, CLI and HTTP.
Plumbing tests: the hashing stand-in embedder (the quality test is test_ip_quality.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import KeyStore
from api.cli import build
from api.settings import Settings
from graph.errors import InvalidRequest, NodeNotFound
from graph.networkx_store import NetworkxStore
from matching.embedders import HashEmbedder, normalise_vectors
from matching.engine import MatchingEngine
from matching.ip_risk import (
    IpRiskQuery,
    ip_risk,
    ip_warning_evidence,
    scan_patents_vectors,
    shared_ipc,
)

from .conftest import SHIELD, ip_graph

TODAY = date(2025, 1, 1)
GROUP_AND_PARTNERS = {"pt:own", "pt:own_far", "pt:sister", "pt:ally", "pt:mate"}


def risks(engine: Any, clearance: str = "public", **q: Any) -> dict[str, Any]:
    q.setdefault("today", TODAY)
    q.setdefault("top", 20)
    return ip_risk(engine, IpRiskQuery(**q), clearance=clearance).to_json()


# ---- the pure scan ----------------------------------------------------------------------------


@pytest.mark.parametrize("n,k", [(1, 1), (7, 3), (500, 1), (500, 37), (1000, 1000)])
def test_scan_matches_brute_force(n: int, k: int) -> None:
    rng = np.random.default_rng(n + k)
    vectors = normalise_vectors(rng.standard_normal((n, 16)).astype(np.float32))
    is_patent = rng.random(n) < 0.7
    is_patent[0] = True
    skip = rng.random(n) < 0.1
    q = vectors[0]
    rows, sims, mean, std = scan_patents_vectors(vectors, is_patent, q, k, skip=skip)
    scores = vectors @ q
    keep = np.flatnonzero(is_patent & ~skip)
    brute = sorted(keep.tolist(), key=lambda r: (-scores[r], r))[:k]
    assert rows.tolist() == brute
    assert np.allclose(sims, scores[brute])
    assert mean == pytest.approx(float(scores[is_patent].mean()), abs=1e-5)
    spread = float(scores[is_patent].std())
    assert std == pytest.approx(spread if spread > 1e-6 else 1.0, abs=1e-5)


def test_shared_ipc_levels() -> None:
    assert shared_ipc(["E21D 9/06"], ["E21D 9/08"]) == ["E21D 9"]
    assert shared_ipc(["E21D 9/06"], ["E21D 11/00"]) == []
    assert shared_ipc(["E21D"], ["E21D 11/00"]) == ["E21D"]
    assert shared_ipc(["F03D"], ["E21D"]) == []


# ---- the service --------------------------------------------------------------------------------


def test_equipment_excludes_maker_group_and_partners(ip_engine: Any) -> None:
    out = risks(ip_engine, equipment="eq:shield")
    ids = [r["patent"] for r in out["risks"]]
    assert ids, out
    assert not GROUP_AND_PARTNERS & set(ids)
    why = {e["id"]: e["why"] for e in out["subject"]["excluded"]}
    assert set(why) >= {"org:maker", "org:holding", "org:sister", "org:ally", "org:mate"}
    assert "集团" in why["org:sister"] and "联盟" in why["org:ally"] and "联合体" in why["org:mate"]
    # The rival's copy of the product's patent is the closest risk, and shares the IPC group.
    top = out["risks"][0]
    assert top["patent"] == "pt:rival1"
    assert top["owner"]["id"] == "org:rival"
    assert top["shared_ipc"] == ["E21D 9"]
    assert top["level"] == "high" and "有效期内" in top["why"]
    assert set(top) >= {"patent", "title", "owner", "similarity", "shared_ipc", "in_force",
                        "expires", "level", "why"}
    sims = [r["similarity"] for r in out["risks"]]
    assert sims == sorted(sims, reverse=True)


def test_only_the_makers_patents_about_the_product_describe_it(ip_engine: Any) -> None:
    subject = risks(ip_engine, equipment="eq:shield")["subject"]
    assert subject["own_patents"] == ["pt:own"]  # the wind-turbine patent is not about it
    assert subject["own_patents_left_out"] == 1
    assert subject["ipc"] == ["E21D 9/08"] and subject["ipc_inferred"] is False


def test_levels_follow_terms(ip_engine: Any) -> None:
    by_id = {r["patent"]: r for r in risks(ip_engine, equipment="eq:shield")["risks"]}
    old, dead = by_id["pt:rival_old"], by_id["pt:rival_dead"]
    assert old["in_force"] is False and old["expires"] == "2021-02-28" and old["level"] == "low"
    assert dead["in_force"] is False and dead["status"] == "lapsed" and dead["level"] == "low"
    assert "失效" in dead["why"] or "终止" in dead["why"]
    um = by_id["CN215000001U"]  # kind from the publication number
    assert um["kind"] == "utility_model" and um["expires"] == "2031-02-28"


def test_secret_patent_only_with_clearance(ip_engine: Any) -> None:
    public = risks(ip_engine, equipment="eq:shield", top=200)
    assert "pt:secret" not in json.dumps(public, ensure_ascii=False)
    assert "org:spy" not in json.dumps(public, ensure_ascii=False)
    secret = risks(ip_engine, "secret", equipment="eq:shield", top=200)
    assert "pt:secret" in [r["patent"] for r in secret["risks"]]


def test_demand_above_clearance_is_not_found(ip_engine: Any) -> None:
    with pytest.raises(NodeNotFound):
        risks(ip_engine, org="org:maker", demand="dm:mil")
    out = risks(ip_engine, "restricted", org="org:maker", demand="dm:mil")
    assert out["subject"]["kind"] == "demand"


def test_org_with_demand_and_text(ip_engine: Any) -> None:
    planned = risks(ip_engine, org="org:maker", demand="dm:plan")
    assert planned["subject"]["makers"][0]["id"] == "org:maker"
    assert not GROUP_AND_PARTNERS & {r["patent"] for r in planned["risks"]}
    free = risks(ip_engine, text=SHIELD)  # no maker: nobody is left out
    assert {"pt:own", "pt:ally"} <= {r["patent"] for r in free["risks"]}
    assert free["subject"]["ipc_inferred"] is True
    extra = risks(ip_engine, text=SHIELD, partners=("org:rival",))
    assert not {r["patent"] for r in extra["risks"]} & {"pt:rival1", "CN215000001U"}


def test_fields_concentration_and_expiry(ip_engine: Any) -> None:
    out = risks(ip_engine, equipment="eq:shield", years=10)
    e21 = next(f for f in out["fields"] if f["field"] == "ipc:E21D")
    owners = {o["id"]: o["patents"] for o in e21["owners"]}
    assert owners["org:rival"] == 3 and owners["org:rival2"] == 1
    assert e21["patents"] == sum(owners.values())
    assert e21["cr3"] == pytest.approx(1.0)
    assert e21["hhi"] == pytest.approx((3 / 4) ** 2 + (1 / 4) ** 2, abs=1e-3)
    expiring = {x["patent"] for x in e21["expiring"]}
    assert {"pt:rival_old", "pt:rival_dead"} <= expiring  # expired, lapsed
    assert "pt:rival1" not in expiring  # in force until 2038
    assert e21["overlap"][0]["id"] in owners


@pytest.mark.parametrize("q,field", [
    ({}, "equipment"),
    ({"equipment": "eq:shield", "text": "x"}, "equipment"),
    ({"demand": "dm:plan"}, "org"),
    ({"text": "   "}, "text"),
    ({"text": "盾构", "top": 0}, "top"),
])
def test_bad_requests_name_the_field(ip_engine: Any, q: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        ip_risk(ip_engine, IpRiskQuery(**q))
    assert info.value.field == field


def test_wrong_label_and_missing_ids(ip_engine: Any) -> None:
    with pytest.raises(InvalidRequest, match="not Equipment"):
        risks(ip_engine, equipment="pt:own")
    with pytest.raises(NodeNotFound):
        risks(ip_engine, equipment="eq:nope")


def test_warning_evidence_never_scores(ip_engine: Any) -> None:
    ev = ip_warning_evidence(ip_engine, SHIELD, maker_ids=["org:maker"])
    assert ev and all(e.kind == "ip_risk" and e.score == 0.0 for e in ev)
    assert ev[0].id == "pt:rival1" and "知识产权预警" in ev[0].text
    assert not {e.id for e in ev} & GROUP_AND_PARTNERS


# ---- CLI and HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cli.db"
    store = NetworkxStore(path)
    ip_graph(store, filler=100)
    store.close()
    return str(path)


def test_cli_json_contract(db: str) -> None:
    result = CliRunner().invoke(build(), ["ip-risk", "--equipment", "eq:shield", "--store", db,
                                          "--embedder", "hash", "--json", "--top", "5"])
    assert result.exit_code == 0, result.stdout
    payload = json.loads(result.stdout)
    assert set(payload) == {"subject", "risks", "fields"}
    assert len(payload["risks"]) == 5
    assert payload["risks"][0]["patent"] == "pt:rival1"
    table = CliRunner().invoke(build(), ["ip-risk", "--text", SHIELD, "--org", "org:maker",
                                         "--store", db, "--embedder", "hash"])
    assert table.exit_code == 0 and "close patents" in table.stderr and "渝隧重工" in table.stderr


def test_cli_bad_input(db: str) -> None:
    result = CliRunner().invoke(build(), ["ip-risk", "--store", db, "--embedder", "hash",
                                          "--json"])
    assert result.exit_code == 1
    assert "equipment" in json.loads(result.stdout)["error"]


@pytest.fixture
def http(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings(environment="staging", secret_key="test-secret-not-default",
                        store=str(tmp_path / "unused.db"), keys_file=tmp_path / "keys.json",
                        feedback_file=tmp_path / "fb.csv", open_reads=False, warm_up=False)
    ks = KeyStore(settings.keys_file, secret=settings.secret_key)
    keys = {"public": ks.create(role="viewer", clearance="public").key,
            "secret": ks.create(role="viewer", clearance="secret").key}
    store = NetworkxStore(tmp_path / "http.db")
    ip_graph(store, filler=100)
    app = create_app(settings, store=store,
                     engine_factory=lambda s: MatchingEngine(s, HashEmbedder(dim=128)))
    with TestClient(app) as client:
        yield client, keys
    store.close()


def test_http_ip_risk(http: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = http
    r = client.post("/api/ip-risk", json={"equipment": "eq:shield", "top": 200},
                    headers={"X-API-Key": keys["public"]})
    assert r.status_code == 200, r.text
    body = r.json()
    ids = [x["patent"] for x in body["risks"]]
    assert ids[0] == "pt:rival1" and "pt:secret" not in ids and "pt:secret" not in r.text
    assert all(x["why"] for x in body["risks"])
    r2 = client.post("/api/ip-risk", json={"equipment": "eq:shield", "top": 200},
                     headers={"X-API-Key": keys["secret"]})
    assert "pt:secret" in [x["patent"] for x in r2.json()["risks"]]
    assert client.post("/api/ip-risk", json={"equipment": "eq:shield"}).status_code == 401
    bad = client.post("/api/ip-risk", json={"demand": "dm:plan"},
                      headers={"X-API-Key": keys["public"]})
    assert bad.status_code == 422 and bad.json()["field"] == "org"
    hidden = client.post("/api/ip-risk", json={"org": "org:maker", "demand": "dm:mil"},
                         headers={"X-API-Key": keys["public"]})
    missing = client.post("/api/ip-risk", json={"org": "org:maker", "demand": "dm:none"},
                          headers={"X-API-Key": keys["public"]})
    assert hidden.status_code == missing.status_code == 404
