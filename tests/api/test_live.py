"""Against a real server on loopback: schemathesis over the live OpenAPI schema (no 5xx, every
response matches its schema) and the access log (keys never appear)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from api.app import create_app
from api.auth import KeyStore
from api.services import plumbing_engine
from graph.networkx_store import NetworkxStore
from tests.api.conftest import make_settings, small_graph
from tests.api.live import LiveServer


class Live:
    def __init__(self, server: LiveServer, keys: dict[str, str]) -> None:
        self.server = server
        self.keys = keys
        self.url = server.url


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp: Path = tmp_path_factory.mktemp("live")
    store = NetworkxStore(tmp / "live.db")
    small_graph(store)
    settings = make_settings(tmp, max_upload_bytes=200_000)
    ks = KeyStore(settings.keys_file, secret=settings.secret_key)
    keys = {
        "editor": ks.create(role="editor", clearance="secret").key,
        "viewer": ks.create(role="viewer", clearance="public").key,
    }
    app = create_app(settings, store=store, engine_factory=plumbing_engine)
    try:
        with LiveServer(app) as server:
            yield Live(server, keys)
    finally:
        store.close()


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _fuzz(live: Live, headers: dict[str, str], examples: int) -> list[str]:
    """Every operation of the live schema with generated inputs; the failures, all of them.

    (Driven by hand rather than by ``schemathesis.pytest``, whose fixture loader does not run
    under this pytest version.)
    """
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # gather every operation's failure
            failures.append(f"{operation.label}: {exc}"[:2000])
    assert operations >= 11
    return failures


def test_api_conforms_to_its_schema(live: Live) -> None:
    before = live.server.log_text.count('"POST /api/suppliers/search')
    failures = _fuzz(live, {"X-API-Key": live.keys["editor"]}, examples=25)
    assert not failures, "\n\n".join(failures)
    assert live.server.log_text.count('"POST /api/suppliers/search') - before >= 10


def test_api_conforms_without_a_key(live: Live) -> None:
    failures = _fuzz(live, {}, examples=5)
    assert not failures, "\n\n".join(failures)


def test_keys_never_appear_in_the_server_logs(live: Live) -> None:
    wrong = "fs_0badc0de_this-is-not-a-valid-key-123"
    with httpx.Client(base_url=live.url, timeout=30) as c:
        for key in [*live.keys.values(), wrong]:
            c.get("/api/me", headers={"X-API-Key": key})
            c.get("/api/nodes/org:nope", headers={"Authorization": f"Bearer {key}"})
            c.post("/api/suppliers/search", json={"text": "盾构机"}, headers={"X-API-Key": key})
            c.post("/api/feedback", json={"bad": True}, headers={"X-API-Key": key})
    text = live.server.log_text
    assert "/api/suppliers/search" in text  # the access log was captured
    for key in [*live.keys.values(), wrong]:
        assert key not in text
        assert key.split("_", 2)[2] not in text


def test_body_limit_on_a_real_socket(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as c:
        r = c.post(
            "/api/ingest",
            files={"file": ("organizations.csv", b"x" * 300_000)},
            headers={"X-API-Key": live.keys["editor"]},
        )
    assert r.status_code == 413
    assert r.json()["field"] == "body"
