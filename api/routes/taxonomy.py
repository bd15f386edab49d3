"""``GET /api/taxonomy/fields`` and ``/api/taxonomy/regions``: the terms the page's pickers offer.

The field taxonomy of the national first-set guidance catalogue and Chongqing's districts, from
``graph/data`` (the same lists ingest resolves free text against). ``q`` filters by id, Chinese
or English name (substring, case-insensitive), so a picker can search as the user types.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import ReaderDep
from api.errors import ERROR_RESPONSES
from graph.taxonomy import Term, fields, regions

__all__ = ["TermPublic", "TermsPublic", "matching_terms", "router"]

router = APIRouter(prefix="/taxonomy", tags=["graph"], responses={401: ERROR_RESPONSES[401]})


class TermPublic(BaseModel):
    id: str
    name: str
    name_en: str
    parent: str | None = None
    parent_name: str | None = None


class TermsPublic(BaseModel):
    query: str
    terms: list[TermPublic]


def matching_terms(terms: dict[str, Term], q: str) -> list[TermPublic]:
    """Terms whose id, name or English name contains ``q`` (all when ``q`` is empty), in the
    list's order; a name that starts with ``q`` comes first.

    >>> [t.id for t in matching_terms(fields(), "隧道")]
    ['field:construction.tunnel']
    >>> [t.id for t in matching_terms(regions(), "yubei")]
    ['region:cq-yubei']
    """
    needle = q.strip().casefold()
    found: list[tuple[int, TermPublic]] = []
    for i, t in enumerate(terms.values()):
        keys = (t.name.casefold(), t.name_en.casefold(), t.id.casefold())
        if needle and not any(needle in k for k in keys):
            continue
        first = 0 if needle and any(k.startswith(needle) for k in keys[:2]) else 1
        parent = terms.get(t.parent) if t.parent else None
        found.append(
            (
                first * 10_000 + i,
                TermPublic(
                    id=t.id,
                    name=t.name,
                    name_en=t.name_en,
                    parent=t.parent,
                    parent_name=parent.name if parent else None,
                ),
            )
        )
    return [term for _, term in sorted(found, key=lambda x: x[0])]


_Q = Annotated[str, Query(max_length=100, description="名称片段 / part of a name")]


@router.get("/fields", response_model=TermsPublic, summary="领域列表 / equipment fields")
def list_fields(who: ReaderDep, q: _Q = "") -> TermsPublic:
    return TermsPublic(query=q, terms=matching_terms(fields(), q))


@router.get("/regions", response_model=TermsPublic, summary="地区列表 / districts and regions")
def list_regions(who: ReaderDep, q: _Q = "") -> TermsPublic:
    return TermsPublic(query=q, terms=matching_terms(regions(), q))
