"""The equipment field taxonomy and the region list, shipped as data files beside this module.

Fields follow the areas of the national first-set guidance catalogue (首台（套）重大技术装备推广应用
指导目录); regions list Chongqing's districts and counties. Both resolve free text given in input
files to a node id. A field is resolved by ``match_field`` in steps — the id, the Chinese or
English name, an alias from ``data/field_aliases.csv`` (the maintained table of the names real
lists use: 环保装备, 检测装备, 汽车零部件 …), containment (高档数控机床 ⊂ 高档数控机床和基础制造装备),
then, when the caller passes an embedding function, the nearest field by cosine similarity.
``graph`` imports no embedder: the function is injected.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from graph.model import Label, Node

__all__ = [
    "FIELD_MIN_SIMILARITY",
    "FieldEmbed",
    "FieldMatch",
    "Term",
    "field_aliases",
    "field_ancestors",
    "field_suggestions",
    "fields",
    "is_chongqing",
    "match_field",
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
    """The Field id for an id, a Chinese or English name, an alias or an unambiguous
    containment (``match_field`` without an embedder); None when it names no field with
    confidence.

    >>> resolve_field("隧道掘进装备"), resolve_field("Rail vehicles"), resolve_field("x")
    ('field:construction.tunnel', 'field:rail.vehicle', None)
    >>> resolve_field("高档数控机床"), resolve_field("环保装备")
    ('field:machine_tool', 'field:environment')
    """
    found = match_field(value)
    return found.field if found is not None else None


# ---- the field resolver -------------------------------------------------------------------

FieldEmbed = Callable[[Sequence[str]], Any]
"""Texts → an (n, d) array of unit vectors (e.g. an embedder's ``embed_queries``)."""
# Cosine, measured with multilingual-e5-small on short category names: right answers at
# 0.91–0.97 (污水处理设备 0.969, 盾构刀具 0.948), wrong ones up to 0.946 (风力发电机组 → 水电装备,
# 工业软件 → 工业机器人). Only the clearest pass; the rest stay text with a warning.
FIELD_MIN_SIMILARITY = 0.96
_MIN_MARGIN = 0.02  # over the best unrelated field, below which the nearest is not trusted
_PUNCT = re.compile(r"[\s()（）\[\]【】<>《》、,，;；:：/\\|·.。\-_'\"“”‘’*＊]+")
_TRAILING = ("类", "领域", "行业", "产业")


@dataclass(frozen=True)
class FieldMatch:
    """How a text resolved to a field: ``how`` is ``id``, ``name``, ``english``, ``alias``,
    ``contained`` (the text is part of one field's name or alias), ``contains`` (one name or
    alias is the longest part of the text) or ``embedding``; ``confidence`` is 1 for the
    exact steps, 0.9 / 0.85 for containment, the cosine similarity for the embedding."""

    text: str
    field: str
    name: str
    how: str
    confidence: float


def _key(text: str) -> str:
    """Spelling-insensitive key: NFKC, case, spaces and punctuation, trailing 类/领域."""
    key = _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())
    for tail in _TRAILING:
        if key.endswith(tail) and len(key) > len(tail) + 1:
            key = key[: -len(tail)]
    return key


@cache
def field_aliases() -> dict[str, str]:
    """Alias text → field id, from ``data/field_aliases.csv``."""
    text = resources.files("graph").joinpath("data", "field_aliases.csv").read_text("utf-8")
    known = fields()
    out: dict[str, str] = {}
    for row in csv.DictReader(text.splitlines()):
        if row["field"] not in known:  # the data is maintained by hand: fail loudly
            raise ValueError(f"field_aliases.csv: {row['alias']!r} → unknown {row['field']!r}")
        out[row["alias"].strip()] = row["field"]
    return out


@cache
def _exact_keys() -> dict[str, tuple[str, str]]:
    """Key → (field id, how) for ids, names, English names and aliases."""
    table: dict[str, tuple[str, str]] = {}
    for alias, fid in field_aliases().items():
        table.setdefault(_key(alias), (fid, "alias"))
    for term in fields().values():  # names win over aliases
        table[_key(term.name_en)] = (term.id, "english")
        table[_key(term.name)] = (term.id, "name")
        table[term.id.casefold()] = (term.id, "id")
    return table


