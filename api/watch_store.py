"""Where watches, alerts and the delivery outbox live: one small SQLite file of their own.

Why a file of its own and not the graph store's ``cache_get/cache_put``: alerts are listed by
owner, watch and time, the outbox is claimed and updated row by row by whoever delivers, and
"alert once" has to be one atomic insert — queries and transactions a key/blob cache does not
offer, on either graph backend. The file sits beside the keys file (``FIRSTSET_WATCHES_FILE``,
default ``firstset-watches.db`` in the keys file's folder), in WAL mode, so the CLI and the
server can share it.

Tables: ``watches`` (the saved queries, their query vector and model), ``seen`` (watch, item):
what was already alerted — its primary key is the dedupe, ``alerts``, ``outbox`` (one row per
alert and webhook, delivered once), ``snapshot`` (item → content key per store and clearance
level: what the last load left, so the next one knows what is new or changed) and ``loads``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graph.errors import InvalidRequest

__all__ = ["AlertRecord", "OutboxRow", "WatchRecord", "WatchStore", "iso", "now_utc", "parse_since"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, clearance TEXT NOT NULL, source TEXT NOT NULL,
  query TEXT NOT NULL, field TEXT, labels TEXT NOT NULL, threshold REAL NOT NULL,
  rate TEXT NOT NULL, webhook TEXT, secret TEXT, created TEXT NOT NULL, closed TEXT,
  model TEXT, vector BLOB, exclude TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS watches_owner ON watches(owner);
CREATE TABLE IF NOT EXISTS seen (
  watch TEXT NOT NULL, item TEXT NOT NULL, alert TEXT NOT NULL, PRIMARY KEY (watch, item));
CREATE TABLE IF NOT EXISTS alerts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, watch TEXT NOT NULL,
  owner TEXT NOT NULL, item TEXT NOT NULL, label TEXT NOT NULL, name TEXT NOT NULL,
  score REAL NOT NULL, parts TEXT NOT NULL, evidence TEXT NOT NULL, load TEXT NOT NULL,
  created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_owner ON alerts(owner, created);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, alert TEXT NOT NULL, watch TEXT NOT NULL,
  url TEXT NOT NULL, next_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  lease_until TEXT, delivered_at TEXT, last_error TEXT, created TEXT NOT NULL,
  UNIQUE (alert, url));
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(delivered_at, next_at);
CREATE TABLE IF NOT EXISTS snapshot (
  scope TEXT NOT NULL, item TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (scope, item));
CREATE TABLE IF NOT EXISTS scopes (scope TEXT PRIMARY KEY, version INTEGER, updated TEXT);
CREATE TABLE IF NOT EXISTS loads (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, store TEXT NOT NULL, version INTEGER,
  created TEXT NOT NULL, changed INTEGER NOT NULL, alerts INTEGER NOT NULL);
"""


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """One text form for every timestamp in the file (UTC, microseconds): sorts as it reads."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_since(value: str | None, *, field: str = "since") -> str | None:
    """An ISO date or date-time (naive means UTC) in the file's form, or ``InvalidRequest``."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            f"不是 ISO 日期时间 / not an ISO date-time: {value!r} (e.g. 2026-12-01T08:00:00Z)",
            field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment)


@dataclass(frozen=True)
class WatchRecord:
    """A saved watch as stored (the webhook secret is never part of its JSON)."""

    id: str
    owner: str
    clearance: str
    source: Mapping[str, Any]  # {"text": ...} | {"demand": id} | {"technology": id}
    query: str
    field: str | None
    labels: tuple[str, ...]
    threshold: float
    rate: str
    webhook: str | None
    secret: str | None
    created: str
    closed: str | None = None
    model: str | None = None
    vector: NDArray[np.float32] | None = None
    exclude: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "owner": self.owner, "clearance": self.clearance,
            "text": self.source.get("text"), "demand": self.source.get("demand"),
            "technology": self.source.get("technology"), "query": self.query,
            "field": self.field, "labels": list(self.labels), "threshold": self.threshold,
            "rate": self.rate, "webhook": self.webhook, "created": self.created,
            "open": self.closed is None,
        }


