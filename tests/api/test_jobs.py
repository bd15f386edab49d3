"""The four matching jobs over HTTP (engine over a deterministic hashing embedder)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.store import GraphStore
from tests.api.conftest import HIDDEN_IDS, SECRET_NAMES, Keys, h


def _check_ranked(hit: dict) -> None:
    assert set(hit) >= {"id", "name", "score", "parts", "evidence"}
    assert sum(hit["parts"].values()) == pytest.approx(hit["score"], abs=1e-4)


def test_suppliers_for_text(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/suppliers/search", json={"text": "土压平衡盾构机", "top": 3}, headers=h(keys.viewer)
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert results[0]["id"] == "org:tbm"
    assert any(e["id"] == "eq:tbm" for e in results[0]["evidence"])
    for hit in results:
        _check_ranked(hit)
    assert len(results) <= 3


def test_suppliers_say_which_chinese_words_an_english_query_searched_with(
        client: TestClient, keys: Keys) -> None:
    r = client.post("/api/suppliers/search", json={"text": "tunnel boring machine", "top": 3},
                    headers=h(keys.viewer))
    assert r.status_code == 200, r.text
    assert "盾构机" in r.json()["query_terms"]
    r = client.post("/api/suppliers/search", json={"text": "土压平衡盾构机", "top": 3},
                    headers=h(keys.viewer))
    assert r.json()["query_terms"] == []


def test_suppliers_for_a_demand_id(client: TestClient, keys: Keys) -> None:
    r = client.post("/api/suppliers/search", json={"demand": "dem:tbm"}, headers=h(keys.viewer))
    assert r.status_code == 200
    assert r.json()["results"][0]["id"] == "org:tbm"
    assert "proximity" in r.json()["results"][0]["parts"]


def test_suppliers_batch(client: TestClient, keys: Keys) -> None:
    body = {"batch": [{"text": "盾构机"}, {"text": "磨齿机", "top": 1}]}
    r = client.post("/api/suppliers/search", json=body, headers=h(keys.viewer))
    assert r.status_code == 200, r.text
    batch = r.json()["batch"]
    assert len(batch) == 2 and len(batch[1]) == 1
    assert batch[0][0]["id"] == "org:tbm"
    assert batch[1][0]["id"] == "org:cqmt"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"text": "x", "top": 0}, "top"),
        ({"text": "x", "top": 101}, "top"),
        ({"text": "x", "field": "no such field"}, "field"),
        ({"demand": "dem:ghost"}, "demand"),
        ({"demand": "dem:mil"}, "demand"),  # hidden from a public key: same as missing
        ({"text": "x", "colour": "red"}, "colour"),
        ({"batch": [{"text": "x"}] * 101}, "batch"),
        ({"batch": [{"text": "x"}, {"demand": "dem:ghost"}]}, "batch.1.demand"),
    ],
)
def test_suppliers_bad_requests_name_the_field(
    client: TestClient, keys: Keys, body: dict, field: str | None
) -> None:
    r = client.post("/api/suppliers/search", json=body, headers=h(keys.viewer))
    assert r.status_code == 422, r.text
    assert r.json()["error"]
    if field:
        assert r.json()["field"] == field


def test_consortium(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/consortia", json={"project": "proj:metro", "alternatives": 2}, headers=h(keys.viewer)
    )
    assert r.status_code == 200, r.text
    alts = r.json()["alternatives"]
    assert alts
    first = alts[0]
    roles = {m["role"]: m["id"] for m in first["members"]}
    assert roles["user"] == "org:metro"
    assert roles["manufacturer"] in {"org:tbm", "org:cqmt"}
    assert roles["testing_body"] == "org:test"
    assert first["parts"]


def test_consortium_infeasible_names_the_role(client: TestClient, keys: Keys) -> None:
    body = {"project": "proj:metro", "roles": ["manufacturer=5"]}
    r = client.post("/api/consortia", json=body, headers=h(keys.viewer))
    assert r.status_code == 422
    assert "manufacturer" in r.json()["error"]
    assert r.json()["field"] == "roles"


def test_consortium_for_a_hidden_project_looks_missing(client: TestClient, keys: Keys) -> None:
    hidden = client.post("/api/consortia", json={"project": "proj:mil"}, headers=h(keys.viewer))
    missing = client.post("/api/consortia", json={"project": "proj:ghost"}, headers=h(keys.viewer))
    assert hidden.status_code == missing.status_code == 404


def test_partners(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/partners", json={"project": "proj:metro", "top": 3}, headers=h(keys.viewer)
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert 0 < len(results) <= 3
    for hit in results:
        assert set(hit) >= {"id", "score", "parts"}
    r = client.post(
        "/api/partners",
        json={
            "project": {"title": "盾构隧道", "description": "轨道交通"},
            "members": ["org:metro"],
            "kind": "manufacturer",
        },
        headers=h(keys.viewer),
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/api/partners", json={"batch": [{"project": "proj:metro"}]}, headers=h(keys.viewer)
    )
    assert r.status_code == 200 and len(r.json()["batch"]) == 1


def test_partners_hidden_project_or_member(client: TestClient, keys: Keys) -> None:
    r = client.post("/api/partners", json={"project": "proj:mil"}, headers=h(keys.viewer))
    assert r.status_code == 422 and r.json()["field"] == "project"
    r = client.post(
        "/api/partners",
        json={"project": "proj:metro", "members": ["org:ghost"]},
        headers=h(keys.viewer),
    )
    assert r.status_code == 422 and r.json()["field"] == "members"


def test_transfers_need_the_clearance(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/transfers", json={"technology": "tech:restricted"}, headers=h(keys.restricted)
    )
    assert r.status_code == 200, r.text
    assert r.json()["direction"] == "military_to_civil"
    hidden = client.post(
        "/api/transfers", json={"technology": "tech:restricted"}, headers=h(keys.viewer)
    )
    missing = client.post(
        "/api/transfers", json={"technology": "tech:ghost"}, headers=h(keys.viewer)
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"].replace("tech:restricted", "X") == missing.json()[
        "error"
    ].replace("tech:ghost", "X")


def test_transfers_need_exactly_one_source(client: TestClient, keys: Keys) -> None:
    r = client.post("/api/transfers", json={"technology": "a", "org": "b"}, headers=h(keys.secret))
    assert r.status_code == 422
    r = client.post("/api/transfers", json={}, headers=h(keys.secret))
    assert r.status_code == 422


def test_transfers_civil_org_to_military_demands(client: TestClient, keys: Keys) -> None:
    public = client.post("/api/transfers", json={"org": "org:cqmt"}, headers=h(keys.viewer))
    assert public.status_code == 200, public.text
    assert "dem:mil" not in public.text
    cleared = client.post("/api/transfers", json={"org": "org:cqmt"}, headers=h(keys.secret))
    assert cleared.status_code == 200


def test_shortlist(client: TestClient, keys: Keys) -> None:
    r = client.post("/api/shortlists", json={"size": 2}, headers=h(keys.viewer))
    assert r.status_code == 200, r.text
    pitches = r.json()["pitches"]
    assert {p["id"] for p in pitches} == {"pitch:1", "pitch:2"}
    for p in pitches:
        assert sum(p["parts"].values()) == pytest.approx(p["score"], abs=1e-4)
    r = client.post("/api/shortlists", json={"size": 1, "quota": {"x": 5}}, headers=h(keys.viewer))
    assert r.status_code == 422
    assert r.json()["field"] == "quota"


def _leaks(text: str) -> list[str]:
    return [w for w in (*HIDDEN_IDS, *SECRET_NAMES) if w in text]


JOB_CALLS = [
    ("/api/suppliers/search", {"text": "隐身涂层 高超声速 雷达 Stealth coating", "top": 20}),
    ("/api/suppliers/search", {"text": "数控机床 齿轮", "top": 20}),
    ("/api/consortia", {"project": "proj:metro"}),
    ("/api/partners", {"project": {"title": "高超声速 隐身涂层"}, "top": 20}),
    ("/api/partners", {"project": "proj:metro", "top": 20}),
    ("/api/transfers", {"org": "org:cqmt", "top": 20}),
    ("/api/shortlists", {"size": 5}),
]


@pytest.mark.parametrize(("path", "body"), JOB_CALLS)
def test_public_key_never_sees_cleared_items_in_jobs(
    client: TestClient, keys: Keys, path: str, body: dict
) -> None:
    r = client.post(path, json=body, headers=h(keys.viewer))
    assert r.status_code == 200, r.text
    assert _leaks(r.text) == []


def test_the_leak_check_can_fail(client: TestClient, keys: Keys) -> None:
    r = client.post("/api/suppliers/search", json=JOB_CALLS[0][1], headers=h(keys.secret))
    assert "tech:secret" in r.text


def test_repeated_supplier_searches_are_answered_from_the_cache(store: GraphStore) -> None:
    from api.services import Jobs, plumbing_engine

    engine = plumbing_engine(store)
    calls: list[str] = []
    real = engine.suppliers

    def counting(query: Any, **kw: Any) -> Any:
        calls.append(query.text)
        return real(query, **kw)

    engine.suppliers = counting
    jobs = Jobs(store, engine)
    first = jobs.suppliers({"text": "盾构机", "top": 3}, "public")
    first[0]["name"] = "changed by the caller"
    again = jobs.suppliers({"text": "盾构机", "top": 3}, "public")
    assert len(calls) == 1
    assert again[0]["name"] != "changed by the caller"
    jobs.suppliers({"text": "盾构机", "top": 3}, "secret")  # another clearance: asked again
    assert len(calls) == 2
    from graph.model import Label, Node

    store.upsert(
        [Node("org:late", Label.ORGANIZATION, {"name": "新盾构公司", "kinds": ["manufacturer"]})]
    )
    jobs.suppliers({"text": "盾构机", "top": 3}, "public")  # the store changed: asked again
    assert len(calls) == 3
