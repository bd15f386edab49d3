"""The graph model: node labels, relationship types, and the two value types that carry them.

Nodes and edges are plain frozen dataclasses; their properties are JSON-compatible mappings.
An edge is identified by ``(source, type, target)``: writing it again updates its properties.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

__all__ = [
    "CLEARANCE_ORDER",
    "EDGE_ENDPOINTS",
    "TEXT_KEYS",
    "Clearance",
    "Edge",
    "Label",
    "Node",
    "OrgKind",
    "Rel",
    "Subgraph",
    "UpsertReport",
    "canonical_json",
    "describes",
    "says_what_it_does",
]


class Label(StrEnum):
    ORGANIZATION = "Organization"
    EQUIPMENT = "Equipment"
    PATENT = "Patent"
    TECHNOLOGY = "Technology"
    ALLIANCE = "Alliance"
    PROJECT = "Project"
    DEMAND = "Demand"
    PITCH = "Pitch"
    FIELD = "Field"
    REGION = "Region"
    EVALUATION = "Evaluation"  # 示范效果评价 (issue 16)
    CATALOGUE_ENTRY = "CatalogueEntry"  # one listing of an equipment in a catalogue batch


class Rel(StrEnum):
    MAKES = "MAKES"
    OWNS = "OWNS"
    MEMBER_OF = "MEMBER_OF"
    PARTICIPATES_IN = "PARTICIPATES_IN"
    OWNED_BY = "OWNED_BY"
    NEEDS = "NEEDS"
    PRESENTS = "PRESENTS"
    DEMONSTRATED_IN = "DEMONSTRATED_IN"
    CITES = "CITES"
    IN_FIELD = "IN_FIELD"
    LOCATED_IN = "LOCATED_IN"
    COLLABORATED_WITH = "COLLABORATED_WITH"
    EVALUATES = "EVALUATES"  # Evaluation → Equipment
    EVALUATED_BY = "EVALUATED_BY"  # Evaluation → Organization (the testing body)
    EVALUATED_IN = "EVALUATED_IN"  # Evaluation → Project
    LISTS = "LISTS"  # CatalogueEntry → Equipment


class OrgKind(StrEnum):
    MANUFACTURER = "manufacturer"
    USER = "user"
    RESEARCH_INSTITUTE = "research_institute"
    UNIVERSITY = "university"
    DESIGN_INSTITUTE = "design_institute"
    INTEGRATOR = "integrator"
    TESTING_BODY = "testing_body"
    MILITARY_UNIT = "military_unit"
    OTHER = "other"


class Clearance(StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"
    SECRET = "secret"


CLEARANCE_ORDER: dict[str, int] = {"public": 0, "restricted": 1, "secret": 2}


_ANY: frozenset[Label] = frozenset(Label)

# Which labels each relationship may join (source labels, target labels).
EDGE_ENDPOINTS: dict[Rel, tuple[frozenset[Label], frozenset[Label]]] = {
    Rel.MAKES: (frozenset({Label.ORGANIZATION}), frozenset({Label.EQUIPMENT})),
    Rel.OWNS: (frozenset({Label.ORGANIZATION}), frozenset({Label.PATENT, Label.TECHNOLOGY})),
    Rel.MEMBER_OF: (frozenset({Label.ORGANIZATION}), frozenset({Label.ALLIANCE})),
    Rel.PARTICIPATES_IN: (frozenset({Label.ORGANIZATION}), frozenset({Label.PROJECT})),
    Rel.OWNED_BY: (frozenset({Label.PROJECT}), frozenset({Label.ORGANIZATION})),
    Rel.NEEDS: (frozenset({Label.PROJECT}), frozenset({Label.DEMAND})),
    Rel.PRESENTS: (frozenset({Label.ORGANIZATION}), frozenset({Label.PITCH})),
    Rel.DEMONSTRATED_IN: (frozenset({Label.EQUIPMENT}), frozenset({Label.PROJECT})),
    Rel.CITES: (frozenset({Label.PATENT}), frozenset({Label.PATENT})),
    Rel.IN_FIELD: (_ANY, frozenset({Label.FIELD})),
    Rel.LOCATED_IN: (
        frozenset({Label.ORGANIZATION, Label.PROJECT}),
        frozenset({Label.REGION}),
    ),
    Rel.COLLABORATED_WITH: (frozenset({Label.ORGANIZATION}), frozenset({Label.ORGANIZATION})),
    Rel.EVALUATES: (frozenset({Label.EVALUATION}), frozenset({Label.EQUIPMENT})),
    Rel.EVALUATED_BY: (frozenset({Label.EVALUATION}), frozenset({Label.ORGANIZATION})),
    Rel.EVALUATED_IN: (frozenset({Label.EVALUATION}), frozenset({Label.PROJECT})),
    Rel.LISTS: (frozenset({Label.CATALOGUE_ENTRY}), frozenset({Label.EQUIPMENT})),
}


def canonical_json(props: Mapping[str, Any]) -> str:
    """The canonical JSON text of a property map (sorted keys): equal maps give equal text."""
    if not props:
        return "{}"
    return orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True, slots=True)
class Node:
    """A node: a stable id unique across labels, one label, and its properties."""

    id: str
    label: str
    props: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)

    @property
    def title(self) -> str:
        """The human name of the node, whatever its label calls it."""
        for key in ("name", "title", "text"):
            value = self.props.get(key)
            if value:
                return str(value)
        return self.id


@dataclass(frozen=True, slots=True)
class Edge:
    """A relationship ``source -[type]-> target`` with its properties."""

    source: str
    type: str
    target: str
    props: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.type, self.target)


@dataclass(frozen=True, slots=True)
class Subgraph:
    """A set of nodes and the edges among them."""

    nodes: list[Node]
    edges: list[Edge]


@dataclass(frozen=True, slots=True)
class UpsertReport:
    """What one upsert did: created and updated counts, and what was already the same."""

    nodes_created: int = 0
    nodes_updated: int = 0
    edges_created: int = 0
    edges_updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.nodes_created or self.nodes_updated or self.edges_created or self.edges_updated
        )


# The properties that describe a node beyond its name (embedded and indexed with its title).
TEXT_KEYS = ("text", "description", "summary", "abstract")
# Characters a node's descriptive properties must hold to say what it does: Chinese characters
# and lower-case letters, so model codes ("DZ1280", "CRDM-ML-B") do not count: "规格型号：DZ1280"
# holds 4, "规格型号：Resona R9" 9, "热泵除湿，含水率由80%降至30%" 10.
DESCRIBED_LETTERS = 10


_DESCRIBING = re.compile("[\u4e00-\u9fffa-z]")


def describes(text: str) -> bool:
    """Whether ``text`` holds :data:`DESCRIBED_LETTERS` describing characters (stops counting
    there: a read model asks this of every organisation)."""
    for count, _ in enumerate(_DESCRIBING.finditer(text), start=1):
        if count >= DESCRIBED_LETTERS:
            return True
    return False


def says_what_it_does(node: Node) -> bool:
    """Whether the node's descriptive properties (:data:`TEXT_KEYS`, other than its title) say
    what it does; a list row's name and model number do not, and demands told by function miss
    a maker whose profile says no more (README, "The four jobs").

    >>> def product(name: str, description: str) -> Node:
    ...     return Node("eq:1", "Equipment", {"name": name, "description": description})
    >>> says_what_it_does(product("旋挖钻机", "规格型号：XR550D"))
    False
    >>> says_what_it_does(product("干化机", "热泵除湿，含水率由80%降至30%"))
    True
    >>> says_what_it_does(product("Drill rig", "Bored piles up to 3 m wide"))
    True
    """
    title = node.title
    return describes(" ".join(str(v) for k in TEXT_KEYS
                              if (v := node.props.get(k)) and str(v) != title))