@dataclass(frozen=True)
class AlertRecord:
    """One alert: what matched which watch, with its score parts, evidence and load."""

    id: str
    watch: str
    owner: str
    item: str
    label: str
    name: str
    score: float
    parts: Mapping[str, float]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    load: str = ""
    created: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "watch": self.watch, "item": self.item, "label": self.label,
            "name": self.name, "score": round(self.score, 6),
            "parts": {k: round(v, 6) for k, v in self.parts.items()},
            "evidence": list(self.evidence), "load": self.load, "created": self.created,
        }


@dataclass(frozen=True)
class OutboxRow:
    id: int
    alert: str
    watch: str
    url: str
    attempts: int
    next_at: str
    delivered_at: str | None
    last_error: str | None


class WatchStore:
    """The watches file. Thread-safe (one connection per thread); every write is one
    transaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conn().executescript(SCHEMA)

    # ---- connection -----------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        c = self._conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ---- watches --------------------------------------------------------------------------

    def add_watch(
        self, *, owner: str, clearance: str, source: Mapping[str, Any], query: str,
        field: str | None, labels: Sequence[str], threshold: float, rate: str,
        webhook: str | None, model: str, vector: NDArray[np.float32],
        exclude: Sequence[str] = (),
    ) -> WatchRecord:
        wid = f"watch:{secrets.token_hex(5)}"
        secret = secrets.token_urlsafe(24) if webhook else None
        created = iso(now_utc())
        with self._tx() as c:
            c.execute(
                "INSERT INTO watches (id, owner, clearance, source, query, field, labels, "
                "threshold, rate, webhook, secret, created, model, vector, exclude) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (wid, owner, clearance, json.dumps(dict(source), ensure_ascii=False), query,
                 field, json.dumps(list(labels)), float(threshold), rate, webhook, secret,
                 created, model, np.asarray(vector, np.float32).tobytes(),
                 json.dumps(list(exclude))))
        return self.watch(wid)

    def watch(self, wid: str) -> WatchRecord:
        row = self._conn().execute("SELECT * FROM watches WHERE id = ?", (wid,)).fetchone()
        if row is None:
            raise InvalidRequest(f"没有该关注 / no watch {wid!r}", field="id")
        return _watch(row)

    def watches(self, *, owner: str | None = None, open_only: bool = True) -> list[WatchRecord]:
        sql = "SELECT * FROM watches WHERE 1=1"
        args: list[Any] = []
        if owner is not None:
            sql += " AND owner = ?"
            args.append(owner)
        if open_only:
            sql += " AND closed IS NULL"
        return [_watch(r) for r in self._conn().execute(sql + " ORDER BY created, id", args)]

    def close_watch(self, wid: str, *, owner: str | None) -> bool:
        """Close (remove) a watch; False when there is no open watch of this owner by that id.
        Its alerts stay listed; undelivered webhook rows of it are dropped."""
        with self._tx() as c:
            sql = "UPDATE watches SET closed = ? WHERE id = ? AND closed IS NULL"
            args: list[Any] = [iso(now_utc()), wid]
            if owner is not None:
                sql += " AND owner = ?"
                args.append(owner)
            done = c.execute(sql, args).rowcount > 0
            if done:
                c.execute("DELETE FROM outbox WHERE watch = ? AND delivered_at IS NULL", (wid,))
        return done

    def set_vector(self, wid: str, model: str, vector: NDArray[np.float32]) -> None:
        with self._tx() as c:
            c.execute("UPDATE watches SET model = ?, vector = ? WHERE id = ?",
                      (model, np.asarray(vector, np.float32).tobytes(), wid))

    def open_levels(self) -> set[str]:
        rows = self._conn().execute("SELECT DISTINCT clearance FROM watches WHERE closed IS NULL")
        return {r[0] for r in rows}

    # ---- snapshot of what the last load left -------------------------------------------------

    def snapshot(self, scope: str) -> dict[str, str] | None:
        """Item id → content key for a scope, or None when the scope was never recorded."""
        c = self._conn()
        if c.execute("SELECT 1 FROM scopes WHERE scope = ?", (scope,)).fetchone() is None:
            return None
        return {r[0]: r[1] for r in c.execute(
            "SELECT item, key FROM snapshot WHERE scope = ?", (scope,))}

    def put_snapshot(self, scope: str, keys: Mapping[str, str], version: int | None,
                     *, before: Mapping[str, str] | None = None) -> None:
        """Record what a scope holds now; with ``before`` (what it held) only the rows that
        changed are written, so a small load costs a small write."""
        with self._tx() as c:
            if before is None:
                c.execute("DELETE FROM snapshot WHERE scope = ?", (scope,))
                rows = [(scope, k, v) for k, v in keys.items()]
            else:
                c.executemany("DELETE FROM snapshot WHERE scope = ? AND item = ?",
                              [(scope, k) for k in before if k not in keys])
                rows = [(scope, k, v) for k, v in keys.items() if before.get(k) != v]
            c.executemany("INSERT OR REPLACE INTO snapshot (scope, item, key) VALUES (?,?,?)",
                          rows)
            c.execute("INSERT OR REPLACE INTO scopes (scope, version, updated) VALUES (?,?,?)",
                      (scope, version, iso(now_utc())))

    # ---- alerts ---------------------------------------------------------------------------

    def new_load(self, store: str, version: int | None) -> str:
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO loads (store, version, created, changed, alerts) VALUES (?,?,?,0,0)",
                (store, version, iso(now_utc())))
        return f"load:{cur.lastrowid}"

    def finish_load(self, load: str, *, changed: int, alerts: int) -> None:
        with self._tx() as c:
            c.execute("UPDATE loads SET changed = ?, alerts = ? WHERE seq = ?",
                      (changed, alerts, int(load.split(":", 1)[1])))

    def record_alerts(self, load: str, rows: Iterable[Mapping[str, Any]]) -> list[AlertRecord]:
        """Insert alerts that were not sent before (the ``seen`` key), with their outbox rows,
        in one transaction; returns the new ones. Each row has ``watch``, ``owner``, ``item``,
        ``label``, ``name``, ``score``, ``parts``, ``evidence``, and ``webhook``/``next_at``
        when the watch delivers by webhook."""
        made: list[str] = []
        created = iso(now_utc())
        with self._tx() as c:
            for r in rows:
                seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM alerts").fetchone()[0]
                aid = f"alert:{seq}"
                cur = c.execute("INSERT OR IGNORE INTO seen (watch, item, alert) VALUES (?,?,?)",
                                (r["watch"], r["item"], aid))
                if cur.rowcount == 0:
                    continue  # alerted before: each item alerts a watch once
                c.execute(
                    "INSERT INTO alerts (seq, id, watch, owner, item, label, name, score, parts, "
                    "evidence, load, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (seq, aid, r["watch"], r["owner"], r["item"], r["label"], r["name"],
                     float(r["score"]), json.dumps(dict(r["parts"])),
                     json.dumps(list(r["evidence"]), ensure_ascii=False), load, created))
                if r.get("webhook"):
                    c.execute(
                        "INSERT OR IGNORE INTO outbox (alert, watch, url, next_at, created) "
                        "VALUES (?,?,?,?,?)",
                        (aid, r["watch"], r["webhook"], r.get("next_at") or created, created))
                made.append(aid)
        return self.alerts_by_id(made)

    def alerts_by_id(self, ids: Sequence[str]) -> list[AlertRecord]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._conn().execute(
            f"SELECT * FROM alerts WHERE id IN ({marks}) ORDER BY seq", list(ids))
        return [_alert(r) for r in rows]

    def alerts(self, *, owner: str | None = None, since: str | None = None,
               watch: str | None = None, limit: int | None = None) -> list[AlertRecord]:
        """Alerts, oldest first; ``since`` is exclusive (an ISO text in the file's form)."""
        sql = "SELECT * FROM alerts WHERE 1=1"
        args: list[Any] = []
        for col, val, op in (("owner", owner, "="), ("created", since, ">"),
                             ("watch", watch, "=")):
            if val is not None:
                sql += f" AND {col} {op} ?"
                args.append(val)
        sql += " ORDER BY seq"
        if limit:
            sql = f"SELECT * FROM ({sql.replace(' ORDER BY seq', ' ORDER BY seq DESC')} " \
                  f"LIMIT {int(limit)}) ORDER BY seq"
        return [_alert(r) for r in self._conn().execute(sql, args)]

    # ---- outbox ---------------------------------------------------------------------------

    def claim_due(self, now: datetime, *, lease: timedelta) -> list[OutboxRow]:
        """Take the outbox rows due now for ``lease``: no one else takes them meanwhile."""
        t, until = iso(now), iso(now + lease)
        with self._tx() as c:
            rows = c.execute(
                "SELECT * FROM outbox WHERE delivered_at IS NULL AND next_at <= ? AND "
                "(lease_until IS NULL OR lease_until <= ?) ORDER BY id", (t, t)).fetchall()
            c.executemany("UPDATE outbox SET lease_until = ? WHERE id = ?",
                          [(until, r["id"]) for r in rows])
        return [_outbox(r) for r in rows]

    def delivered(self, ids: Sequence[int], now: datetime) -> None:
        with self._tx() as c:
            c.executemany(
                "UPDATE outbox SET delivered_at = ?, lease_until = NULL, "
                "attempts = attempts + 1, last_error = NULL WHERE id = ?",
                [(iso(now), i) for i in ids])

    def failed(self, ids: Sequence[int], error: str, now: datetime,
               backoff: Mapping[int, timedelta]) -> None:
        """Record a failed attempt; each row is due again after its backoff (never dropped)."""
        with self._tx() as c:
            for i in ids:
                c.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                    "lease_until = NULL, next_at = ? WHERE id = ?",
                    (error[:500], iso(now + backoff[i]), i))

    def outbox(self, *, watch: str | None = None) -> list[OutboxRow]:
        sql, args = "SELECT * FROM outbox", []
        if watch:
            sql += " WHERE watch = ?"
            args.append(watch)
        return [_outbox(r) for r in self._conn().execute(sql + " ORDER BY id", args)]


