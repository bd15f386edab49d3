"""Roadshow shortlists (众创成果路演): score pitches on the published contest criteria and pick a
diverse shortlist with per-field quotas.

Score parts (each criterion in [0, 1], times its weight in ``CRITERIA``):

- ``technical_level``: the presenter's technical base behind the pitch — its patents and
  technologies related to the pitch text (saturating sum of their similarities);
- ``advancement``: how far the pitch is from equipment already in the graph (1 − the best text
  similarity to existing equipment);
- ``maturity``: stage (idea, prototype, pilot, product) and TRL (1–9), averaged;
- ``market_demand``: how much open demand in the graph it answers (sum of its matches to open
  demands, saturating), with the demands listed;
- ``conversion_benefit``: the budget (万元) of the demands it answers, relative to the largest.

Quotas: ``{field: n}`` reserves ``n`` places for pitches of that field (or a sub-field) and caps
the field at ``n``; fields without a quota share the remaining places. Diversity: maximal marginal
relevance, ``λ · score − (1 − λ) · max similarity to a pitch already chosen``.

Demands of projects above the caller's clearance are never counted or shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graph.errors import InvalidRequest
from graph.model import Label, Node, Rel
from graph.store import GraphStore
from graph.taxonomy import field_ancestors, resolve_field
from matching.jobs_common import TextSimilarity, make_vectorizer, tfidf_similarity
from matching.transfers import _check_clearance, visible

__all__ = [
    "CRITERIA",
    "PitchScore",
    "Shortlist",
    "parse_quotas",
    "score_pitches",
    "shortlist",
]

CRITERIA: dict[str, float] = {
    "technical_level": 0.2,
    "advancement": 0.15,
    "maturity": 0.2,
    "market_demand": 0.3,
    "conversion_benefit": 0.15,
}
STAGES = {"idea": 0.25, "prototype": 0.5, "pilot": 0.75, "product": 1.0}
DEMAND_MATCH = 0.15  # similarity from which a pitch counts as answering a demand
ITEM_MATCH = 0.05  # similarity from which a presenter's patent or technology backs the pitch
_CLOSED = {"closed", "filled", "done", "awarded", "cancelled"}


@dataclass(frozen=True)
class PitchScore:
    id: str
    title: str
    field: str | None
    score: float
    parts: dict[str, float]
    demands: list[dict[str, Any]] = _field(default_factory=list)
    evidence: list[dict[str, Any]] = _field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "field": self.field,
            "score": round(self.score, 6),
            "parts": {k: round(v, 6) for k, v in self.parts.items()},
            "demands": self.demands,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Shortlist:
    pitches: list[PitchScore]
    quotas: dict[str, int]
    unfilled: dict[str, int]  # quota places left empty for lack of pitches

    def to_json(self) -> dict[str, Any]:
        return {
            "pitches": [p.to_json() for p in self.pitches],
            "quotas": self.quotas,
            "unfilled": self.unfilled,
        }


def _text(node: Node) -> str:
    keys = ("name", "title", "text", "summary", "description", "abstract")
    return " ".join(str(node.props.get(k) or "") for k in keys).strip()


def _field_of(store: GraphStore, node: Node) -> str | None:
    value = node.props.get("field")
    if value:
        return resolve_field(str(value)) or str(value)
    for e in store.edges_of(node.id, rel=Rel.IN_FIELD, direction="out"):
        return e.target
    return None


def _open_demands(store: GraphStore, clearance: str) -> list[tuple[Node, Node | None]]:
    out: list[tuple[Node, Node | None]] = []
    for d in store.nodes(Label.DEMAND):
        if str(d.props.get("status") or "").casefold() in _CLOSED:
            continue
        if not visible(store, d, clearance):
            continue
        parents = store.edges_of(d.id, rel=Rel.NEEDS, direction="in")
        project = store.get(parents[0].source) if parents else None
        out.append((d, project))
    return out


def score_pitches(
    store: GraphStore,
    *,
    clearance: str = "public",
    similarity: TextSimilarity | None = None,
) -> list[PitchScore]:
    """Every pitch with its criteria, best first."""
    _check_clearance(clearance)
    sim = similarity or tfidf_similarity
    pitches = list(store.nodes(Label.PITCH))
    demands = _open_demands(store, clearance)
    equipment = list(store.nodes(Label.EQUIPMENT))
    max_budget = max([_budget(d) for d, _ in demands] + [0.0])
    out: list[PitchScore] = []
    for p in pitches:
        text = _text(p)
        pfield = _field_of(store, p)
        presenters = [e.source for e in store.edges_of(p.id, rel=Rel.PRESENTS, direction="in")]
        # technical level: related patents and technologies of the presenter
        items: list[Node] = []
        for org in presenters:
            for e in store.edges_of(org, rel=Rel.OWNS, direction="out"):
                item = store.get(e.target)
                if item.label == Label.PATENT or visible(store, item, clearance):
                    items.append(item)
        item_sims = sim(text, [_text(n) for n in items]) if items else np.zeros(0)
        related = [(items[i], float(s)) for i, s in enumerate(item_sims) if s >= ITEM_MATCH]
        technical = 1.0 - math.exp(-sum(s for _, s in related) / 0.5)
        # advancement: distance from equipment already in the graph
        eq_sims = sim(text, [_text(n) for n in equipment]) if equipment else np.zeros(1)
        best_eq = float(np.max(eq_sims)) if eq_sims.size else 0.0
        advancement = 1.0 - min(best_eq, 1.0)
        # maturity
        stage = STAGES.get(str(p.props.get("stage") or ""), 0.0)
        trl = p.props.get("trl")
        trl_part = min(max(float(trl), 0.0), 9.0) / 9.0 if isinstance(trl, int | float) else 0.0
        maturity = (stage + trl_part) / 2.0
        # market demand and conversion benefit
        d_sims = sim(text, [_text(d) for d, _ in demands]) if demands else np.zeros(0)
        answered: list[dict[str, Any]] = []
        total = 0.0
        budget = 0.0
        for (d, project), s in zip(demands, d_sims, strict=True):
            s = float(s)
            dfield = _field_of(store, d)
            if pfield and dfield and _related(pfield, dfield):
                s = min(1.0, s + 0.1)
            if s < DEMAND_MATCH:
                continue
            total += s
            budget += _budget(d) * s
            answered.append(
                {
                    "id": d.id,
                    "text": d.title,
                    "project": project.id if project else None,
                    "score": round(s, 4),
                }
            )
        answered.sort(key=lambda x: -float(x["score"]))
        market = 1.0 - math.exp(-total)
        benefit = min(1.0, budget / max_budget) if max_budget > 0 else 0.0
        raw = {
            "technical_level": technical,
            "advancement": advancement,
            "maturity": maturity,
            "market_demand": market,
            "conversion_benefit": benefit,
        }
        parts = {k: CRITERIA[k] * v for k, v in raw.items()}
        evidence = [
            {"kind": str(n.label).lower(), "id": n.id, "text": n.title, "score": round(s, 4)}
            for n, s in sorted(related, key=lambda x: -x[1])[:3]
        ]
        out.append(
            PitchScore(p.id, p.title, pfield, sum(parts.values()), parts, answered[:10], evidence)
        )
    out.sort(key=lambda x: (-x.score, x.id))
    return out


def _budget(d: Node) -> float:
    value = d.props.get("budget_wan")
    try:
        return max(float(value), 0.0) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return 0.0


def _related(a: str, b: str) -> bool:
    return bool(set(field_ancestors(a)) & set(field_ancestors(b)))


def _in_quota(pitch_field: str | None, quota_field: str) -> bool:
    return pitch_field is not None and quota_field in field_ancestors(pitch_field)


def parse_quotas(values: list[str] | None) -> dict[str, int]:
    """``["field:power=2", "风电装备=1"]`` → ``{"field:power": 2, "field:power.wind": 1}``."""
    out: dict[str, int] = {}
    for item in values or []:
        name, sep, count = item.rpartition("=")
        if not sep or not name.strip():
            raise InvalidRequest(f"quota {item!r} is not FIELD=N", field="quota")
        try:
            n = int(count)
        except ValueError:
            raise InvalidRequest(f"quota {item!r}: N must be a number", field="quota") from None
        if n < 0:
            raise InvalidRequest(f"quota {item!r}: N must not be negative", field="quota")
        fid = resolve_field(name.strip()) or name.strip()
        out[fid] = n
    return out


def _pitch_similarity(scored: list[PitchScore], texts: list[str]) -> NDArray[np.float64]:
    n = len(scored)
    if n == 0:
        return np.zeros((0, 0))
    try:
        m = make_vectorizer().fit_transform(texts)
        text = np.asarray((m @ m.T).toarray(), dtype=np.float64)
    except ValueError:
        text = np.zeros((n, n))
    same = np.array(
        [[1.0 if a.field and a.field == b.field else 0.0 for b in scored] for a in scored]
    )
    return 0.5 * text + 0.5 * same


def shortlist(
    store: GraphStore,
    *,
    size: int = 10,
    quotas: Mapping[str, int] | None = None,
    diversity: float = 0.3,
    clearance: str = "public",
    similarity: TextSimilarity | None = None,
) -> Shortlist:
    """A shortlist of ``size`` pitches: quotas first, then by maximal marginal relevance."""
    if size < 1:
        raise InvalidRequest("size must be at least 1", field="size")
    if not 0.0 <= diversity <= 1.0:
        raise InvalidRequest("diversity must be between 0 and 1", field="diversity")
    quotas = dict(quotas or {})
    if sum(quotas.values()) > size:
        raise InvalidRequest(
            f"quotas add up to {sum(quotas.values())}, more than the size {size}", field="quota"
        )
    scored = score_pitches(store, clearance=clearance, similarity=similarity)
    nodes = {n.id: n for n in store.get_many([p.id for p in scored])}
    texts = [_text(nodes[p.id]) if p.id in nodes else p.title for p in scored]
    simm = _pitch_similarity(scored, texts)
    lam = 1.0 - diversity
    chosen: list[int] = []
    taken: dict[str, int] = dict.fromkeys(quotas, 0)

    def quota_of(i: int) -> str | None:
        for q in quotas:
            if _in_quota(scored[i].field, q):
                return q
        return None

    available = {q: sum(1 for i in range(len(scored)) if quota_of(i) == q) for q in quotas}
    while len(chosen) < min(size, len(scored)):
        owed = {q: min(quotas[q], available[q]) - taken[q] for q in quotas}
        must = sum(max(v, 0) for v in owed.values())
        left = size - len(chosen)
        pool: list[int] = []
        for i in range(len(scored)):
            if i in chosen:
                continue
            q = quota_of(i)
            if q is not None and taken[q] >= quotas[q]:
                continue
            if must >= left and (q is None or owed[q] <= 0):
                continue
            pool.append(i)
        if not pool:
            break
        best, best_val = pool[0], -math.inf
        for i in pool:
            penalty = max((simm[i, j] for j in chosen), default=0.0)
            val = lam * scored[i].score - (1 - lam) * penalty
            if val > best_val + 1e-12:
                best, best_val = i, val
        chosen.append(best)
        q = quota_of(best)
        if q is not None:
            taken[q] += 1
    unfilled = {q: quotas[q] - taken[q] for q in quotas if taken[q] < quotas[q]}
    return Shortlist([scored[i] for i in chosen], quotas, unfilled)
