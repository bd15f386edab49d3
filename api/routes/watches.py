"""``POST/GET/DELETE /api/watches``: saved demands that alert when new data matches them.

Each key sees and removes only its own watches; saving one needs the editor role. The watch's
clearance is the key's: nothing above it is ever alerted. A watch that would alert on nearly
everything is refused (422) with the figure, naming ``threshold``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal
from api.deps import EditorDep, ReaderDep, StateDep
from api.errors import ERROR_RESPONSES
from api.information import add_watch, key_owner, open_watch_store
from api.settings import Settings
from api.watch_store import WatchStore
from matching.watches import DEFAULT_THRESHOLD

__all__ = ["WatchCreate", "WatchPublic", "WatchesPublic", "owner_of", "router", "watch_db"]

router = APIRouter(
    prefix="/watches", tags=["watches"],
    responses={k: ERROR_RESPONSES[k] for k in (401, 403, 404, 422)},
)


class WatchCreate(BaseModel):
    """``firstset watch add (--text TEXT | --demand ID | --technology ID) [--threshold X]
    [--rate R] [--field F] [--label L ...] [--webhook URL]``."""

    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(min_length=1, max_length=4000)] | None = Field(
        default=None, description="需求描述 / demand text")
    demand: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        default=None, description="需求 id / a Demand id")
    technology: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        default=None, description="技术 id：关注相似条目 / a Technology id: items like it")
    threshold: float = Field(
        default=DEFAULT_THRESHOLD, ge=-10, le=20,
        description="阈值：高出一般条目的标准差数 / standard deviations above a typical item")
    rate: Literal["immediate", "daily", "weekly"] = Field(
        default="immediate", description="推送频率 / webhook delivery rate")
    field: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="领域 / only items in this field")
    labels: list[Literal["Equipment", "Patent", "Technology", "Pitch", "Organization"]] | None = (
        Field(default=None, description="关注的类别（默认全部）/ what to watch (default all)"))
    webhook: Annotated[str, Field(max_length=2000)] | None = Field(
        default=None, description="推送地址（签名）/ POST alerts here, signed")


class WatchPublic(BaseModel):
    """A saved watch. ``secret`` (the webhook signing key) is returned once, on creation."""

    model_config = ConfigDict(extra="allow")
    id: str
    owner: str
    clearance: str
    query: str
    threshold: float
    rate: str
    labels: list[str]
    open: bool
    created: str
    text: str | None = None
    demand: str | None = None
    technology: str | None = None
    field: str | None = None
    webhook: str | None = None
    secret: str | None = None


class WatchesPublic(BaseModel):
    watches: list[WatchPublic]


def owner_of(who: Principal) -> str:
    """The owner name of the caller's watches; a caller without a key has none (401)."""
    if who.key_id is None:
        raise HTTPException(401, "关注需要 API 密钥 / watches need an API key",
                            headers={"WWW-Authenticate": "Bearer"})
    return key_owner(who.key_id)


@contextmanager
def watch_db(settings: Settings) -> Iterator[WatchStore]:
    db = open_watch_store(settings)
    try:
        yield db
    finally:
        db.close()


@router.post("", response_model=WatchPublic, status_code=status.HTTP_201_CREATED,
             summary="保存关注 / save a watch (editor)")
def create_watch(body: WatchCreate, state: StateDep, who: EditorDep) -> WatchPublic:
    owner = owner_of(who)
    engine = state.jobs().engine
    with watch_db(state.settings) as db:
        record = add_watch(
            db, state.store, engine, owner=owner, clearance=who.clearance, text=body.text,
            demand=body.demand, technology=body.technology, field=body.field,
            labels=body.labels, threshold=body.threshold, rate=body.rate, webhook=body.webhook,
            settings=state.settings)
    return WatchPublic(**record.to_json(), secret=record.secret)


@router.get("", response_model=WatchesPublic, summary="我的关注 / my watches")
def list_watches(state: StateDep, who: ReaderDep) -> WatchesPublic:
    owner = owner_of(who)
    with watch_db(state.settings) as db:
        return WatchesPublic(watches=[WatchPublic(**w.to_json()) for w in db.watches(owner=owner)])


@router.delete("/{watch_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="删除关注 / remove a watch (editor)")
def delete_watch(
    watch_id: Annotated[str, Path(max_length=100)], state: StateDep, who: EditorDep
) -> None:
    owner = owner_of(who)
    with watch_db(state.settings) as db:
        if not db.close_watch(watch_id, owner=owner):  # someone else's is like a missing one
            raise HTTPException(404, f"没有该关注 / no watch {watch_id!r}")
