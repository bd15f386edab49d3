"""Row models for the interchange format v1: one pydantic model per kind, at the input edge.

Lists in a CSV cell are separated by ``;``. Unknown columns are kept (as extra properties).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
    with_config,
)
from stdnum.cn import uscc as uscc_code
from stdnum.exceptions import ValidationError as StdnumError
from typing_extensions import TypedDict

from graph.model import Clearance, OrgKind

__all__ = ["REFERENCES", "RELATION_ROW", "ROW_MODELS", "RelationValues", "RowModel", "row_json"]


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(_split)]
# Whitespace is stripped by the readers and by ``str_strip_whitespace``: no Python validator here,
# so these run entirely inside pydantic-core.
Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S+$")]
Text = Annotated[str, Field(min_length=1)]


# Field text stays text here: ``ingest.parse`` resolves it (``graph.taxonomy.match_field``)
# once per distinct value, and keeps what no rule resolves as ``field_text`` with a warning.
FieldId = Annotated[str | None, BeforeValidator(_text)]


class RowModel(BaseModel):
    model_config = ConfigDict(
        extra="allow", str_strip_whitespace=True, frozen=True, coerce_numbers_to_str=True
    )

    id: Id


class OrganizationRow(RowModel):
    name: Text
    kinds: Annotated[list[OrgKind], BeforeValidator(_split), Field(min_length=1)]
    uscc: str | None = None
    region: str | None = None
    description: str | None = None
    aliases: StrList = []
    clearance: Clearance | None = None  # the security qualification held (保密资质), if any

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(uscc_code.validate(value))
        except StdnumError as exc:
            raise ValueError(
                f"invalid unified social credit code {value!r} (GB 32100-2015): {exc}"
            ) from None


EquipmentStatus = Literal["developing", "catalogued", "evaluated", "demonstrated", "insured"]


class EquipmentRow(RowModel):
    name: Text
    maker_ids: Annotated[list[str], BeforeValidator(_split), Field(min_length=1)]
    field: FieldId = None
    description: str | None = None
    catalogue: str | None = None
    status: EquipmentStatus | None = None


class PatentRow(RowModel):
    title: Text
    abstract: str | None = None
    ipc: StrList = []
    owner_ids: Annotated[list[str], BeforeValidator(_split), Field(min_length=1)]
    filed: dt.date | None = None
    granted: dt.date | None = None


class TechnologyRow(RowModel):
    name: Text
    description: str | None = None
    origin: Literal["military", "civil"]
    field: FieldId = None
    trl: Annotated[int, Field(ge=1, le=9)] | None = None
    owner_id: str | None = None
    clearance: Clearance = Clearance.PUBLIC


class AllianceRow(RowModel):
    name: Text
    kind: Literal["innovation", "demonstration", "ip", "industry"] | None = None
    field: FieldId = None
    member_ids: StrList = []


class ProjectRow(RowModel):
    name: Text
    owner_id: Id
    kind: Literal["key_project", "demonstration", "military"] | None = None
    region: str | None = None
    description: str | None = None
    budget_wan: Annotated[float, Field(ge=0)] | None = None
    clearance: Clearance | None = None

    @model_validator(mode="after")
    def _military_is_never_public_by_default(self) -> ProjectRow:
        if self.clearance is None:
            marking = Clearance.RESTRICTED if self.kind == "military" else Clearance.PUBLIC
            object.__setattr__(self, "clearance", marking)
        return self


class DemandRow(RowModel):
    project_id: Id
    text: Text
    field: FieldId = None
    quantity: Annotated[float, Field(ge=0)] | None = None
    budget_wan: Annotated[float, Field(ge=0)] | None = None
    needed_by: dt.date | None = None


class PitchRow(RowModel):
    title: Text
    summary: str | None = None
    org_id: Id
    field: FieldId = None
    stage: Literal["idea", "prototype", "pilot", "product"] | None = None
    trl: Annotated[int, Field(ge=1, le=9)] | None = None


Verdict = Literal["pass", "conditional", "fail"]  # 合格 / 有条件合格 / 不合格


class EvaluationRow(RowModel):
    """示范效果评价: one testing body's evaluation of an equipment in a project (issue 16).
    Measured indicators sit beside the specification they are judged against (``spec_*``)."""

    equipment_id: Id
    body_id: Id  # the testing body; independence from the maker is judged when it is read
    project_id: Id
    date: dt.date
    verdict: Verdict
    report_ref: Text  # the report's reference (报告编号)
    demand_id: str | None = None
    performance: str | None = None
    mtbf_h: Annotated[float, Field(ge=0)] | None = None
    spec_mtbf_h: Annotated[float, Field(ge=0)] | None = None
    safety: str | None = None
    energy: str | None = None
    localisation_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    spec_localisation_rate: Annotated[float, Field(ge=0, le=1)] | None = None


class CatalogueEntryRow(RowModel):
    """One listing of an equipment in a catalogue batch (目录批次), with its exit when removed
    and, when insured (首台套保险), the annual premium, insured value and period."""

    equipment_id: Id
    list: Text  # e.g. national, chongqing
    batch: Text  # e.g. national-2024
    entered: dt.date
    exited: dt.date | None = None
    exit_reason: str | None = None
    premium_wan: Annotated[float, Field(ge=0)] | None = None  # annual premium, 万元
    insured_value_wan: Annotated[float, Field(gt=0)] | None = None
    insured_from: dt.date | None = None
    insured_to: dt.date | None = None

    @model_validator(mode="after")
    def _dates(self) -> CatalogueEntryRow:
        if self.exited is not None and self.exited < self.entered:
            raise ValueError("exited is before entered / 移出日期早于列入日期")
        if self.exited is not None and not self.exit_reason:
            raise ValueError("an exit needs exit_reason / 移出须注明原因")
        if self.insured_from and self.insured_to and self.insured_to <= self.insured_from:
            raise ValueError("insured_to must be after insured_from / 保险期间有误")
        return self


@with_config(ConfigDict(extra="allow", str_strip_whitespace=True, coerce_numbers_to_str=True))
class RelationValues(TypedDict):
    """A relationship row. A typed dict, not a model: most rows of a large load are
    relationships, and pydantic validates these ~2.4× faster with no model object to build and
    dump (same checks, same error messages)."""

    source: Id
    type: Text
    target: Id
    role: NotRequired[str | None]
    weight: NotRequired[float | None]


RELATION_ROW = TypeAdapter(RelationValues)


# node kinds → row model; relationships: ``RELATION_ROW``
ROW_MODELS: dict[str, type[BaseModel]] = {
    "organizations": OrganizationRow,
    "equipment": EquipmentRow,
    "patents": PatentRow,
    "technologies": TechnologyRow,
    "alliances": AllianceRow,
    "projects": ProjectRow,
    "demands": DemandRow,
    "pitches": PitchRow,
    "evaluations": EvaluationRow,
    "catalogue": CatalogueEntryRow,
}

# kind → {column: label the referenced ids must have}
REFERENCES: dict[str, dict[str, str]] = {
    "equipment": {"maker_ids": "Organization"},
    "patents": {"owner_ids": "Organization"},
    "technologies": {"owner_id": "Organization"},
    "alliances": {"member_ids": "Organization"},
    "projects": {"owner_id": "Organization"},
    "demands": {"project_id": "Project"},
    "pitches": {"org_id": "Organization"},
    # issue 16; evaluations: one edge per column, in this order (ingest.build.row_edges)
    "evaluations": {"equipment_id": "Equipment", "body_id": "Organization",
                    "project_id": "Project"},
    "catalogue": {"equipment_id": "Equipment"},
}


def row_json(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """A row validated and written as JSON values (raises pydantic's ``ValidationError``)."""
    if kind == "relations":
        return dict(RELATION_ROW.dump_python(RELATION_ROW.validate_python(values), mode="json"))
    return ROW_MODELS[kind].model_validate(values).model_dump(mode="json")
