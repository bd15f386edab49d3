"""A key sent in a URL by mistake is refused and never printed in uvicorn's access line."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.auth import KeyStore
from api.redact import redact_url
from api.services import plumbing_engine
from graph.networkx_store import NetworkxStore
from tests.api.conftest import make_settings, small_graph
from tests.api.live import LiveServer


@pytest.mark.parametrize(
    ("path", "secret"),
    [
        ("/api/me?api_key=fs_ab12_SECRETvalue-1", "SECRETvalue-1"),
        ("/api/me?lang=zh&token=abc.def.ghi", "abc.def.ghi"),
        ("/api/me?X-API-Key=fs_ab12_xyz&q=1", "fs_ab12_xyz"),
        ("/api/me?api%5Fkey=hunter2", "hunter2"),
        ("/api/nodes/fs_ab12_pastedIntoThePath", "pastedIntoThePath"),
        ("/api/me?password=p%40ss", "p%40ss"),
    ],
)
def test_redact_url(path: str, secret: str) -> None:
    out = redact_url(path)
    assert secret not in out
    assert "***" in out


def test_redact_url_keeps_ordinary_queries() -> None:
    for path in ("/api/search?q=盾构&top=5", "/api/overview/list?chart=org_kind&key=", "/"):
        assert redact_url(path) == path


def test_a_key_in_the_url_is_refused_and_not_logged(tmp_path: Path) -> None:
    store = NetworkxStore(tmp_path / "r.db")
    small_graph(store)
    settings = make_settings(tmp_path)  # reads closed: a key is needed
    key = (
        KeyStore(settings.keys_file, secret=settings.secret_key)
        .create(role="viewer", clearance="public")
        .key
    )
    app = create_app(settings, store=store, engine_factory=plumbing_engine)
    try:
        with LiveServer(app) as live, httpx.Client(base_url=live.url, timeout=30) as c:
            refused = c.get(f"/api/me?api_key={key}")
            assert refused.status_code == 401  # a URL is no place for a key
            assert c.get("/api/me", headers={"X-API-Key": key}).status_code == 200
            c.get(f"/api/overview?lang=zh&api_key={key}")
            # the server's lines (the client's own httpx log, in this process too, is not it)
            text = "\n".join(x for x in live.logs.lines if x.startswith("uvicorn"))
    finally:
        store.close()
    assert "/api/me?api_key=***" in text  # the access line is there, redacted
    assert "/api/overview?lang=zh&api_key=***" in text
    assert key not in text
    assert key.split("_", 2)[2] not in text
