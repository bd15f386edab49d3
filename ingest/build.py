"""Turn validated rows into graph nodes and edges (the columns that are references become edges)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graph.model import Edge, Label, Node, Rel
from graph.taxonomy import region_id, regions
from ingest.rows import REFERENCES

__all__ = ["LABEL_OF_KIND", "derived_edges", "node_of", "region_node"]

LABEL_OF_KIND: dict[str, Label] = {
    "organizations": Label.ORGANIZATION,
    "equipment": Label.EQUIPMENT,
    "patents": Label.PATENT,
    "technologies": Label.TECHNOLOGY,
    "alliances": Label.ALLIANCE,
    "projects": Label.PROJECT,
    "demands": Label.DEMAND,
    "pitches": Label.PITCH,
}
# kind → (reference column, relationship, True when the edge points from the referenced node)
_EDGE_OF_REFERENCE: dict[str, tuple[str, Rel, bool]] = {
    "equipment": ("maker_ids", Rel.MAKES, True),
    "patents": ("owner_ids", Rel.OWNS, True),
    "technologies": ("owner_id", Rel.OWNS, True),
    "alliances": ("member_ids", Rel.MEMBER_OF, True),
    "projects": ("owner_id", Rel.OWNED_BY, False),
    "demands": ("project_id", Rel.NEEDS, True),
    "pitches": ("org_id", Rel.PRESENTS, True),
}


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


def derived_edges(kind: str, values: dict[str, Any], remap: dict[str, str]) -> Iterator[Edge]:
    """Edges implied by a row (given as its JSON dump): reference columns, field and region."""
    me = remap.get(values["id"], values["id"])
    if kind in _EDGE_OF_REFERENCE:
        column, rel, inbound = _EDGE_OF_REFERENCE[kind]
        refs = values.get(column) or []
        for ref in [refs] if isinstance(refs, str) else refs:
            other = remap.get(ref, ref)
            yield Edge(other, rel, me) if inbound else Edge(me, rel, other)
    if values.get("field"):
        yield Edge(me, Rel.IN_FIELD, values["field"])
    if kind in ("organizations", "projects") and values.get("region"):
        yield Edge(me, Rel.LOCATED_IN, region_id(values["region"]))
