"""Auth and clearance: keys, roles, open reads, and what a public key may never see."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from api.auth import KeyStore
from api.settings import DEFAULT_SECRET, Settings
from graph.store import GraphStore
from tests.api.conftest import HIDDEN_IDS, SECRET_NAMES, Keys, h, make_settings

WRITES = [
    ("/api/feedback", {"json": {"query": "x", "candidate": "org:tbm", "label": "accept"}}),
    ("/api/ingest", {"files": {"file": ("organizations.csv", b"id,name,kinds\no:1,A,user\n")}}),
]


@pytest.mark.parametrize(("path", "kw"), WRITES)
def test_writes_without_a_key_are_401(client: TestClient, path: str, kw: dict) -> None:
    r = client.post(path, **kw)
    assert r.status_code == 401
    assert r.json()["error"]
    assert r.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("path", "kw"), WRITES)
def test_writes_with_a_bad_key_are_401(client: TestClient, path: str, kw: dict) -> None:
    r = client.post(path, headers=h("fs_deadbeef_not-a-key"), **kw)
    assert r.status_code == 401


@pytest.mark.parametrize(("path", "kw"), WRITES)
def test_a_viewer_cannot_write(
    client: TestClient, keys: Keys, path: str, kw: dict, store: GraphStore
) -> None:
    before = store.version()
    r = client.post(path, headers=h(keys.secret), **kw)  # a viewer, whatever the clearance
    assert r.status_code == 403
    assert store.version() == before


def test_writes_stay_closed_even_when_reads_are_open(tmp_path: Path, store: GraphStore) -> None:
    app = create_app(make_settings(tmp_path, open_reads=True), store=store)
    with TestClient(app) as c:
        assert c.get("/api/nodes/org:tbm").status_code == 200
        for path, kw in WRITES:
            assert c.post(path, **kw).status_code == 401


def test_reads_need_a_key_when_closed(client: TestClient, keys: Keys) -> None:
    assert client.get("/api/nodes/org:tbm").status_code == 401
    assert client.get("/api/search", params={"q": "盾构"}).status_code == 401
    assert client.get("/api/nodes/org:tbm", headers=h(keys.viewer)).status_code == 200


def test_open_reads_are_public_clearance(tmp_path: Path, store: GraphStore) -> None:
    app = create_app(make_settings(tmp_path, open_reads=True), store=store)
    with TestClient(app) as c:
        assert c.get("/api/me").json() == {
            "authenticated": False,
            "key_id": None,
            "role": "viewer",
            "clearance": "public",
            "reads_open": True,
        }
        assert c.get("/api/nodes/tech:secret").status_code == 404


@pytest.mark.parametrize("hidden", HIDDEN_IDS)
def test_public_key_gets_the_same_404_as_missing(
    client: TestClient, keys: Keys, hidden: str
) -> None:
    missing = client.get("/api/nodes/org:does-not-exist", headers=h(keys.viewer))
    r = client.get(f"/api/nodes/{hidden}", headers=h(keys.viewer))
    assert r.status_code == 404
    assert r.json()["error"].replace(hidden, "X") == missing.json()["error"].replace(
        "org:does-not-exist", "X"
    )
    r = client.get(f"/api/nodes/{hidden}/neighbourhood", headers=h(keys.viewer))
    assert r.status_code == 404


def test_cleared_keys_see_their_level(client: TestClient, keys: Keys) -> None:
    assert client.get("/api/nodes/tech:restricted", headers=h(keys.restricted)).status_code == 200
    assert client.get("/api/nodes/dem:mil", headers=h(keys.restricted)).status_code == 200
    assert client.get("/api/nodes/tech:secret", headers=h(keys.restricted)).status_code == 404
    assert client.get("/api/nodes/tech:secret", headers=h(keys.secret)).status_code == 200


def _leaks(text: str) -> list[str]:
    return [w for w in (*HIDDEN_IDS, *SECRET_NAMES) if w in text]


def test_public_key_never_sees_cleared_items_in_graph_views(client: TestClient, keys: Keys) -> None:
    for center in ("org:cqmt", "org:mil", "all:cq", "org:tbm"):
        for depth in (1, 2, 3):
            r = client.get(
                f"/api/nodes/{center}/neighbourhood",
                params={"depth": depth},
                headers=h(keys.viewer),
            )
            assert r.status_code == 200
            assert _leaks(r.text) == [], (center, depth)
    # the secret holder does see them, so the check above can fail
    r = client.get("/api/nodes/org:cqmt/neighbourhood", params={"depth": 2}, headers=h(keys.secret))
    assert "tech:secret" in r.text and "proj:mil" in r.text


def test_hidden_nodes_are_no_bridge(client: TestClient, keys: Keys) -> None:
    """org:mil is reachable from org:cqmt only through proj:mil (restricted)."""
    r = client.get("/api/nodes/org:cqmt/neighbourhood", params={"depth": 2}, headers=h(keys.viewer))
    assert "org:mil" not in {n["id"] for n in r.json()["nodes"]}
    r = client.get(
        "/api/nodes/org:cqmt/neighbourhood", params={"depth": 2}, headers=h(keys.restricted)
    )
    assert "org:mil" in {n["id"] for n in r.json()["nodes"]}


def test_public_key_never_sees_cleared_items_in_search_or_counts(
    client: TestClient, keys: Keys
) -> None:
    for q in ("隐身涂层", "高超声速", "Stealth", "雷达", "技术", "项目"):
        r = client.get("/api/search", params={"q": q, "top": 100}, headers=h(keys.viewer))
        assert _leaks(str(r.json()["results"])) == [], q
    r = client.get("/api/search", params={"q": "隐身涂层"}, headers=h(keys.secret))
    assert r.json()["results"][0]["id"] == "tech:secret"
    public = client.get("/api/health", headers=h(keys.viewer)).json()["counts"]
    secret = client.get("/api/health", headers=h(keys.secret)).json()["counts"]
    assert public["Technology"] == 1 and secret["Technology"] == 3
    assert public["Project"] == 1 and public["Demand"] == 1
    assert public["OWNS"] == 1 and secret["OWNS"] == 3
    assert public["NEEDS"] == 1 and secret["NEEDS"] == 2


def test_feedback_on_a_hidden_candidate_looks_missing(client: TestClient, keys: Keys) -> None:
    body = {"query": "x", "candidate": "tech:secret", "label": "accept"}
    r = client.post("/api/feedback", json=body, headers=h(keys.editor))
    assert r.status_code == 422
    assert r.json()["field"] == "candidate"
    assert client.post("/api/feedback", json=body, headers=h(keys.secret_editor)).status_code == 201


def test_keys_are_stored_hashed(settings: Settings, keys: Keys) -> None:
    text = settings.keys_file.read_text(encoding="utf-8")
    for key in keys.all():
        assert key not in text
        assert key.split("_", 2)[2] not in text
    assert oct(settings.keys_file.stat().st_mode & 0o777) == "0o600"


def test_key_store_verifies_and_revokes(tmp_path: Path) -> None:
    ks = KeyStore(tmp_path / "k.json", secret="s1")
    made = ks.create(role="editor", clearance="secret", label="x")
    assert ks.verify(made.key) is not None
    assert ks.verify(made.key + "x") is None
    assert KeyStore(tmp_path / "k.json", secret="other").verify(made.key) is None
    assert ks.revoke(made.record.id)
    assert ks.verify(made.key) is None


def test_default_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="FIRSTSET_SECRET_KEY"):
        Settings(environment="production", secret_key=DEFAULT_SECRET)
    assert Settings(environment="development").reads_open is True
    assert Settings(environment="production", secret_key="x" * 20).reads_open is False


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTSET_ENVIRONMENT", "production")
    monkeypatch.setenv("FIRSTSET_SECRET_KEY", "from-env-123")
    monkeypatch.setenv("FIRSTSET_MAX_TOP", "7")
    s = Settings()
    assert (s.environment, s.secret_key, s.max_top) == ("production", "from-env-123", 7)
    monkeypatch.delenv("FIRSTSET_SECRET_KEY")
    with pytest.raises(ValidationError):
        Settings()


def test_keys_never_appear_in_logs(
    client: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for key in [*keys.all(), "fs_deadbeef_wrong-key-value"]:
        client.get("/api/me", headers=h(key))
        client.get("/api/nodes/org:nope", headers=h(key))
        client.post("/api/feedback", json={"bad": 1}, headers=h(key))
    logged = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert "rejected an unknown API key" in logged  # something was logged
    for key in [*keys.all(), "fs_deadbeef_wrong-key-value"]:
        assert key.split("_", 2)[2] not in logged


def test_properties_naming_hidden_nodes_are_blanked(
    client: TestClient, keys: Keys, store: GraphStore
) -> None:
    from graph.model import Edge, Rel

    store.upsert(
        [],
        [
            Edge(
                "org:cqmt",
                Rel.COLLABORATED_WITH,
                "org:tbm",
                {"weight": 2, "evidence": ["proj:mil", "proj:metro"], "note": "共同参与 proj:mil"},
            )
        ],
    )
    r = client.get("/api/nodes/org:cqmt/neighbourhood", headers=h(keys.viewer))
    assert r.status_code == 200
    assert "proj:mil" not in r.text
    assert "proj:metro" in r.text  # what the caller may see stays
    r = client.get("/api/nodes/org:cqmt/neighbourhood", headers=h(keys.restricted))
    assert "proj:mil" in r.text
