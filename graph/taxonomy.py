"""The equipment field taxonomy and the region list, shipped as data files beside this module.

Fields follow the areas of the national first-set guidance catalogue (首台（套）重大技术装备推广应用
指导目录); regions list Chongqing's districts and counties. Both resolve free text given in input
files (an id, the Chinese name or the English name) to a node id.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from graph.model import Label, Node

__all__ = [
    "Term",
    "field_ancestors",
    "fields",
    "is_chongqing",
    "region_id",
    "regions",
    "resolve_field",
    "taxonomy_nodes",
]

CHONGQING = "region:CN-CQ"


@dataclass(frozen=True)
class Term:
    id: str
    name: str
    name_en: str
    parent: str | None


def _load(name: str) -> dict[str, Term]:
    text = resources.files("graph").joinpath("data", name).read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["id"]: Term(r["id"], r["name"], r["name_en"], r["parent"] or None) for r in rows}


@cache
def fields() -> dict[str, Term]:
    return _load("fields.csv")


@cache
def regions() -> dict[str, Term]:
    return _load("regions.csv")


def _lookup(terms: dict[str, Term]) -> dict[str, str]:
    table: dict[str, str] = {}
    for term in terms.values():
        for key in (term.id, term.name, term.name_en):
            table[key.casefold()] = term.id
    return table


@cache
def _field_lookup() -> dict[str, str]:
    return _lookup(fields())


@cache
def _region_lookup() -> dict[str, str]:
    table = _lookup(regions())
    for term in regions().values():  # 渝北 for 渝北区, 忠 is too short to strip
        short = term.name.removesuffix("区").removesuffix("县")
        if len(short) >= 2:
            table.setdefault(short.casefold(), term.id)
    table["重庆"] = CHONGQING
    table["cq"] = CHONGQING
    return table


def resolve_field(value: str) -> str | None:
    """The Field id for an id, Chinese or English name; None when it names no field.

    >>> resolve_field("隧道掘进装备"), resolve_field("Rail vehicles"), resolve_field("x")
    ('field:construction.tunnel', 'field:rail.vehicle', None)
    """
    return _field_lookup().get(value.strip().casefold())


def region_id(value: str) -> str:
    """The Region id for free text: a known district, province or country, else a new id.

    >>> region_id("渝北区"), region_id("渝北"), region_id("DE")
    ('region:cq-yubei', 'region:cq-yubei', 'region:DE')
    """
    text = value.strip()
    return _region_lookup().get(text.casefold(), f"region:{text}")


def field_ancestors(field_id: str) -> list[str]:
    """The field and its parents, nearest first."""
    out: list[str] = []
    current: str | None = field_id
    while current and current not in out:
        out.append(current)
        term = fields().get(current)
        current = term.parent if term else None
    return out


def is_chongqing(region: str | None) -> bool:
    """True for Chongqing itself and each of its districts (by id or free text)."""
    if not region:
        return False
    rid = region if region.startswith("region:") else region_id(region)
    term = regions().get(rid)
    return rid == CHONGQING or (term is not None and term.parent == CHONGQING)


def taxonomy_nodes() -> list[Node]:
    """Field and Region nodes for every term, written with every load."""
    out = [
        Node(t.id, Label.FIELD, {"name": t.name, "name_en": t.name_en, "parent": t.parent})
        for t in fields().values()
    ]
    out += [
        Node(t.id, Label.REGION, {"name": t.name, "name_en": t.name_en, "parent": t.parent})
        for t in regions().values()
    ]
    return out
