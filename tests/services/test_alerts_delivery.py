"""Delivery: a local webhook receiver (loopback only) that fails, then recovers — every alert
arrives, signed, once; daily digests wait for their time; the HTTP API and the Atom feed show
each key its own alerts only. Plumbing: the stand-in embedder."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import KeyStore
from api.delivery import backoff, deliver_due, due_at, sign
from api.information import add_watch, after_load, open_watch_store
from api.settings import Settings
from api.watch_store import WatchStore, now_utc
from graph.networkx_store import NetworkxStore
from ingest.generate.demo import write_demo
from ingest.load import load_paths
from tests.services.test_watches import BEARING, write_batch


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers ``fail`` times with 500, then 200."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.calls: list[tuple[int, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                code = 500 if len([c for c in outer.calls if c[0] == 500]) < outer.fail else 200
                outer.calls.append((code, dict(self.headers), body))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return [json.loads(b) for code, _, b in self.calls if code == 200]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, scale=0.1)
    return folder


@pytest.fixture
def world(tmp_path: Path, demo_dir: Path) -> Iterator[dict[str, Any]]:
    from matching.embedders import HashEmbedder
    from matching.engine import MatchingEngine

    store = NetworkxStore(tmp_path / "s.db")
    load_paths(store, [demo_dir])
    s = Settings(keys_file=tmp_path / "keys.json", webhook_private_ok=True)
    engine = MatchingEngine(store, HashEmbedder())
    db = open_watch_store(s)
    try:
        yield {"store": store, "settings": s, "engine": engine, "db": db, "tmp": tmp_path}
    finally:
        db.close()
        store.close()


def test_webhook_fails_then_recovers_every_alert_once(world: dict[str, Any]) -> None:
    store, s, engine, db = world["store"], world["settings"], world["engine"], world["db"]
    rx = Receiver(fail=2)
    try:
        w = add_watch(db, store, engine, owner="cli", clearance="public", text=BEARING,
                      threshold=1.0, webhook=rx.url, settings=s)
        assert w.secret
        done = after_load(store, load_paths(store, [write_batch(world["tmp"] / "b2")]),
                          engine=engine, settings=s)
        assert done is not None and done["alerts"] > 0
        assert done["delivery"]["failed"] == done["alerts"]  # first try: 500
        rows = db.outbox()
        assert len(rows) == done["alerts"] and all(r.attempts == 1 and not r.delivered_at
                                                   for r in rows)
        assert deliver_due(db).posts == 0  # not due again yet: the backoff holds
        later = now_utc() + backoff(1) + timedelta(seconds=1)
        assert deliver_due(db, now=later).failed == len(rows)  # second try: 500 again
        latest = later + backoff(2) + timedelta(seconds=1)
        ok = deliver_due(db, now=latest)
        assert ok.sent == len(rows) and ok.failed == 0
        assert deliver_due(db, now=latest + timedelta(days=30)).posts == 0  # never twice
        assert all(r.delivered_at for r in db.outbox())

        assert [c[0] for c in rx.calls] == [500, 500, 200]
        ids = {h["X-Firstset-Delivery"] for _, h, _ in rx.calls}
        assert len(ids) == 1  # retries carry the same delivery id
        for _, headers, body in rx.calls:
            want = "sha256=" + hmac.new(w.secret.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["X-Firstset-Signature"], want)
        got = [a["id"] for a in rx.delivered[0]["alerts"]]
        assert sorted(got) == sorted(a.id for a in db.alerts())
    finally:
        rx.close()


def test_receiver_down_nothing_lost(world: dict[str, Any]) -> None:
    store, s, engine, db = world["store"], world["settings"], world["engine"], world["db"]
    rx = Receiver(fail=0)
    url = rx.url
    rx.close()  # nobody listens there now
    add_watch(db, store, engine, owner="cli", clearance="public", text=BEARING, threshold=1.0,
              webhook=url, settings=s)
    done = after_load(store, load_paths(store, [write_batch(world["tmp"] / "b2")]),
                      engine=engine, settings=s)
    assert done is not None and done["delivery"]["failed"] == done["alerts"] > 0
    assert all(r.last_error and "Error" in r.last_error for r in db.outbox())
    # the claim is a lease: a second deliverer running at the same moment takes nothing
    first = db.claim_due(now_utc() + timedelta(hours=2), lease=timedelta(minutes=2))
    assert len(first) == done["alerts"]
    assert db.claim_due(now_utc() + timedelta(hours=2), lease=timedelta(minutes=2)) == []


def test_daily_watch_is_one_digest_at_midnight(world: dict[str, Any]) -> None:
    store, s, engine, db = world["store"], world["settings"], world["engine"], world["db"]
    rx = Receiver(fail=0)
    try:
        add_watch(db, store, engine, owner="cli", clearance="public", text=BEARING,
                  threshold=1.0, webhook=rx.url, rate="daily", settings=s)
        done = after_load(store, load_paths(store, [write_batch(world["tmp"] / "b2")]),
                          engine=engine, settings=s)
        assert done is not None and done["alerts"] > 0 and "delivery" in done
        assert rx.calls == []  # not before its time
        midnight = due_at("daily", now_utc())
        assert midnight.hour == 0 and midnight > now_utc()
        sent = deliver_due(db, now=midnight)
        assert sent.posts == 1 and sent.sent == done["alerts"]
        assert len(rx.delivered[0]["alerts"]) == done["alerts"]
    finally:
        rx.close()
    assert due_at("weekly", now_utc()).weekday() == 0
    assert sign("k", b"x") == sign("k", b"x") != sign("k", b"y")


def test_webhook_to_a_private_address_refused_outside_development(world: dict[str, Any]
                                                                   ) -> None:
    from graph.errors import InvalidRequest

    store, engine, db = world["store"], world["engine"], world["db"]
    strict = Settings(keys_file=world["tmp"] / "keys.json", webhook_private_ok=False)
    for url in ("http://127.0.0.1:9/x", "ftp://example.org/x"):
        with pytest.raises(InvalidRequest) as caught:
            add_watch(db, store, engine, owner="cli", clearance="public", text=BEARING,
                      webhook=url, settings=strict)
        assert caught.value.field == "webhook"


# ---- HTTP ---------------------------------------------------------------------------------


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in folder.iterdir():
            zf.write(p, f"batch/{p.name}")
    return buf.getvalue()


def test_http_watches_alerts_and_atom(tmp_path: Path, demo_dir: Path) -> None:
    from api.services import plumbing_engine

    store = NetworkxStore(tmp_path / "s.db")
    load_paths(store, [demo_dir])
    settings = Settings(environment="staging", secret_key="test-secret-not-default",
                        keys_file=tmp_path / "keys.json", open_reads=False, warm_up=False)
    ks = KeyStore(settings.keys_file, secret=settings.secret_key)
    pub = ks.create(role="editor", clearance="public")
    sec = ks.create(role="editor", clearance="secret")
    viewer = ks.create(role="viewer", clearance="public")
    app = create_app(settings, store=store, engine_factory=plumbing_engine)
    try:
        with TestClient(app) as c:
            h_pub, h_sec = {"X-API-Key": pub.key}, {"X-API-Key": sec.key}
            paths = c.get("/openapi.json").json()["paths"]
            for path in ("/api/watches", "/api/watches/{watch_id}", "/api/alerts",
                         "/api/alerts.atom", "/api/alerts/feed/{key_id}/{token}.atom",
                         "/api/evaluations", "/api/equipment/{equipment_id}/status",
                         "/api/catalogue/diff", "/api/catalogue/entries",
                         "/api/insurance/{node_id}"):
                assert path in paths, path
            r = c.post("/api/watches", json={"text": BEARING, "threshold": 1.0}, headers=h_pub)
            assert r.status_code == 201, r.text
            mine = r.json()["id"]
            assert r.json()["clearance"] == "public" and r.json()["secret"] is None
            r = c.post("/api/watches", json={"text": BEARING, "threshold": 1.0}, headers=h_sec)
            theirs = r.json()["id"]
            assert c.post("/api/watches", json={"text": "x"},
                          headers={"X-API-Key": viewer.key}).status_code == 403
            r = c.post("/api/watches", json={"text": BEARING, "rate": "hourly"}, headers=h_pub)
            assert r.status_code == 422 and "rate" in r.text
            r = c.post("/api/watches", json={"text": BEARING, "threshold": -5}, headers=h_pub)
            assert r.status_code == 422 and r.json()["field"] == "threshold"
            assert "items" in r.json()["error"]
            listed = c.get("/api/watches", headers=h_pub).json()["watches"]
            assert [w["id"] for w in listed] == [mine]
            assert c.get("/api/watches").status_code == 401
            assert c.delete(f"/api/watches/{theirs}", headers=h_pub).status_code == 404

            batch = _zip(write_batch(tmp_path / "b2"))
            r = c.post("/api/ingest", files={"file": ("b2.zip", batch, "application/zip")},
                       headers=h_pub)
            assert r.status_code == 200, r.text
            a_pub = c.get("/api/alerts", headers=h_pub).json()["alerts"]
            a_sec = c.get("/api/alerts", headers=h_sec).json()["alerts"]
            assert a_pub and {a["watch"] for a in a_pub} == {mine}
            assert {a["watch"] for a in a_sec} == {theirs}
            assert "tech:b2-secret" not in {a["item"] for a in a_pub}
            assert c.get("/api/alerts", params={"since": "nope"},
                         headers=h_pub).status_code == 422

            feed = c.get("/api/alerts.atom", headers=h_pub)
            assert feed.headers["content-type"].startswith("application/atom+xml")
            ns = {"a": "http://www.w3.org/2005/Atom"}
            entries = ET.fromstring(feed.text).findall("a:entry", ns)
            assert len(entries) == len(a_pub)
            url = c.get("/api/alerts/feed-url", headers=h_pub).json()["url"]
            assert pub.key not in url
            open_feed = c.get(url)  # no header: the token in the address
            assert open_feed.status_code == 200 and open_feed.text.count("<entry>") == len(a_pub)
            bad = url.rsplit("/", 1)[0] + "/" + "0" * 32 + ".atom"
            assert c.get(bad).status_code == 404

            # an item marked secret after it alerted drops out of every answer
            first = next(a["item"] for a in a_pub if a["label"] != "Organization")
            node = store.get(first)
            store.upsert([type(node)(node.id, node.label, {**node.props, "clearance": "secret"})])
            now = c.get("/api/alerts", headers=h_pub).json()["alerts"]
            assert first not in {a["item"] for a in now} and len(now) == len(a_pub) - 1
            assert c.get(url).text.count("<entry>") == len(a_pub) - 1
            ks.revoke(pub.record.id)
            assert c.get(url).status_code == 404

            assert c.delete(f"/api/watches/{theirs}", headers=h_sec).status_code == 204
            assert c.get("/api/watches", headers=h_sec).json()["watches"] == []
    finally:
        store.close()
    db = WatchStore(tmp_path / "firstset-watches.db")
    assert {a.owner for a in db.alerts()} == {f"key:{pub.record.id}", f"key:{sec.record.id}"}
    db.close()


def test_a_revoked_or_lowered_key_limits_its_watches(world: dict[str, Any]) -> None:
    store, engine, db, tmp = world["store"], world["engine"], world["db"], world["tmp"]
    s = Settings(keys_file=tmp / "keys.json", secret_key="k")
    ks = KeyStore(s.keys_file, secret="k")
    gone = ks.create(role="editor", clearance="secret")
    lowered = ks.create(role="editor", clearance="secret")
    w_gone = add_watch(db, store, engine, owner=f"key:{gone.record.id}", clearance="secret",
                       text=BEARING, threshold=-10.0, settings=Settings(
                           keys_file=tmp / "keys.json", watch_max_share=1.0))
    w_low = add_watch(db, store, engine, owner=f"key:{lowered.record.id}", clearance="secret",
                      text=BEARING, threshold=-10.0, settings=Settings(
                          keys_file=tmp / "keys.json", watch_max_share=1.0))
    ks.revoke(gone.record.id)
    ks.revoke(lowered.record.id)
    records = json.loads(s.keys_file.read_text(encoding="utf-8") or "[]")
    records.append({**{k: v for k, v in lowered.record.__dict__.items()}, "clearance": "public"})
    s.keys_file.write_text(json.dumps(records), encoding="utf-8")  # the same key, now public
    after_load(store, load_paths(store, [write_batch(tmp / "b2")]), engine=engine, settings=s)
    got = {a.watch: set() for a in db.alerts()}
    for a in db.alerts():
        got[a.watch].add(a.item)
    assert w_gone.id not in got
    # the public level had no baseline before: the first load after the drop is the baseline
    after_load(store, load_paths(store, [write_batch(tmp / "b3", bearing_text="主轴承新版")]),
               engine=engine, settings=s)
    low = {a.item for a in db.alerts() if a.watch == w_low.id}
    assert low == {"eq:b2-bearing"}  # what changed, at the key's clearance now (public)
