"""``GET /api/search?q=``: find entities by name, Chinese or English, short names welcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ReaderDep, StateDep
from api.errors import ERROR_RESPONSES
from api.models import SearchHitPublic, SearchPublic
from api.visibility import is_visible
from graph.model import Label

__all__ = ["router"]

router = APIRouter(tags=["graph"], responses={401: ERROR_RESPONSES[401]})


@router.get("/search", response_model=SearchPublic, summary="按名称查找 / entity search")
def search(
    state: StateDep,
    who: ReaderDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="名称或简称 / name")],
    label: Annotated[Label | None, Query(description="只找此类 / only this label")] = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SearchPublic:
    hits = state.names.search(q, labels={label.value} if label else None, limit=top * 3)
    store = state.store
    nodes = {n.id: n for n in store.get_many([h.id for h in hits])}
    keep = [h for h in hits if h.id in nodes and is_visible(store, nodes[h.id], who.clearance)]
    return SearchPublic(
        query=q,
        results=[
            SearchHitPublic(id=h.id, label=h.label, name=h.name, matched=h.matched, score=h.score)
            for h in keep[:top]
        ],
    )
