"""Turn validated rows into graph nodes and edges (the columns that are references become edges)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph.model import Label, Node, Rel
from graph.store import EdgeRow
from graph.taxonomy import region_id, regions
from ingest.rows import REFERENCES

__all__ = ["LABEL_OF_KIND", "node_of", "region_node", "row_edges"]

LABEL_OF_KIND: dict[str, Label] = {
    "organizations": Label.ORGANIZATION,
    "equipment": Label.EQUIPMENT,
    "patents": Label.PATENT,
    "technologies": Label.TECHNOLOGY,
    "alliances": Label.ALLIANCE,
    "projects": Label.PROJECT,
    "demands": Label.DEMAND,
    "pitches": Label.PITCH,
    "evaluations": Label.EVALUATION,
    "catalogue": Label.CATALOGUE_ENTRY,
}
# kind → (reference column, relationship, True when the edge points from the referenced node)
_EDGE_OF_REFERENCE: dict[str, tuple[str, str, bool]] = {
    "equipment": ("maker_ids", Rel.MAKES.value, True),
    "patents": ("owner_ids", Rel.OWNS.value, True),
    "technologies": ("owner_id", Rel.OWNS.value, True),
    "alliances": ("member_ids", Rel.MEMBER_OF.value, True),
    "projects": ("owner_id", Rel.OWNED_BY.value, False),
    "demands": ("project_id", Rel.NEEDS.value, True),
    "pitches": ("org_id", Rel.PRESENTS.value, True),
    "catalogue": ("equipment_id", Rel.LISTS.value, False),
}
# kinds with several single-id reference columns, all required: one relationship per column, in
# the order of ``REFERENCES[kind]`` (the order the parser gives the references in)
_EDGES_BY_POSITION: dict[str, tuple[str, ...]] = {
    "evaluations": (Rel.EVALUATES.value, Rel.EVALUATED_BY.value, Rel.EVALUATED_IN.value),
}
_IN_FIELD, _LOCATED_IN = Rel.IN_FIELD.value, Rel.LOCATED_IN.value


def node_of(kind: str, values: dict[str, Any], remap: dict[str, str]) -> Node:
    """The node of a row, given the row's JSON dump; reference columns become edges instead."""
    skip = REFERENCES.get(kind, {})
    props = {k: v for k, v in values.items() if k != "id" and k not in skip and v != []}
    return Node(remap.get(values["id"], values["id"]), LABEL_OF_KIND[kind], props)


def region_node(text: str) -> Node | None:
    """A Region node for free text that names no known region (known ones come with the taxonomy)."""
    rid = region_id(text)
    if rid in regions():
        return None
    return Node(rid, Label.REGION, {"name": text.strip()})


def row_edges(
    kind: str, me: str, refs: Iterable[str], field: str | None, region: str | None
) -> list[EdgeRow]:
    """Edges (as store rows, without properties) implied by row ``me`` of ``kind``: to the
    ids of its reference column (already resolved), to its field, and to its region."""
    out: list[EdgeRow] = []
    if kind in _EDGE_OF_REFERENCE:
        _, rel, inbound = _EDGE_OF_REFERENCE[kind]
        out += [(other, rel, me, "{}") if inbound else (me, rel, other, "{}") for other in refs]
    elif kind in _EDGES_BY_POSITION:
        out += [(me, rel, other, "{}")
                for rel, other in zip(_EDGES_BY_POSITION[kind], refs, strict=False)]
    if field:
        out.append((me, _IN_FIELD, field, "{}"))
    if region and kind in ("organizations", "projects"):
        out.append((me, _LOCATED_IN, region_id(region), "{}"))
    return out