def _watch(r: sqlite3.Row) -> WatchRecord:
    vec = np.frombuffer(r["vector"], np.float32).copy() if r["vector"] else None
    return WatchRecord(
        id=r["id"], owner=r["owner"], clearance=r["clearance"], source=json.loads(r["source"]),
        query=r["query"], field=r["field"], labels=tuple(json.loads(r["labels"])),
        threshold=float(r["threshold"]), rate=r["rate"], webhook=r["webhook"],
        secret=r["secret"], created=r["created"], closed=r["closed"], model=r["model"],
        vector=vec, exclude=tuple(json.loads(r["exclude"] or "[]")),
    )


def _alert(r: sqlite3.Row) -> AlertRecord:
    return AlertRecord(
        id=r["id"], watch=r["watch"], owner=r["owner"], item=r["item"], label=r["label"],
        name=r["name"], score=float(r["score"]), parts=json.loads(r["parts"]),
        evidence=json.loads(r["evidence"]), load=r["load"], created=r["created"],
    )


def _outbox(r: sqlite3.Row) -> OutboxRow:
    return OutboxRow(id=r["id"], alert=r["alert"], watch=r["watch"], url=r["url"],
                     attempts=r["attempts"], next_at=r["next_at"],
                     delivered_at=r["delivered_at"], last_error=r["last_error"])
