"""Health, me, nodes, neighbourhood and entity search."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Keys, h


def test_health_counts_what_the_caller_may_see(client: TestClient, keys: Keys) -> None:
    body = client.get("/api/health", headers=h(keys.viewer)).json()
    assert body["status"] == "ok"
    assert body["store"] == "embedded"
    assert body["counts"]["Organization"] == 8
    assert body["counts"]["Technology"] == 1
    full = client.get("/api/health", headers=h(keys.secret)).json()["counts"]
    assert full["Technology"] == 3
    assert full["Project"] == 2


def test_me_reports_role_and_clearance(client: TestClient, keys: Keys) -> None:
    body = client.get("/api/me", headers=h(keys.restricted)).json()
    assert body["authenticated"] is True
    assert body["role"] == "viewer"
    assert body["clearance"] == "restricted"
    assert keys.restricted not in str(body)


def test_bearer_token_works_like_the_header(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/me", headers={"Authorization": f"Bearer {keys.editor}"})
    assert r.status_code == 200
    assert r.json()["role"] == "editor"


def test_get_node(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/nodes/org:cqmt", headers=h(keys.viewer))
    assert r.status_code == 200
    body = r.json()
    assert body["label"] == "Organization"
    assert body["name"] == "重庆机床（集团）有限责任公司"


def test_missing_node_is_404_naming_the_field(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/nodes/org:nope", headers=h(keys.viewer))
    assert r.status_code == 404
    assert r.json()["field"] == "id"
    assert "org:nope" in r.json()["error"]


def test_neighbourhood(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/nodes/org:tbm/neighbourhood", params={"depth": 2}, headers=h(keys.viewer))
    assert r.status_code == 200
    body = r.json()
    ids = {n["id"] for n in body["nodes"]}
    assert {"org:tbm", "eq:tbm", "all:cq", "org:cqmt"} <= ids
    assert body["center"] == "org:tbm"
    for e in body["edges"]:
        assert e["source"] in ids and e["target"] in ids


def test_neighbourhood_limits(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/nodes/org:tbm/neighbourhood", params={"depth": 5}, headers=h(keys.viewer))
    assert r.status_code == 422
    assert r.json()["field"] == "depth"
    r = client.get(
        "/api/nodes/org:tbm/neighbourhood", params={"depth": 2, "limit": 2}, headers=h(keys.viewer)
    )
    assert len(r.json()["nodes"]) == 2
    assert r.json()["truncated"] is True


def test_search_short_name_finds_the_full_company_name(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/search", params={"q": "重庆机床"}, headers=h(keys.viewer))
    assert r.status_code == 200
    assert r.json()["results"][0]["id"] == "org:cqmt"


def test_search_traditional_and_english(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/search", params={"q": "重慶機床"}, headers=h(keys.viewer))
    assert r.json()["results"][0]["id"] == "org:cqmt"
    r = client.get("/api/search", params={"q": "chongqing machine tool"}, headers=h(keys.viewer))
    assert r.json()["results"][0]["id"] == "org:cqmt"
    assert r.json()["results"][0]["matched"] == "Chongqing Machine Tool Group"


def test_search_by_label(client: TestClient, keys: Keys) -> None:
    r = client.get(
        "/api/search", params={"q": "轨道交通", "label": "Project"}, headers=h(keys.viewer)
    )
    assert [x["id"] for x in r.json()["results"]] == ["proj:metro"]


def test_search_validates(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/search", params={"q": ""}, headers=h(keys.viewer))
    assert r.status_code == 422
    assert r.json()["field"] == "q"
    r = client.get("/api/search", params={"q": "x", "top": 1000}, headers=h(keys.viewer))
    assert r.status_code == 422
    assert r.json()["field"] == "top"


def test_web_page_and_vendored_graph_library(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "首台（套）" in page.text
    js = client.get("/static/vendor/cytoscape.min.js")
    assert js.status_code == 200
    assert len(js.content) > 100_000
    assert "cdn" not in page.text.lower()


def test_openapi_lists_the_contract_paths(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/health",
        "/api/nodes/{id}",
        "/api/nodes/{id}/neighbourhood",
        "/api/search",
        "/api/ingest",
        "/api/feedback",
    ):
        assert path in paths
