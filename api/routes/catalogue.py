"""``GET /api/catalogue/diff``, ``/api/catalogue/entries`` and ``/api/insurance/{id}``: the
catalogue over time (entries by batch and date, what entered and left) and 保险补偿."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from api.deps import ReaderDep, SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.visibility import filter_payload
from matching.catalogue import catalogue_diff, catalogue_entries, parse_day
from matching.insurance import InsuranceRule, insurance_for

__all__ = ["router"]

router = APIRouter(tags=["catalogue"], responses={k: ERROR_RESPONSES[k] for k in (401, 404, 422)})
Batch = Annotated[str, Query(min_length=1, max_length=200, description="批次 / batch")]


class DiffPublic(BaseModel):
    """``entered``: listed in B, not in A; ``left``: listed in A, not in B (with A's exit date
    and reason when it has them); ``kept``: in both."""

    a: str
    b: str
    entered: list[dict[str, Any]]
    left: list[dict[str, Any]]
    kept: int


class EntriesPublic(BaseModel):
    on: str
    entries: list[dict[str, Any]]


class ConditionPublic(BaseModel):
    name: str
    ok: bool
    detail: str


class InsurancePublic(BaseModel):
    """What the rule allows: eligible, the amount in 万元, every condition (the failing one
    says why), and the figures it was computed from."""

    model_config = ConfigDict(extra="allow")
    eligible: bool
    compensation_wan: float
    conditions: list[ConditionPublic]
    entry: str | None
    equipment: str
    basis: dict[str, Any]


@router.get("/catalogue/diff", response_model=DiffPublic,
            summary="两批目录的变化 / what entered and left between two batches")
def diff(store: StoreDep, who: ReaderDep, a: Batch, b: Batch) -> DiffPublic:
    answer = catalogue_diff(store, a, b, clearance=who.clearance)
    return DiffPublic(**filter_payload(store, answer, who.clearance))


@router.get("/catalogue/entries", response_model=EntriesPublic,
            summary="目录条目（某日是否有效）/ catalogue entries, in force on a date")
def entries(
    store: StoreDep, who: ReaderDep,
    equipment: Annotated[str | None, Query(max_length=200)] = None,
    batch: Annotated[str | None, Query(max_length=200)] = None,
    on: Annotated[str | None, Query(max_length=32, description="ISO 日期 / date")] = None,
) -> EntriesPublic:
    when = parse_day(on) or dt.date.today()
    found = catalogue_entries(store, clearance=who.clearance, equipment=equipment, batch=batch)
    rows = [e.to_json() | {"active": e.active_on(when)} for e in found]
    return EntriesPublic(on=when.isoformat(), entries=filter_payload(store, rows, who.clearance))


@router.get("/insurance/{node_id}", response_model=InsurancePublic,
            summary="保险补偿测算 / insurance compensation for an entry or equipment")
def insurance(store: StoreDep, who: ReaderDep, settings: SettingsDep,
              node_id: Annotated[str, Path(max_length=200)]) -> InsurancePublic:
    rule = InsuranceRule(settings.insurance_max_rate, settings.insurance_share,
                         settings.insurance_max_years)
    answer = insurance_for(store, node_id, rule, clearance=who.clearance).to_json()
    return InsurancePublic(**filter_payload(store, answer, who.clearance))
