"""Delivering alerts: webhooks with retries and an HMAC signature, and an Atom feed per key.

Webhooks go through the outbox (:class:`~api.watch_store.WatchStore`): an alert and its outbox
row are written in one transaction, so an alert is never lost between being made and being
sent. :func:`deliver_due` claims the rows that are due (a lease, so two deliverers never send
the same row at once), POSTs them grouped per watch, and marks them delivered on a 2xx answer;
any other answer or a network error puts them back with a growing delay (30 s, 1 min, 2 min …
capped at 1 h), forever — nothing is dropped. A row is marked delivered only after a 2xx, so a
crash between the POST and the mark can repeat a delivery: each POST carries
``X-Firstset-Delivery`` (the same id on every retry of the same rows) for the receiver to
drop a repeat; the sender itself never repeats a delivered row.

Signature: ``X-Firstset-Signature: sha256=<hex HMAC-SHA256 of the raw body with the watch's
secret>`` (the secret is shown once, when the watch is made), with ``X-Firstset-Timestamp``.

Rates: ``immediate`` rows are due at once; ``daily`` at the next 00:00 UTC, ``weekly`` at the
next Monday 00:00 UTC, so each delivery is a digest of everything due.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from api.watch_store import AlertRecord, OutboxRow, WatchStore, iso, now_utc
from graph.errors import InvalidRequest

__all__ = [
    "DeliveryReport",
    "atom_feed",
    "backoff",
    "check_webhook",
    "deliver_due",
    "due_at",
    "feed_token",
    "sign",
]

LEASE = timedelta(minutes=2)
TIMEOUT_S = 5.0
Sender = Callable[[str, bytes, dict[str, str], float], int]  # url, body, headers → status


def sign(secret: str, body: bytes) -> str:
    """The signature header value of a body: ``sha256=`` and the hex HMAC-SHA256.

    >>> sign("s", b"{}")[:15]
    'sha256=143ca8d5'
    """
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def feed_token(secret_key: str, key_id: str) -> str:
    """The token in a key's Atom feed address: an HMAC of the key id, not the key (a feed
    reader can hold it; it reads that key's alerts and nothing else; revoking the key ends it)."""
    return hmac.new(secret_key.encode(), f"feed:{key_id}".encode(), hashlib.sha256).hexdigest()[:32]


def due_at(rate: str, now: datetime) -> datetime:
    """When an alert of a watch with this rate is due for delivery."""
    if rate == "immediate":
        return now
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    if rate == "daily":
        return midnight
    return midnight + timedelta(days=(7 - midnight.weekday()) % 7)  # next Monday 00:00


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones (30 s doubling, ≤ 1 h)."""
    return timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 3600))


def check_webhook(url: str, *, allow_private: bool) -> str:
    """A webhook address, checked: http(s) with a host; loopback, private and link-local
    addresses only when ``allow_private`` (development), so the service is not turned against
    its own network."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest("webhook 须为 http(s):// 地址 / webhook must be an http(s) URL",
                             field="webhook")
    if not allow_private:
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443)
        except OSError:
            raise InvalidRequest(f"无法解析主机 / cannot resolve {parts.hostname!r}",
                                 field="webhook") from None
        for info in infos:
            addr = ipaddress.ip_address(info[4][0])
            if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved:
                raise InvalidRequest(
                    f"webhook 指向内网地址 {addr} / webhook points at a private address",
                    field="webhook")
    return url.strip()


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # the URL was checked by check_webhook
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@dataclass
class DeliveryReport:
    """What one :func:`deliver_due` pass did."""

    sent: int = 0  # outbox rows delivered
    failed: int = 0  # rows that failed this time (due again later)
    posts: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "posts": self.posts,
                "errors": self.errors}


def deliver_due(
    db: WatchStore, *, now: datetime | None = None, send: Sender | None = None,
    timeout: float = TIMEOUT_S,
) -> DeliveryReport:
    """Send every outbox row that is due, one POST per watch and address."""
    moment = now or now_utc()
    rows = db.claim_due(moment, lease=LEASE)
    report = DeliveryReport()
    groups: dict[tuple[str, str], list[OutboxRow]] = defaultdict(list)
    for r in rows:
        groups[(r.watch, r.url)].append(r)
    post = send or _post
    for (wid, url), group in groups.items():
        watch = db.watch(wid)
        alerts = db.alerts_by_id([r.alert for r in group])
        ids = [r.id for r in group]
        delivery = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:24]
        body = json.dumps({"watch": wid, "delivery": delivery,
                           "alerts": [a.to_json() for a in alerts]},
                          ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "firstset-alerts/1",
            "X-Firstset-Event": "alerts",
            "X-Firstset-Delivery": delivery,
            "X-Firstset-Timestamp": iso(moment),
            "X-Firstset-Signature": sign(watch.secret or "", body),
        }
        report.posts += 1
        try:
            status = post(url, body, headers, timeout)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            db.delivered(ids, moment)
            report.sent += len(ids)
        else:
            db.failed(ids, error, moment, {r.id: backoff(r.attempts + 1) for r in group})
            report.failed += len(ids)
            report.errors.append(f"{wid} → {url}: {error}")
    return report


def atom_feed(alerts: Sequence[AlertRecord], *, feed_id: str, title: str, self_url: str,
              updated: str | None = None) -> str:
    """An Atom 1.0 document (RFC 4287) of alerts, newest first."""
    def el(tag: str, text: str, **attrs: str) -> str:
        a = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items())
        return f"<{tag}{a}>{escape(text)}</{tag}>"

    stamp = updated or (alerts[-1].created if alerts else iso(now_utc()))
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom">',
           el("id", feed_id), el("title", title), el("updated", stamp),
           f'<link rel="self" href="{escape(self_url)}"/>',
           "<author><name>firstset</name></author>"]
    for a in reversed(alerts):
        ev = "；".join(str(e.get("text", "")) for e in a.evidence)
        summary = (f"关注 {a.watch} 命中 {a.label} {a.name}（得分 {a.score:.2f}）。{ev} "
                   f"/ watch {a.watch} matched {a.label} {a.item}, score {a.score:.2f}, "
                   f"load {a.load}")
        out += ["<entry>", el("id", f"urn:firstset:{a.id}"),
                el("title", f"{a.name}（{a.label}）"), el("updated", a.created),
                el("summary", summary),
                f'<category term="{escape(a.label)}"/>',
                "</entry>"]
    out.append("</feed>")
    return "\n".join(out) + "\n"
