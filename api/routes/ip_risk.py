"""``POST /api/ip-risk``: IP early warning for a product (``firstset ip-risk``).

The patents of other organisations (not the maker, its group or its partners) closest to an
equipment item, a maker's planned product (``org`` + ``demand``) or a text, each with its
similarity, shared IPC groups, owner, term and a level with the rule behind it (``why``, in
Chinese first); per field, concentration, expiries and overlapping portfolios. Patents above
the key's clearance are not in the read model the scan runs on, so they are in no answer, count
or summary; an id above it is a 404 exactly like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import JobsDep, ReaderDep
from api.errors import ERROR_RESPONSES
from api.visibility import filter_payload

__all__ = ["IpRiskBody", "IpRiskPublic", "router"]

router = APIRouter(
    tags=["services"], responses={k: ERROR_RESPONSES[k] for k in (401, 404, 413, 422)}
)

Id = Annotated[str, Field(min_length=1, max_length=300)]


class IpRiskBody(BaseModel):
    """Exactly one of ``equipment``, ``demand`` (with ``org``) or ``text``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    equipment: Id | None = Field(default=None, description="装备 id / an Equipment id")
    org: Id | None = Field(default=None, description="制造方 id / the maker (with demand or text)")
    demand: Id | None = Field(default=None, description="需求 id：拟研制的产品 / planned product")
    text: Annotated[str, Field(min_length=1, max_length=4000)] | None = Field(
        default=None, description="产品描述 / product description")
    partners: list[Id] = Field(default_factory=list, alias="with", max_length=50,
                               description="另行排除的合作方 / partners to leave out")
    ipc: list[Annotated[str, Field(max_length=30)]] = Field(
        default_factory=list, max_length=20, description="产品的 IPC 分类号 / the product's IPC")
    top: int = Field(default=10, ge=1, le=200, description="返回专利数 / how many patents")
    years: int = Field(default=3, ge=0, le=30, description="N 年内到期 / expiring within N years")


class IpRiskPublic(BaseModel):
    """``{"subject", "risks": [{"patent", "title", "owner", "similarity", "shared_ipc",
    "in_force", "expires", "level", "why", …}], "fields": [...]}``."""

    model_config = ConfigDict(extra="allow")
    subject: dict[str, Any]
    risks: list[dict[str, Any]]
    fields: list[dict[str, Any]]


@router.post("/ip-risk", response_model=IpRiskPublic, summary="知识产权预警 / IP early warning")
def ip_risk_check(body: IpRiskBody, jobs: JobsDep, who: ReaderDep) -> IpRiskPublic:
    from matching.ip_risk import IpRiskQuery, ip_risk

    query = IpRiskQuery(equipment=body.equipment, org=body.org, demand=body.demand,
                        text=body.text, partners=tuple(body.partners), ipc=tuple(body.ipc),
                        top=body.top, years=body.years)
    report = ip_risk(jobs.engine, query, clearance=who.clearance)
    payload = filter_payload(jobs.store, report.to_json(), who.clearance)
    return IpRiskPublic.model_validate(payload)
