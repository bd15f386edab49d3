"""IP warnings ride along with supplier results when asked (``ip_risk``): evidence items of
kind ``ip_risk`` with score 0, never a score part; never a patent the caller may not see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.networkx_store import NetworkxStore
from tests.api.conftest import Keys, h, make_settings, stand_in_engine
from tests.services.conftest import SHIELD, ip_graph


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, Keys]]:
    from api.auth import KeyStore

    settings = make_settings(tmp_path)
    store = NetworkxStore(tmp_path / "ip.db")
    ip_graph(store, filler=60)
    ks = KeyStore(settings.keys_file, secret=settings.secret_key)
    keys = Keys(*(ks.create(role=r, clearance=c).key for r, c in (
        ("viewer", "public"), ("editor", "public"), ("admin", "public"),
        ("viewer", "restricted"), ("viewer", "secret"), ("editor", "secret"))))
    with TestClient(create_app(settings, store=store, engine_factory=stand_in_engine())) as c:
        yield c, keys
    store.close()


def test_suppliers_carry_ip_warnings_when_asked(client: tuple[TestClient, Keys]) -> None:
    c, keys = client
    body = {"text": SHIELD, "top": 5}
    plain = c.post("/api/suppliers/search", json=body, headers=h(keys.secret)).json()["results"]
    warned = c.post("/api/suppliers/search", json={**body, "ip_risk": True},
                    headers=h(keys.secret)).json()["results"]
    assert [r["id"] for r in plain] == [r["id"] for r in warned]
    assert [r["score"] for r in plain] == [r["score"] for r in warned]  # informs, never ranks
    assert all(r["parts"] == p["parts"] for r, p in zip(warned, plain, strict=True))
    risks = [e for r in warned for e in r["evidence"] if e["kind"] == "ip_risk"]
    assert risks and all(e["score"] == 0 and "知识产权预警" in e["text"] for e in risks)
    assert not any(e["kind"] == "ip_risk" for r in plain for e in r["evidence"])
    # a warning never names one of the supplier's own patents
    for r in warned:
        assert all(e["id"] not in {x["id"] for x in r["evidence"] if x["kind"] == "patent"}
                   for e in r["evidence"] if e["kind"] == "ip_risk")
    # the public caller never sees a secret patent among the warnings
    public = c.post("/api/suppliers/search", json={**body, "ip_risk": True},
                    headers=h(keys.viewer)).json()["results"]
    secret_ids = {e["id"] for r in warned for e in r["evidence"] if e["kind"] == "ip_risk"}
    public_ids = {e["id"] for r in public for e in r["evidence"] if e["kind"] == "ip_risk"}
    assert "pt:secret" in secret_ids  # the secret caller is warned of it …
    assert "pt:secret" not in public_ids  # … the public one never hears of it


def test_cli_suppliers_ip_risk(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from api.cli import app, build

    store = NetworkxStore(tmp_path / "ip.db")
    ip_graph(store, filler=60)
    store.close()
    build()
    out = CliRunner().invoke(app, ["suppliers", SHIELD, "--embedder", "hash", "--ip-risk",
                                   "--clearance", "secret", "--store", str(tmp_path / "ip.db"),
                                   "--json"])
    assert out.exit_code == 0, out.stdout
    results = json.loads(out.stdout)["results"]
    assert any(e["kind"] == "ip_risk" for r in results for e in r["evidence"])
    assert all(abs(sum(r["parts"].values()) - r["score"]) < 1e-5 for r in results)


def test_consortium_manufacturers_carry_ip_warnings_when_asked(tmp_path: Path) -> None:
    from api.auth import KeyStore
    from graph.model import Edge, Node

    settings = make_settings(tmp_path)
    store = NetworkxStore(tmp_path / "ip.db")
    ip_graph(store, filler=60)
    store.upsert([Node("org:owner", "Organization", {"name": "轨道集团", "kinds": ["user"]}),
                  Node("pj:new", "Project", {"name": "盾构隧道新线", "kind": "key_project",
                                             "description": SHIELD})],
                 [Edge("pj:new", "OWNED_BY", "org:owner")])
    key = KeyStore(settings.keys_file, secret=settings.secret_key).create(
        role="viewer", clearance="secret").key
    body = {"project": "pj:new", "roles": ["manufacturer"], "alternatives": 1}
    with TestClient(create_app(settings, store=store, engine_factory=stand_in_engine())) as c:
        plain = c.post("/api/consortia", json=body, headers=h(key)).json()["alternatives"]
        warned = c.post("/api/consortia", json={**body, "ip_risk": True},
                        headers=h(key)).json()["alternatives"]
    store.close()
    assert [t["score"] for t in plain] == [t["score"] for t in warned]
    maker = next(m for m in warned[0]["members"] if m["role"] == "manufacturer")
    assert any(e["kind"] == "ip_risk" and e["score"] == 0 for e in maker["evidence"])
    lead = next(m for m in warned[0]["members"] if m["role"] == "user")
    assert not any(e["kind"] == "ip_risk" for e in lead["evidence"])