@cache
def _names() -> list[tuple[str, str]]:
    """(key, field id) of every name, English name and alias, longest first."""
    out = {(_key(t.name), t.id) for t in fields().values()}
    out |= {(_key(t.name_en), t.id) for t in fields().values()}
    out |= {(_key(a), fid) for a, fid in field_aliases().items()}
    return sorted((k, f) for k, f in out if len(k) >= 2)


def _most_specific(ids: set[str]) -> str | None:
    """The one field of ``ids`` that every other one is an ancestor of, if there is one."""
    for fid in ids:
        if ids <= set(field_ancestors(fid)):
            return fid
    return None


def _by_containment(key: str) -> tuple[str, str] | None:
    if len(key) < 2:
        return None
    inside = {fid for k, fid in _names() if key in k}
    if inside:
        # 数控机床 is in 高档数控机床和基础制造装备 and is itself field:machine_tool.cnc: the
        # most specific one wins when the fields nest, else the text is ambiguous.
        fid = _most_specific(inside)
        return (fid, "contained") if fid is not None else None
    holders = [(len(k), fid) for k, fid in _names() if k in key and len(k) >= 3]
    if holders:
        longest = max(n for n, _ in holders)
        best = {fid for n, fid in holders if n == longest}
        if len(best) == 1:
            return next(iter(best)), "contains"
    return None


@cache
def _field_texts() -> tuple[list[str], list[str]]:
    """(text, field id) pairs the embedding step compares a value with."""
    texts: list[str] = []
    ids: list[str] = []
    for term in fields().values():
        texts += [term.name, term.name_en]
        ids += [term.id, term.id]
    for alias, fid in field_aliases().items():
        texts.append(alias)
        ids.append(fid)
    return texts, ids


_VECTORS: dict[int, Any] = {}  # id(embed) → vectors of ``_field_texts`` (one per embedder)


def _nearest(text: str, embed: FieldEmbed, min_similarity: float) -> FieldMatch | None:
    texts, ids = _field_texts()
    vectors = _VECTORS.get(id(embed))
    if vectors is None:
        vectors = _VECTORS[id(embed)] = np.asarray(embed(texts), dtype=np.float32)
    query = np.asarray(embed([text]), dtype=np.float32).reshape(-1)
    sims = vectors @ query
    best: dict[str, float] = {}
    for fid, sim in zip(ids, sims.tolist(), strict=True):
        best[fid] = max(best.get(fid, -1.0), sim)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    fid, sim = ranked[0]
    others = [
        s for f, s in ranked[1:] if f not in field_ancestors(fid) and fid not in field_ancestors(f)
    ]
    margin = sim - (others[0] if others else -1.0)
    if sim < min_similarity or margin < _MIN_MARGIN:
        return None
    return FieldMatch(text, fid, fields()[fid].name, "embedding", round(sim, 3))


def match_field(
    text: str,
    *,
    embed: FieldEmbed | None = None,
    min_similarity: float = FIELD_MIN_SIMILARITY,
) -> FieldMatch | None:
    """Resolve free text to a field, saying how and with what confidence; None when no step
    is confident (the caller keeps the text and warns).

    >>> m = match_field("高档数控机床")
    >>> m.field, m.how
    ('field:machine_tool', 'contained')
    >>> match_field("检测装备").field, match_field("field:rail").how
    ('field:instrument', 'id')
    >>> match_field("蛋糕") is None
    True

    Notes: the rule steps cost a few microseconds (containment scans ~150 names); the
    embedding step embeds the taxonomy once per ``embed`` function and the text once.
    """
    raw = text.strip()
    if not raw:
        return None
    key = _key(raw)
    found = _exact_keys().get(raw.casefold()) or _exact_keys().get(key)
    if found is None:
        found = _by_containment(key)
    if found is not None:
        fid, how = found
        confidence = {"contained": 0.9, "contains": 0.85}.get(how, 1.0)
        return FieldMatch(raw, fid, fields()[fid].name, how, confidence)
    if embed is not None:
        return _nearest(raw, embed, min_similarity)
    return None


def field_suggestions(text: str, limit: int = 3) -> list[tuple[str, str, float]]:
    """(field id, Chinese name, score 0–100) of the closest names by spelling, for messages."""
    from rapidfuzz import fuzz, process

    names = [t.name for t in fields().values()]
    ids = list(fields())
    found = process.extract(text.strip(), names, scorer=fuzz.WRatio, limit=limit)
    return [(ids[i], name, round(float(score), 1)) for name, score, i in found]


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
