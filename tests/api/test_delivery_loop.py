"""The server runs webhook deliveries on a timer (retries and digests between loads)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.delivery
from api.app import create_app
from api.information import open_watch_store, watches_path
from graph.networkx_store import NetworkxStore
from tests.api.conftest import make_settings


def test_the_server_delivers_due_alerts_on_a_timer(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rounds: list[Any] = []
    seen = threading.Event()

    def fake_deliver(db: Any, **kw: Any) -> Any:
        rounds.append(db)
        seen.set()
        return api.delivery.DeliveryReport()

    monkeypatch.setattr(api.delivery, "deliver_due", fake_deliver)
    settings = make_settings(tmp_path, delivery_interval_s=0.1, warm_up=False)
    open_watch_store(settings).close()  # a watches file exists: there is something to deliver
    assert watches_path(settings).exists()
    store = NetworkxStore(tmp_path / "s.db")
    with TestClient(create_app(settings, store=store)):
        assert seen.wait(5.0), "no delivery round within 5 s"
    n = len(rounds)
    time.sleep(0.3)
    assert len(rounds) == n  # the loop stops with the server
    store.close()


def test_no_rounds_when_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(api.delivery, "deliver_due", lambda db, **kw: calls.append(1))
    settings = make_settings(tmp_path, delivery_interval_s=0, warm_up=False)
    open_watch_store(settings).close()
    store = NetworkxStore(tmp_path / "s.db")
    with TestClient(create_app(settings, store=store)):
        time.sleep(0.3)
    assert calls == []
    store.close()
