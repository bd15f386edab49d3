"""Military–civil transfers: 军转民 (military-origin technologies → civil demands and the civil
organisations able to absorb them) and 民参军 (civil organisations → military projects' demands).

Every call carries the caller's clearance. A technology, project or demand above it does not
exist for the caller: it is never in results, counts or evidence, and asking for it by id raises
the same ``NodeNotFound`` as an id that exists nowhere (:func:`visible_node`).

Score parts (each in [0, 1], weighted, summed):

- technology → demand: ``text`` (similarity of the two texts), ``field`` (same field 1, related 0.5)
- technology → organisation: ``text`` (organisation profile), ``field`` (its products, patents
  and technologies in the field), ``patents`` and ``products`` (best-matching item)
- demand → technology: ``text``, ``field``, ``maturity`` (TRL / 9)
- organisation → military demand: ``text``, ``field``, ``products``, ``patents``

Notes
-----
Each call scores every visible candidate once: O(candidates + their items) text similarities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.errors import InvalidRequest, NodeNotFound
from graph.model import CLEARANCE_ORDER, Label, Node, OrgKind, Rel, clearance_allows
from graph.proximity import required_clearance
from graph.store import GraphStore
from graph.taxonomy import field_ancestors
from matching.jobs_common import OrgFit, TextSimilarity, kinds_of, scored_json, tfidf_similarity

__all__ = [
    "TransferHit",
    "TransferResult",
    "find_transfers",
    "node_clearance",
    "transfers_for_demand",
    "transfers_for_org",
    "transfers_for_technology",
    "visible",
    "visible_node",
]

W_TECH_DEMAND = {"text": 0.7, "field": 0.3}
W_TECH_ORG = {"text": 0.4, "field": 0.2, "patents": 0.2, "products": 0.2}
W_DEMAND_TECH = {"text": 0.6, "field": 0.25, "maturity": 0.15}
W_ORG_DEMAND = {"text": 0.4, "field": 0.2, "products": 0.2, "patents": 0.2}


@dataclass(frozen=True)
class TransferHit:
    id: str
    label: str
    name: str
    score: float
    parts: dict[str, float]
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "name": self.name,
            **scored_json(self.score, self.parts, self.evidence),
        }


@dataclass(frozen=True)
class TransferResult:
    direction: str  # "military_to_civil" (军转民) or "civil_to_military" (民参军)
    source: dict[str, str]
    demands: list[TransferHit] = field(default_factory=list)
    organizations: list[TransferHit] = field(default_factory=list)
    technologies: list[TransferHit] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "source": self.source,
            "demands": [h.to_json() for h in self.demands],
            "organizations": [h.to_json() for h in self.organizations],
            "technologies": [h.to_json() for h in self.technologies],
        }


# ---- visibility ---------------------------------------------------------------------------


def node_clearance(store: GraphStore, node: Node) -> str:
    """The clearance a node needs: its own ``clearance``; a project's (military → restricted);
    a demand's project's."""
    level = required_clearance(node)
    if node.label == Label.DEMAND:
        for e in store.edges_of(node.id, rel=Rel.NEEDS, direction="in"):
            if store.has(e.source):
                parent = node_clearance(store, store.get(e.source))
                if CLEARANCE_ORDER[parent] > CLEARANCE_ORDER[level]:
                    level = parent
    return level


def visible(store: GraphStore, node: Node, clearance: str) -> bool:
    return clearance_allows(clearance, node_clearance(store, node))


def visible_node(store: GraphStore, node_id: str, clearance: str) -> Node:
    """The node, or ``NodeNotFound`` — identical for a missing id and one above clearance."""
    _check_clearance(clearance)
    if not store.has(node_id):
        raise NodeNotFound(node_id)
    node = store.get(node_id)
    if not visible(store, node, clearance):
        raise NodeNotFound(node_id)
    return node


def _check_clearance(clearance: str) -> None:
    if clearance not in CLEARANCE_ORDER:
        raise InvalidRequest(
            f"clearance must be one of {', '.join(CLEARANCE_ORDER)}", field="clearance"
        )


# ---- graph reading ------------------------------------------------------------------------


def _text(node: Node) -> str:
    keys = ("name", "title", "text", "description", "summary", "abstract")
    return " ".join(str(node.props.get(k) or "") for k in keys).strip()


def _fields(store: GraphStore, node: Node) -> set[str]:
    out: set[str] = set()
    value = node.props.get("field")
    if value:
        out.add(str(value))
    for e in store.edges_of(node.id, rel=Rel.IN_FIELD, direction="out"):
        out.add(e.target)
    return out


def _field_match(a: set[str], b: set[str]) -> float:
    if a & b:
        return 1.0
    up_a = {x for f in a for x in field_ancestors(f)}
    up_b = {x for f in b for x in field_ancestors(f)}
    return 0.5 if up_a & up_b else 0.0


@dataclass
class _OrgItems:
    org: Node
    products: list[Node]
    patents: list[Node]
    techs: list[Node]
    fields: set[str]

    def profile(self) -> str:
        parts = [
            _text(self.org),
            *(p.title for p in self.products),
            *(p.title for p in self.patents),
        ]
        parts += [t.title for t in self.techs]
        return " ".join(parts)


def _org_items(store: GraphStore, org: Node, clearance: str) -> _OrgItems:
    products = [store.get(e.target) for e in store.edges_of(org.id, rel=Rel.MAKES, direction="out")]
    owned = [store.get(e.target) for e in store.edges_of(org.id, rel=Rel.OWNS, direction="out")]
    patents = [n for n in owned if n.label == Label.PATENT]
    techs = [n for n in owned if n.label == Label.TECHNOLOGY and visible(store, n, clearance)]
    fields = _fields(store, org)
    for item in (*products, *patents, *techs):
        fields |= _fields(store, item)
    return _OrgItems(org, products, patents, techs, fields)


def _is_civil(org: Node) -> bool:
    kinds = set(kinds_of(org))
    return OrgKind.MILITARY_UNIT not in kinds


def _best_item(
    sim: TextSimilarity, query: str, items: Sequence[Node], kind: str
) -> tuple[float, dict[str, Any] | None]:
    if not items:
        return 0.0, None
    scores = sim(query, [_text(n) for n in items])
    i = int(np.argmax(scores))
    s = float(scores[i])
    if s <= 0:
        return 0.0, None
    return s, {"kind": kind, "id": items[i].id, "text": items[i].title, "score": round(s, 4)}


def _top(hits: Iterable[TransferHit], top: int) -> list[TransferHit]:
    return sorted(hits, key=lambda h: (-h.score, h.id))[:top]


def _project_of(store: GraphStore, demand: Node) -> Node | None:
    for e in store.edges_of(demand.id, rel=Rel.NEEDS, direction="in"):
        return store.get(e.source)
    return None


def _weighted(parts: dict[str, float], weights: dict[str, float]) -> dict[str, float]:
    return {k: weights[k] * v for k, v in parts.items()}


# ---- the four directions ------------------------------------------------------------------


def transfers_for_technology(
    store: GraphStore,
    technology_id: str,
    *,
    clearance: str = "public",
    fit: OrgFit | None = None,
    similarity: TextSimilarity | None = None,
    top: int = 10,
) -> TransferResult:
    """军转民: civil demands a military-origin technology answers, and civil organisations able
    to absorb it."""
    sim = similarity or tfidf_similarity
    tech = visible_node(store, technology_id, clearance)
    if tech.label != Label.TECHNOLOGY:
        raise InvalidRequest(f"{technology_id} is not a technology", field="technology")
    if tech.props.get("origin") != "military":
        raise InvalidRequest(f"{technology_id} is not of military origin", field="technology")
    text = _text(tech)
    tfields = _fields(store, tech)
    owners = {e.source for e in store.edges_of(tech.id, rel=Rel.OWNS, direction="in")}

    demands: list[TransferHit] = []
    dnodes = [
        d
        for d in store.nodes(Label.DEMAND)
        if visible(store, d, clearance)
        and ((p := _project_of(store, d)) is None or p.props.get("kind") != "military")
    ]
    dsims = sim(text, [_text(d) for d in dnodes])
    for d, s in zip(dnodes, dsims, strict=True):
        parts = _weighted(
            {"text": float(s), "field": _field_match(tfields, _fields(store, d))}, W_TECH_DEMAND
        )
        project = _project_of(store, d)
        ev = [{"kind": "project", "id": project.id, "text": project.title}] if project else []
        demands.append(TransferHit(d.id, Label.DEMAND, d.title, sum(parts.values()), parts, ev))

    orgs: list[TransferHit] = []
    engine: dict[str, float] = {}
    if fit is not None:
        hits = fit.rank_organizations(text, top=200, clearance=clearance)
        raw = {str(h.id): float(h.score) for h in hits}
        if raw:  # engine scores rescaled: the best 1, the weakest returned 0
            hi, lo = max(raw.values()), min(raw.values())
            engine = {o: (v - lo) / (hi - lo) if hi > lo else 1.0 for o, v in raw.items()}
    candidates = [o for o in store.nodes(Label.ORGANIZATION) if _is_civil(o) and o.id not in owners]
    items = [_org_items(store, o, clearance) for o in candidates]
    osims = sim(text, [it.profile() for it in items]) if fit is None else None
    for k, it in enumerate(items):
        t = engine.get(it.org.id, 0.0) if osims is None else float(osims[k])
        pat, pev = _best_item(sim, text, it.patents, "patent")
        prod, qev = _best_item(sim, text, it.products, "equipment")
        f = _field_match(tfields, it.fields)
        parts = _weighted({"text": t, "field": f, "patents": pat, "products": prod}, W_TECH_ORG)
        ev = [e for e in (pev, qev) if e]
        orgs.append(
            TransferHit(it.org.id, Label.ORGANIZATION, it.org.title, sum(parts.values()), parts, ev)
        )
    return TransferResult(
        "military_to_civil",
        {"id": tech.id, "label": Label.TECHNOLOGY, "name": tech.title},
        demands=_top((h for h in demands if h.score > 0), top),
        organizations=_top((h for h in orgs if h.score > 0), top),
    )


def transfers_for_demand(
    store: GraphStore,
    demand_id: str,
    *,
    clearance: str = "public",
    similarity: TextSimilarity | None = None,
    top: int = 10,
) -> TransferResult:
    """军转民 from the demand side: military-origin technologies (at or below the caller's
    clearance) that answer a civil demand — or, for a military project's demand (民参军),
    civil organisations able to supply it."""
    sim = similarity or tfidf_similarity
    demand = visible_node(store, demand_id, clearance)
    if demand.label != Label.DEMAND:
        raise InvalidRequest(f"{demand_id} is not a demand", field="demand")
    text = _text(demand)
    dfields = _fields(store, demand)
    project = _project_of(store, demand)
    src = {"id": demand.id, "label": Label.DEMAND, "name": demand.title}
    if project is not None and project.props.get("kind") == "military":
        orgs = [
            _org_for_demand(store, sim, it, demand, text, dfields)
            for it in (
                _org_items(store, o, clearance)
                for o in store.nodes(Label.ORGANIZATION)
                if _is_civil(o)
            )
        ]
        return TransferResult(
            "civil_to_military", src, organizations=_top((h for h in orgs if h.score > 0), top)
        )
    techs = [
        t
        for t in store.nodes(Label.TECHNOLOGY)
        if t.props.get("origin") == "military" and visible(store, t, clearance)
    ]
    sims = sim(text, [_text(t) for t in techs])
    hits: list[TransferHit] = []
    for t, s in zip(techs, sims, strict=True):
        trl = t.props.get("trl")
        maturity = min(max(float(trl), 0.0), 9.0) / 9.0 if isinstance(trl, int | float) else 0.0
        parts = _weighted(
            {
                "text": float(s),
                "field": _field_match(dfields, _fields(store, t)),
                "maturity": maturity,
            },
            W_DEMAND_TECH,
        )
        owners = [store.get(e.source) for e in store.edges_of(t.id, rel=Rel.OWNS, direction="in")]
        ev = [{"kind": "owner", "id": o.id, "text": o.title} for o in owners]
        hits.append(TransferHit(t.id, Label.TECHNOLOGY, t.title, sum(parts.values()), parts, ev))
    return TransferResult(
        "military_to_civil", src, technologies=_top((h for h in hits if h.score > 0), top)
    )


def _org_for_demand(
    store: GraphStore,
    sim: TextSimilarity,
    it: _OrgItems,
    demand: Node,
    text: str,
    dfields: set[str],
) -> TransferHit:
    t = float(sim(text, [it.profile()])[0])
    pat, pev = _best_item(sim, text, it.patents, "patent")
    prod, qev = _best_item(sim, text, it.products, "equipment")
    parts = _weighted(
        {"text": t, "field": _field_match(dfields, it.fields), "products": prod, "patents": pat},
        W_ORG_DEMAND,
    )
    return TransferHit(
        it.org.id,
        Label.ORGANIZATION,
        it.org.title,
        sum(parts.values()),
        parts,
        [e for e in (pev, qev) if e],
    )


def transfers_for_org(
    store: GraphStore,
    org_id: str,
    *,
    clearance: str = "public",
    similarity: TextSimilarity | None = None,
    top: int = 10,
) -> TransferResult:
    """民参军: the demands of military projects (at or below the caller's clearance) that a civil
    organisation could supply, by its products, patents and field."""
    sim = similarity or tfidf_similarity
    org = visible_node(store, org_id, clearance)
    if org.label != Label.ORGANIZATION:
        raise InvalidRequest(f"{org_id} is not an organisation", field="org")
    it = _org_items(store, org, clearance)
    profile = it.profile()
    hits: list[TransferHit] = []
    for project in store.nodes(Label.PROJECT):
        if project.props.get("kind") != "military" or not visible(store, project, clearance):
            continue
        for e in store.edges_of(project.id, rel=Rel.NEEDS, direction="out"):
            d = store.get(e.target)
            if not visible(store, d, clearance):
                continue
            text = _text(d)
            t = float(sim(profile, [text])[0])
            pat, pev = _best_item(sim, text, it.patents, "patent")
            prod, qev = _best_item(sim, text, it.products, "equipment")
            parts = _weighted(
                {
                    "text": t,
                    "field": _field_match(it.fields, _fields(store, d)),
                    "products": prod,
                    "patents": pat,
                },
                W_ORG_DEMAND,
            )
            ev = [{"kind": "project", "id": project.id, "text": project.title}]
            ev += [x for x in (pev, qev) if x]
            hits.append(TransferHit(d.id, Label.DEMAND, d.title, sum(parts.values()), parts, ev))
    return TransferResult(
        "civil_to_military",
        {"id": org.id, "label": Label.ORGANIZATION, "name": org.title},
        demands=_top((h for h in hits if h.score > 0), top),
    )


def find_transfers(
    store: GraphStore,
    *,
    technology: str | None = None,
    demand: str | None = None,
    org: str | None = None,
    clearance: str = "public",
    fit: OrgFit | None = None,
    similarity: TextSimilarity | None = None,
    top: int = 10,
) -> TransferResult:
    """Dispatch on exactly one of ``technology``, ``demand`` or ``org``."""
    _check_clearance(clearance)
    given = [x for x in (technology, demand, org) if x]
    if len(given) != 1:
        raise InvalidRequest("give exactly one of --technology, --demand, --org", field="source")
    if top < 1:
        raise InvalidRequest("top must be at least 1", field="top")
    if technology:
        return transfers_for_technology(
            store, technology, clearance=clearance, fit=fit, similarity=similarity, top=top
        )
    if demand:
        return transfers_for_demand(
            store, demand, clearance=clearance, similarity=similarity, top=top
        )
    assert org is not None
    return transfers_for_org(store, org, clearance=clearance, similarity=similarity, top=top)
