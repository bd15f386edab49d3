"""``GET /api/alerts`` (+ ``.atom``), the Atom feed per key, and ``POST /api/alerts/deliver``.

Alerts are the caller's own (its key's watches). The feed address
``/api/alerts/feed/{key_id}/{token}.atom`` carries a token derived from the key id (see
:func:`api.delivery.feed_token`), never the key, so a feed reader can poll it; it ends when
the key is revoked. ``GET /api/alerts/feed-url`` tells a key its address.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.delivery import atom_feed, deliver_due, feed_token
from api.deps import EditorDep, ReaderDep, StateDep
from api.errors import ERROR_RESPONSES
from api.exports import EXPORT_RESPONSES, ExportFormat, alert_rows, export_response
from api.information import key_owner
from api.routes.watches import owner_of, watch_db
from api.visibility import filter_payload
from api.watch_store import AlertRecord, parse_since

__all__ = ["AlertPublic", "AlertsPublic", "router"]

router = APIRouter(
    prefix="/alerts", tags=["watches"],
    responses={k: ERROR_RESPONSES[k] for k in (401, 403, 404, 422)},
)
ATOM = "application/atom+xml; charset=utf-8"


class AlertPublic(BaseModel):
    """One alert: what matched (``item``, ``label``, ``name``), its score and parts, the
    evidence, and which load brought it."""

    model_config = ConfigDict(extra="allow")
    id: str
    watch: str
    item: str
    label: str
    name: str
    score: float
    parts: dict[str, float]
    evidence: list[dict[str, object]]
    load: str
    created: str


class AlertsPublic(BaseModel):
    alerts: list[AlertPublic]


class DeliveryPublic(BaseModel):
    sent: int
    failed: int
    posts: int
    errors: list[str] = Field(default_factory=list)


class FeedPublic(BaseModel):
    url: str


Since = Annotated[str | None, Query(max_length=64, description="ISO 时间之后 / after this time")]
WatchQ = Annotated[str | None, Query(max_length=100, description="只看此关注 / one watch")]


def _visible(state: StateDep, alerts: list[AlertRecord], clearance: str) -> list[AlertRecord]:
    """Alerts whose item the caller may still see (an item marked higher after it alerted
    drops out): the second line of defence of every answer."""
    kept = filter_payload(state.store, [a.to_json() for a in alerts], clearance)
    ids = {a["id"] for a in kept}
    return [a for a in alerts if a.id in ids]


def _mine(state: StateDep, owner: str, clearance: str, since: str | None, watch: str | None,
          limit: int | None = None) -> list[AlertPublic]:
    after = parse_since(since)
    with watch_db(state.settings) as db:
        found = db.alerts(owner=owner, since=after, watch=watch, limit=limit)
    return [AlertPublic(**a.to_json()) for a in _visible(state, found, clearance)]


@router.get("", response_model=AlertsPublic, summary="我的报警 / my alerts",
            responses=EXPORT_RESPONSES)
def list_alerts(state: StateDep, who: ReaderDep, since: Since = None, watch: WatchQ = None,
                format: ExportFormat = None) -> AlertsPublic | Response:
    found = _mine(state, owner_of(who), who.clearance, since, watch)
    if format:  # ?format=xlsx|csv: the same alerts as a file (api/exports.py)
        return export_response(alert_rows([a.model_dump() for a in found]), format, "alerts")
    return AlertsPublic(alerts=found)


def _atom(request: Request, state: StateDep, key_id: str, clearance: str, since: str | None
          ) -> Response:
    owner = key_owner(key_id)
    after = parse_since(since)
    with watch_db(state.settings) as db:
        found = _visible(state, db.alerts(owner=owner, since=after, limit=200), clearance)
    body = atom_feed(found, feed_id=f"urn:firstset:alerts:{key_id}",
                     title=f"firstset 报警 alerts ({key_id})", self_url=str(request.url))
    return Response(body, media_type=ATOM)


@router.get(".atom", summary="我的报警（Atom）/ my alerts as Atom",
            response_class=Response, responses={200: {"content": {ATOM: {}}}})
def alerts_atom(request: Request, state: StateDep, who: ReaderDep, since: Since = None
                ) -> Response:
    owner_of(who)
    assert who.key_id is not None
    return _atom(request, state, who.key_id, who.clearance, since)


@router.get("/feed-url", response_model=FeedPublic, summary="订阅地址 / my Atom feed address")
def feed_url(request: Request, state: StateDep, who: ReaderDep) -> FeedPublic:
    owner_of(who)
    assert who.key_id is not None
    token = feed_token(state.settings.secret_key, who.key_id)
    return FeedPublic(url=str(request.url_for("alerts_feed", key_id=who.key_id, token=token)))


@router.get("/feed/{key_id}/{token}.atom", name="alerts_feed", response_class=Response,
            summary="Atom 订阅（无需请求头）/ Atom feed for readers that cannot send headers",
            responses={200: {"content": {ATOM: {}}}})
def alerts_feed(
    request: Request, state: StateDep,
    key_id: Annotated[str, Path(max_length=64)], token: Annotated[str, Path(max_length=64)],
    since: Since = None,
) -> Response:
    expected = feed_token(state.settings.secret_key, key_id)
    good = hmac.compare_digest(token.encode(), expected.encode())  # bytes: any input is fine
    record = next((r for r in state.keys.list() if r.id == key_id), None)
    if not good or record is None:
        raise HTTPException(404, "没有该订阅 / no such feed")
    return _atom(request, state, key_id, record.clearance, since)


@router.post("/deliver", response_model=DeliveryPublic,
             summary="推送到期的 webhook / send due webhook deliveries (editor)")
def deliver(state: StateDep, who: EditorDep) -> DeliveryPublic:
    owner = owner_of(who)
    with watch_db(state.settings) as db:
        done = deliver_due(db)
        mine = {w.id for w in db.watches(owner=owner, open_only=False)}
    errors = [e for e in done.errors if e.split(" ", 1)[0] in mine]  # never others' addresses
    return DeliveryPublic(sent=done.sent, failed=done.failed, posts=done.posts, errors=errors)
