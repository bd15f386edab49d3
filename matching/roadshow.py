"""Roadshow shortlists (众创成果路演): score pitches on the published contest criteria and pick a
diverse shortlist with per-field quotas.

Score parts (each criterion in [0, 1], times its weight in ``CRITERIA``):

- ``technical_level``: the presenter's technical base behind the pitch — its patents and
  technologies related to the pitch text (saturating sum of their similarities);
- ``advancement``: how far the pitch is from equipment already in the graph (1 − the best
  similarity to existing equipment);
- ``maturity``: stage (idea, prototype, pilot, product) and TRL (1–9), averaged;
- ``market_demand``: how much open demand in the graph it answers (sum of its matches to open
  demands, saturating), with the demands listed;
- ``conversion_benefit``: the budget (万元) of the demands it answers, relative to the largest.

Quotas: ``{field: n}`` reserves ``n`` places for pitches of that field (or a sub-field) and caps
the field at ``n``; fields without a quota share the remaining places. Diversity: maximal marginal
relevance, ``λ · score − (1 − λ) · max similarity to a pitch already chosen``.

Similarities come from the read model (:mod:`~matching.read_model`): the pitch's embedding
against the demands' and items' embeddings and the shared lexical index, as an absolute
similarity in [0, 1] (:func:`~matching.text_fit.absolute_similarity`), so a threshold means the
same on a small graph and a large one. Demands of projects above the caller's clearance are not
in the read model: never counted or shown. :func:`check_shortlist` guards every shortlist.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graph.clearance import check_clearance
from graph.errors import FirstsetError, InvalidRequest
from graph.model import Label
from graph.taxonomy import field_ancestors, resolve_field
from matching.features import field_match
from matching.read_model import PitchView, ReadModel, read_model
from matching.results import Calibration, Evidence, Ranked, parts_add_up
from matching.text_fit import absolute_similarity, cross_script

if TYPE_CHECKING:
    from matching.engine import MatchingEngine

__all__ = [
    "CRITERIA",
    "Shortlist",
    "check_shortlist",
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
FIELD_BONUS = 0.1  # added to the similarity of a demand in a related field
CALIBRATION = Calibration(8.0, -4.0)  # criteria sum to [0, 1]: 0.5 is an even bet
ITEM_KINDS = frozenset({"patent", "technology"})
ANSWERED_SHOWN = 10  # answered demands listed per pitch (all of them count)


@dataclass(frozen=True)
class Shortlist:
    pitches: list[Ranked]
    quotas: dict[str, int]
    unfilled: dict[str, int]  # quota places left empty for lack of pitches

    def to_json(self) -> dict[str, Any]:
        return {
            "pitches": [p.to_json() for p in self.pitches],
            "quotas": self.quotas,
            "unfilled": self.unfilled,
        }


class InvalidShortlist(FirstsetError):
    """A shortlist broke a rule it must keep (a bug, never a user error)."""


def _field_of(p: Ranked) -> str | None:
    value = p.extra.get("field")
    return str(value) if value else None


def _presenter_items(m: ReadModel, pitch: PitchView) -> list[int]:
    rows: list[int] = []
    for org in pitch.presenters:
        if org in m.profiles.org_row:
            rows.extend(int(r) for r in m.item_rows(org)
                        if m.profiles.corpus.items[int(r)].kind in ITEM_KINDS)
    return list(dict.fromkeys(rows))


def score_pitches(engine: MatchingEngine, *, clearance: str = "public") -> list[Ranked]:
    """Every visible pitch with its criteria, best first (scored once per read model: the
    criteria depend on the graph and the clearance only)."""
    check_clearance(clearance)
    m = read_model(engine, clearance)
    return list(m.memo("roadshow.pitches", lambda: _score_all(m)))


def _score_all(m: ReadModel) -> list[Ranked]:
    """Every pitch's criteria, with one matrix product per collection (pitches × demands,
    pitches × equipment) and vectorised thresholds."""
    p = m.profiles
    open_rows = np.asarray([i for i, d in enumerate(m.demands) if d.open], np.int64)
    demands = [m.demands[int(i)] for i in open_rows]
    budgets = np.asarray([d.budget_wan for d in demands], np.float64)
    max_budget = float(budgets.max()) if budgets.size else 0.0
    groups: dict[frozenset[str], int] = {}
    group_of = np.asarray([groups.setdefault(d.fields, len(groups)) for d in demands], np.int64)
    group_fields = list(groups)
    ids = np.asarray([d.id for d in demands], dtype=object)
    floor = m.dense_floor
    dense_all = (m.demand_vectors[open_rows] @ m.pitch_vectors.T if len(open_rows)
                 else np.zeros((0, len(m.pitches)), np.float32))
    eq_all = p.item_vectors[m.equipment_rows] @ m.pitch_queries.T
    items = p.corpus.items
    out: list[Ranked] = []
    for i, pitch in enumerate(m.pitches):
        pq = m.pitch_queries[i]
        # technical level: related patents and technologies of the presenters
        rows = _presenter_items(m, pitch)
        item_sims = absolute_similarity(p.item_vectors[rows] @ pq, None, floor=floor, cross=True)
        related = [(rows[k], float(v)) for k, v in enumerate(item_sims) if v >= ITEM_MATCH]
        technical = 1.0 - math.exp(-sum(v for _, v in related) / 0.5)
        # advancement: distance from equipment already in the graph
        eq = absolute_similarity(eq_all[:, i], None, floor=floor, cross=True)
        advancement = 1.0 - float(eq.max()) if eq.size else 1.0
        stage = STAGES.get(pitch.stage, 0.0)
        trl = min(max(pitch.trl or 0.0, 0.0), 9.0) / 9.0
        maturity = (stage + trl) / 2.0
        # market demand and conversion benefit: the open demands it answers
        answered: list[dict[str, Any]] = []
        total = budget = 0.0
        if demands:
            cross = cross_script(pitch.text, demands[0].text)
            lex = m.lexical_scores(pitch.text, "demands")[open_rows]
            sims = absolute_similarity(dense_all[:, i], lex, floor=floor, cross=cross)
            if pitch.field:
                near = np.asarray([bool(fs) and field_match(fs, pitch.field) > 0
                                   for fs in group_fields])
                sims = np.where(near[group_of], np.minimum(1.0, sims + FIELD_BONUS), sims)
            hit = np.flatnonzero(sims >= DEMAND_MATCH)
            total = float(sims[hit].sum())
            budget = float((budgets[hit] * sims[hit]).sum())
            best = hit[np.argsort(-sims[hit], kind="stable")[:ANSWERED_SHOWN * 4]]
            for k in sorted(best.tolist(), key=lambda r: (-round(float(sims[r]), 4), ids[r])):
                d = demands[k]
                answered.append({"id": d.id, "text": d.title, "project": d.project,
                                 "score": round(float(sims[k]), 4)})
        raw = {
            "technical_level": technical,
            "advancement": advancement,
            "maturity": maturity,
            "market_demand": 1.0 - math.exp(-total),
            "conversion_benefit": min(1.0, budget / max_budget) if max_budget > 0 else 0.0,
        }
        parts = {k: CRITERIA[k] * v for k, v in raw.items()}
        evidence = [Evidence(items[r].kind, items[r].id, items[r].title, v)
                    for r, v in sorted(related, key=lambda x: -x[1])[:3]]
        evidence += [Evidence("demand", str(a["id"]), f"可满足需求：{a['text']}",
                              float(a["score"])) for a in answered[:3]]
        out.append(Ranked(pitch.id, pitch.title, sum(parts.values()), parts, evidence,
                          Label.PITCH, extra={"title": pitch.title, "field": pitch.field,
                                              "demands": answered[:ANSWERED_SHOWN]})
                   .calibrated(CALIBRATION))
    out.sort(key=lambda x: (-x.score, x.id))
    return out


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


def _pitch_similarity(m: ReadModel, scored: list[Ranked]) -> NDArray[np.float64]:
    """Pairwise likeness of pitches for diversity: half text (absolute similarity of their
    embeddings), half the same field."""
    n = len(scored)
    if n == 0:
        return np.zeros((0, 0))
    rows = [m.pitch_row[p.id] for p in scored]
    cos = m.pitch_queries[rows] @ m.pitch_vectors[rows].T
    text = absolute_similarity(cos, None, floor=m.dense_floor, cross=True)
    fields = np.asarray([_field_of(r) or "" for r in scored], dtype=object)
    same = ((fields[:, None] == fields[None, :]) & (fields[:, None] != "")).astype(np.float64)
    return np.asarray(0.5 * text + 0.5 * same, np.float64)


def shortlist(
    engine: MatchingEngine,
    *,
    size: int = 10,
    quotas: Mapping[str, int] | None = None,
    diversity: float = 0.3,
    clearance: str = "public",
) -> Shortlist:
    """A shortlist of ``size`` pitches: quotas first, then by maximal marginal relevance;
    checked by :func:`check_shortlist` before it is returned."""
    if size < 1:
        raise InvalidRequest("size must be at least 1", field="size")
    if not 0.0 <= diversity <= 1.0:
        raise InvalidRequest("diversity must be between 0 and 1", field="diversity")
    quotas = dict(quotas or {})
    if sum(quotas.values()) > size:
        raise InvalidRequest(
            f"quotas add up to {sum(quotas.values())}, more than the size {size}", field="quota"
        )
    scored = score_pitches(engine, clearance=clearance)
    m = read_model(engine, clearance)
    simm: NDArray[np.float64] = m.memo("roadshow.similarity", lambda: _pitch_similarity(m, scored))
    lam = 1.0 - diversity
    n = len(scored)
    scores = np.asarray([r.score for r in scored], np.float64)
    names = list(quotas)
    # each pitch's quota (the first quota field it falls in), as an index into ``names``
    quota_of = np.asarray([next((k for k, q in enumerate(names)
                                 if _in_quota(_field_of(r), q)), -1) for r in scored], np.int64)
    limit = np.asarray([quotas[q] for q in names], np.int64)
    available = np.bincount(quota_of[quota_of >= 0], minlength=len(names))
    taken = np.zeros(len(names), np.int64)
    free = np.ones(n, bool)
    penalty = np.zeros(n, np.float64)  # the most each pitch is like one already chosen
    chosen: list[int] = []
    while len(chosen) < min(size, n):
        owed = np.minimum(limit, available) - taken
        must = int(np.maximum(owed, 0).sum())
        pool = free.copy()
        in_quota = quota_of >= 0
        full = np.zeros(n, bool)
        full[in_quota] = taken[quota_of[in_quota]] >= limit[quota_of[in_quota]]
        pool &= ~full
        if must >= size - len(chosen):  # every place left is owed to a quota
            owes = np.zeros(n, bool)
            owes[in_quota] = owed[quota_of[in_quota]] > 0
            pool &= owes
        if not pool.any():
            break
        value = np.where(pool, lam * scores - (1 - lam) * penalty, -np.inf)
        best = int(np.argmax(value))  # the first of equal values: the better-ranked pitch
        chosen.append(best)
        free[best] = False
        penalty = np.maximum(penalty, simm[best])
        if quota_of[best] >= 0:
            taken[quota_of[best]] += 1
    taken_by = {q: int(taken[k]) for k, q in enumerate(names)}
    unfilled = {q: quotas[q] - taken_by[q] for q in quotas if taken_by[q] < quotas[q]}
    result = Shortlist([scored[i] for i in chosen], quotas, unfilled)
    problems = check_shortlist(m, result, size=size)
    if problems:
        raise InvalidShortlist("; ".join(problems))
    return result


def check_shortlist(m: ReadModel, result: Shortlist, *, size: int) -> list[str]:
    """Every rule a shortlist must keep that it breaks (empty when it is valid): at most
    ``size`` pitches, each once and visible; no quota field over its quota and ``unfilled``
    telling the places left empty; answered demands visible and open; parts adding up."""
    problems: list[str] = []
    ids = [p.id for p in result.pitches]
    if len(ids) > size:
        problems.append(f"{len(ids)} pitches for {size} places")
    if len(set(ids)) != len(ids):
        problems.append("a pitch listed twice")
    for q, n in result.quotas.items():
        got = sum(1 for p in result.pitches if _in_quota(_field_of(p), q))
        if got > n:
            problems.append(f"field {q}: {got} pitches over its quota of {n}")
        if got + result.unfilled.get(q, 0) < n:
            problems.append(f"field {q}: {n - got} quota places neither filled nor reported")
    for p in result.pitches:
        if not m.has(p.id) or m.label(p.id) != Label.PITCH:
            problems.append(f"{p.id}: not a visible pitch")
        if not parts_add_up(p):
            problems.append(f"{p.id}: parts do not add up to the score")
        for d in p.extra.get("demands", []):
            did = str(d["id"])
            if not m.has(did) or not m.demand(did).open:
                problems.append(f"{p.id}: answered demand {did} is not a visible open demand")
    return problems
