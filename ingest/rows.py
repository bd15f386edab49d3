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
from graph.taxonomy import fields, resolve_field

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


def _field(value: str | None) -> str | None:
    if value is None:
        return None
    found = resolve_field(value)
    if found is None:
        from rapidfuzz import process

        names = [t.name for t in fields().values()]
        close = [m[0] for m in process.extract(value, names, limit=3)]
        raise ValueError(f"unknown field {value!r}; close matches: {', '.join(close)}")
    return found


FieldId = Annotated[str | None, BeforeValidator(lambda v: _field(_text(v)))]


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
}


def row_json(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """A row validated and written as JSON values (raises pydantic's ``ValidationError``)."""
    if kind == "relations":
        return dict(RELATION_ROW.dump_python(RELATION_ROW.validate_python(values), mode="json"))
    return ROW_MODELS[kind].model_validate(values).model_dump(mode="json")
