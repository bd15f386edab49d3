"""``POST/GET /api/evaluations`` and ``GET /api/equipment/{id}/status``: demonstration
evaluations (示范效果评价) and an equipment's status with its catalogue history.

Evaluations are shown as evidence and move the status (evaluated → demonstrated); by the rule
of 十四 they add nothing to a ranking score. The evaluating body must be a testing body
independent of the maker (the consortium rule); a dependent one is refused (422, ``body_id``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import EditorDep, ReaderDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.visibility import filter_payload
from matching.catalogue import parse_day
from matching.evaluations import equipment_status, evaluations, record_evaluation

__all__ = ["EvaluationCreate", "EvaluationPublic", "router"]

router = APIRouter(tags=["evaluations"],
                   responses={k: ERROR_RESPONSES[k] for k in (401, 403, 404, 422)})
Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S+$")]


class EvaluationCreate(BaseModel):
    """One evaluation, as a row of the ``evaluations`` interchange kind."""

    model_config = ConfigDict(extra="forbid")
    id: Id
    equipment_id: Id = Field(description="被评价装备 / the equipment evaluated")
    body_id: Id = Field(description="评价单位（独立检测机构）/ the independent testing body")
    project_id: Id = Field(description="示范项目 / the demonstration project")
    date: dt.date
    verdict: Literal["pass", "conditional", "fail"] = Field(
        description="合格 / 有条件合格 / 不合格")
    report_ref: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="报告编号 / the report's reference")
    demand_id: Id | None = None
    performance: Annotated[str, Field(max_length=2000)] | None = None
    mtbf_h: Annotated[float, Field(ge=0)] | None = None
    spec_mtbf_h: Annotated[float, Field(ge=0)] | None = None
    safety: Annotated[str, Field(max_length=2000)] | None = None
    energy: Annotated[str, Field(max_length=2000)] | None = None
    localisation_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    spec_localisation_rate: Annotated[float, Field(ge=0, le=1)] | None = None


class EvaluationPublic(BaseModel):
    """An evaluation with its indicators against the specification and its independence."""

    model_config = ConfigDict(extra="allow")
    id: str
    equipment: str
    equipment_name: str
    body: str
    body_name: str
    project: str
    date: str
    verdict: str
    verdict_zh: str
    report_ref: str
    indicators: list[dict[str, Any]]
    independent: bool
    problems: list[str]
    demand: str | None = None


class EvaluationsPublic(BaseModel):
    evaluations: list[EvaluationPublic]


class StatusPublic(BaseModel):
    """状态 (developing → catalogued → evaluated → demonstrated → insured) on a date, with
    the reasons, the catalogue history and the evaluations behind it."""

    model_config = ConfigDict(extra="allow")
    equipment: str
    name: str
    on: str
    status: str
    stored_status: str | None = None
    reasons: list[str]
    catalogue: list[dict[str, Any]]
    evaluations: list[EvaluationPublic]


@router.post("/evaluations", response_model=EvaluationPublic,
             status_code=status.HTTP_201_CREATED, summary="登记示范效果评价 / record (editor)")
def create_evaluation(body: EvaluationCreate, store: StoreDep, who: EditorDep
                      ) -> EvaluationPublic:
    ev = record_evaluation(store, body.model_dump(mode="json", exclude_none=True),
                           clearance=who.clearance)
    return EvaluationPublic(**ev.to_json())


@router.get("/evaluations", response_model=EvaluationsPublic,
            summary="示范效果评价 / evaluations of an equipment or a maker")
def list_evaluations(
    store: StoreDep, who: ReaderDep,
    equipment: Annotated[str | None, Query(max_length=200)] = None,
    org: Annotated[str | None, Query(max_length=200, description="制造单位 / maker")] = None,
) -> EvaluationsPublic:
    found = evaluations(store, clearance=who.clearance, equipment=equipment, org=org)
    shown = filter_payload(store, [e.to_json() for e in found], who.clearance)
    return EvaluationsPublic(evaluations=[EvaluationPublic(**e) for e in shown])


@router.get("/equipment/{equipment_id}/status", response_model=StatusPublic,
            summary="装备状态与目录历史 / an equipment's status and catalogue history")
def status_of(
    store: StoreDep, who: ReaderDep, equipment_id: Annotated[str, Path(max_length=200)],
    on: Annotated[str | None, Query(max_length=32, description="ISO 日期 / date")] = None,
) -> StatusPublic:
    answer = equipment_status(store, equipment_id, clearance=who.clearance, day=parse_day(on))
    return StatusPublic(**filter_payload(store, answer, who.clearance))
