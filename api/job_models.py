"""Bodies of the four matching jobs: requests mirror the CLI options, responses its JSON.

Clearance never travels in a body: it comes with the key.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ConsortiaPublic",
    "ConsortiumCreate",
    "ConsortiumPublic",
    "EvidencePublic",
    "MemberPublic",
    "PartnerProject",
    "PartnerQueryBase",
    "PartnersPublic",
    "PartnersQuery",
    "PitchPublic",
    "RankedPublic",
    "ShortlistCreate",
    "ShortlistPublic",
    "SupplierQueryBase",
    "SupplierSearch",
    "SuppliersPublic",
    "TransferPublic",
    "TransferQuery",
]

Id = Annotated[str, Field(min_length=1, max_length=300)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Top = Annotated[int, Field(ge=1, le=100, description="返回条数 / how many (bounded by settings)")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class EvidencePublic(BaseModel):
    """One reason behind a score: a product, patent, technology, path, catalogue entry…"""

    model_config = ConfigDict(extra="allow")
    kind: str
    id: str | None = None
    text: str = ""
    score: float | None = None


class RankedPublic(BaseModel):
    """One ranked result: its score, the named parts that add up to it, and the evidence."""

    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    score: float
    parts: dict[str, float]
    evidence: list[EvidencePublic] = Field(default_factory=list)


# ---- suppliers ---------------------------------------------------------------------------------


class SupplierQueryBase(_Strict):
    """``firstset suppliers TEXT | --demand ID [--field] [--region] [--local] [--catalogued]
    [--insured] [--top]``."""

    text: Text | None = Field(default=None, description="需求描述（中文或英文）/ demand text")
    demand: Id | None = Field(default=None, description="需求 id / a Demand id")
    field: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="领域 id 或名称 / field id or name"
    )
    region: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="地区 / region filter"
    )
    local: bool = Field(
        default=False, description="优先重庆本地企业（显式加分项）/ prefer Chongqing firms"
    )
    catalogued: bool = Field(default=False, description="仅目录内 / catalogued only")
    insured: bool = Field(default=False, description="仅已投保 / insured only")
    evaluated: bool = Field(
        default=False, description="仅已通过独立评价 / makers of independently evaluated equipment")
    on: Annotated[str, Field(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(
        default=None, description="目录日期（默认今天）/ the day catalogued asks about")
    ip_risk: bool = Field(
        default=False, description="附知识产权预警 / add IP warnings to each result's evidence")
    top: Top = 10

    @model_validator(mode="after")
    def _text_or_demand(self) -> SupplierQueryBase:
        if not (self.text and self.text.strip()) and not self.demand:
            raise ValueError("give text or demand / 请给出需求描述或需求编号")
        return self


class SupplierSearch(SupplierQueryBase):
    """One query, or ``batch``: several (like ``--batch FILE.jsonl``)."""

    batch: Annotated[list[SupplierQueryBase], Field(min_length=1, max_length=1000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _batch_needs_no_text(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("batch")
            and not (data.get("text") or data.get("demand"))
        ):
            data = {**data, "text": "-"}  # the top-level query is unused in a batch
        return data


class SuppliersPublic(BaseModel):
    results: list[RankedPublic] = Field(default_factory=list)
    query_terms: list[str] = Field(
        default_factory=list,
        description="英文需求另以这些中文词检索（CC-CEDICT）/ the Chinese words an English query "
        "also searched with (CC-CEDICT); empty for a Chinese query or a batch",
    )
    batch: list[list[RankedPublic]] | None = Field(
        default=None, description="每个批量查询的结果 / results per batch query, in order"
    )


# ---- consortia ---------------------------------------------------------------------------------


class ConsortiumCreate(_Strict):
    """``firstset consortium PROJECT_ID [--roles ...] [--with ID...] [--alternatives N]
    [--local]``."""

    project: Id = Field(description="项目 id / Project id")
    roles: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=20)] | None = (
        Field(
            default=None,
            description="角色，如 manufacturer=2；空则全部 / roles (manufacturer=2); empty: all",
        )
    )
    with_: Annotated[list[Id], Field(max_length=20)] = Field(
        default_factory=list,
        alias="with",
        description="已确定的成员 / organisations already agreed",
    )
    alternatives: Annotated[int, Field(ge=1, le=10)] = 3
    local: bool = Field(default=False, description="仅重庆本地 / local (Chongqing) only")
    ip_risk: bool = Field(
        default=False, description="制造商附知识产权预警 / IP warnings on the manufacturers")


class MemberPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    role: str
    fit: float
    evidence: list[EvidencePublic] = Field(default_factory=list)


class ConsortiumPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    project_id: str
    score: float
    parts: dict[str, float]
    members: list[MemberPublic]


class ConsortiaPublic(BaseModel):
    project_id: str
    alternatives: list[ConsortiumPublic]


# ---- partners ----------------------------------------------------------------------------------


class PartnerProject(_Strict):
    title: Annotated[str, Field(max_length=1000)] = ""
    description: Annotated[str, Field(max_length=4000)] = ""


class PartnerQueryBase(_Strict):
    """``firstset partners PROJECT_ID [--with ID...] [--kind K] [--top N]``."""

    project: Id | PartnerProject = Field(description="项目 id，或标题与简介 / project id or text")
    members: Annotated[list[Id], Field(max_length=50)] = Field(
        default_factory=list, description="已有成员 / members already in"
    )
    kind: Annotated[str, Field(max_length=60)] | None = Field(
        default=None, description="单位类型 / kind"
    )
    top: Top = 10


class PartnersQuery(PartnerQueryBase):
    batch: Annotated[list[PartnerQueryBase], Field(min_length=1, max_length=1000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _batch_needs_no_project(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("batch") and not data.get("project"):
            data = {**data, "project": {"title": "-"}}
        return data


class PartnersPublic(BaseModel):
    results: list[RankedPublic] = Field(default_factory=list)
    batch: list[list[RankedPublic]] | None = None


# ---- transfers ---------------------------------------------------------------------------------


class TransferQuery(_Strict):
    """``firstset transfers (--technology ID | --demand ID | --org ID) [--top N]``."""

    technology: Id | None = Field(default=None, description="技术 id（军转民）/ technology id")
    demand: Id | None = Field(default=None, description="需求 id / demand id")
    org: Id | None = Field(default=None, description="单位 id（民参军）/ organisation id")
    top: Top = 10

    @model_validator(mode="after")
    def _exactly_one(self) -> TransferQuery:
        if sum(x is not None for x in (self.technology, self.demand, self.org)) != 1:
            raise ValueError("give exactly one of technology, demand, org / 三者选一")
        return self


class TransferHitPublic(RankedPublic):
    label: str


class TransferPublic(BaseModel):
    direction: str = Field(description="military_to_civil (军转民) | civil_to_military (民参军)")
    source: dict[str, str]
    demands: list[TransferHitPublic] = Field(default_factory=list)
    organizations: list[TransferHitPublic] = Field(default_factory=list)
    technologies: list[TransferHitPublic] = Field(default_factory=list)


# ---- shortlists --------------------------------------------------------------------------------


class ShortlistCreate(_Strict):
    """``firstset shortlist [--size N] [--quota FIELD=N ...]``."""

    size: Annotated[int, Field(ge=1, le=100)] = 10
    quota: Annotated[
        dict[
            Annotated[str, Field(min_length=1, max_length=200)], Annotated[int, Field(ge=0, le=100)]
        ],
        Field(max_length=50),
    ] = Field(
        default_factory=dict, description="领域配额 {领域: 数量} / per-field quota {field: n}"
    )
    diversity: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.3, description="多样性权重 / weight of diversity (maximal marginal relevance)"
    )


class PitchPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    field: str | None = None
    score: float
    parts: dict[str, float]
    demands: list[dict[str, Any]] = Field(default_factory=list)
    evidence: list[EvidencePublic] = Field(default_factory=list)


class ShortlistPublic(BaseModel):
    pitches: list[PitchPublic]
    quotas: dict[str, int] = Field(default_factory=dict)
    unfilled: dict[str, int] = Field(default_factory=dict)
