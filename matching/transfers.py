"""Military–civil transfers: 军转民 (military-origin technologies → civil demands and the civil
organisations able to absorb them) and 民参军 (civil organisations → military projects' demands).

Everything is read from the :mod:`~matching.read_model` at the caller's clearance: a technology,
project or demand above it does not exist for the caller — never in results, counts or
evidence, and asking for it by id raises the same ``NodeNotFound`` as an id that exists nowhere.

Scoring is the supplier engine's: dense (multilingual-e5 by default) and lexical similarity,
each standardised over the candidates, plus the field match (see :mod:`~matching.text_fit`).
Demands are embedded as queries and what answers them (technologies, organisations' items) as
documents, in every direction.

Score parts (named, adding up to the score):

- technology → civil demand: ``dense``, ``lexical``, ``field``;
- technology → civil organisation and military demand → civil organisation: the supplier
  engine's own parts (:mod:`~matching.scoring`), with the engine's evidence;
- civil demand → military technology: ``dense``, ``lexical``, ``field``, ``maturity`` (TRL / 9);
- civil organisation → military demand: ``dense`` (its profile), ``item`` (its best-matching
  product, patent or technology, standardised), ``lexical``, ``field``.

Each direction's parts are ``weight · feature`` over its raw features
(:data:`TRANSFER_FEATURES`: the standardised ``dense`` and ``lexical`` cosines, the ``field``
match 0/1, ``maturity`` TRL / 9, ``item`` the standardised best-item cosine). The weights are
the learned model's when ``firstset train --job transfers`` has kept one in the store
(:mod:`matching.learn.transfers`; its calibration then gives the probability), else the
documented defaults :data:`DEFAULT_TRANSFER_WEIGHTS` (dense 1.0, lexical 0.25, field 0.6,
maturity 0.2, item 0.3) with :data:`CALIBRATION`. The single-signal modes (``dense``,
``lexical``) always use one default weight.

:func:`check_transfers` guards every result: direction, clearance, exclusions, parts.

Notes
-----
A query on a warm read model reads nothing from the store: O(candidates × dim) for the dense
part and one sparse product for the lexical part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from graph.clearance import check_clearance
from graph.errors import FirstsetError, InvalidRequest
from graph.model import Label, OrgKind
from matching.features import fields_match
from matching.learn.linear import LinearRanker
from matching.read_model import DemandView, ReadModel, TechView, read_model
from matching.results import Calibration, Evidence, Ranked, parts_add_up, top_ranked
from matching.text_fit import TextWeights, cross_script, standardise

if TYPE_CHECKING:
    from matching.engine import MatchingEngine

__all__ = [
    "CALIBRATION",
    "CIVIL_KINDS",
    "DEFAULT_TRANSFER_WEIGHTS",
    "DIRECTIONS",
    "TRANSFER_FEATURES",
    "TRANSFER_JOB",
    "Mode",
    "TransferResult",
    "TransferScoring",
    "check_transfers",
    "demand_tech_features",
    "find_transfers",
    "org_demand_features",
    "scored_parts",
    "tech_demand_features",
    "transfer_scoring",
]

Mode = Literal["hybrid", "dense", "lexical"]
CIVIL_KINDS = tuple(k.value for k in OrgKind if k != OrgKind.MILITARY_UNIT)
TEXT = TextWeights()
W_FIELD = 0.6  # a same-field match adds 0.6 standard deviations (chosen on split a)
W_MATURITY = 0.2  # TRL 9 adds 0.2
W_ITEM = 0.3  # an organisation's best item, standardised
# Default score → probability map until a ranker is trained: z ≈ 2 above the mean is an even bet.
CALIBRATION = Calibration(1.5, -3.0)
# The job's learned model (``firstset train --job transfers``), one weight per direction and
# feature, kept in the store under this job name; without one, these documented defaults.
TRANSFER_JOB = "transfers"
DIRECTIONS = ("tech_to_demand", "demand_to_tech", "org_to_demand")
TRANSFER_FEATURES: dict[str, tuple[str, ...]] = {
    "tech_to_demand": ("dense", "lexical", "field"),
    "demand_to_tech": ("dense", "lexical", "field", "maturity"),
    "org_to_demand": ("dense", "lexical", "item", "field"),
}
DEFAULT_TRANSFER_WEIGHTS: dict[str, dict[str, float]] = {
    "tech_to_demand": {"dense": TEXT.dense, "lexical": TEXT.lexical, "field": W_FIELD},
    "demand_to_tech": {"dense": TEXT.dense, "lexical": TEXT.lexical, "field": W_FIELD,
                       "maturity": W_MATURITY},
    "org_to_demand": {"dense": TEXT.dense, "lexical": TEXT.lexical, "item": W_ITEM,
                      "field": W_FIELD},
}


@dataclass(frozen=True)
class TransferResult:
    direction: str  # "military_to_civil" (军转民) or "civil_to_military" (民参军)
    source: dict[str, str]
    demands: list[Ranked] = field(default_factory=list)
    organizations: list[Ranked] = field(default_factory=list)
    technologies: list[Ranked] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "source": self.source,
            "demands": [h.to_json() for h in self.demands],
            "organizations": [h.to_json() for h in self.organizations],
            "technologies": [h.to_json() for h in self.technologies],
        }


class InvalidTransfers(FirstsetError):
    """A transfer result broke a rule it must keep (a bug, never a user error)."""


Vec = NDArray[np.float64]


@dataclass(frozen=True)
class TransferScoring:
    """How one direction is scored: a weight per raw feature and the score → probability map
    (the stored model's, else :data:`DEFAULT_TRANSFER_WEIGHTS` and :data:`CALIBRATION`)."""

    weights: dict[str, float]
    calibration: Calibration
    learned: bool = False


def transfer_scoring(m: ReadModel, direction: str, mode: Mode) -> TransferScoring:
    """The weights a query of ``direction`` scores with in ``mode``: one default text weight
    for the single-signal modes; in ``hybrid``, the trained model's weights of the direction
    when the store holds one (read once per read model), else the documented defaults."""
    default = DEFAULT_TRANSFER_WEIGHTS[direction]
    if mode == "dense":
        return TransferScoring({"dense": default["dense"]}, CALIBRATION)
    if mode == "lexical":
        return TransferScoring({"lexical": default["lexical"]}, CALIBRATION)
    model = m.memo("transfers:model", lambda: _stored_model(m))
    if model is not None:
        prefix = direction + "."
        weights = {k[len(prefix):]: float(w) for k, w in model.weights.items()
                   if k.startswith(prefix)}
        if weights:
            cal = (model.info.get("calibrations") or {}).get(direction)
            return TransferScoring(weights, Calibration.from_json(cal) if cal else
                                   model.calibration, True)
    return TransferScoring(dict(default), CALIBRATION)


def _stored_model(m: ReadModel) -> LinearRanker | None:
    if m.store is None:
        return None
    from matching.learn.store import load_model

    return load_model(m.store, TRANSFER_JOB)


def _text_features(
    m: ReadModel, query: str, dense: NDArray[np.float32], collection: str,
    rows: Sequence[int], sample: str, *, lexical: bool = True,
) -> dict[str, Vec]:
    """Standardised ``dense`` and ``lexical`` columns; ``lexical`` is left out across scripts
    (it carries nothing there) and when not asked for."""
    out: dict[str, Vec] = {"dense": standardise(dense)}
    if lexical and not cross_script(query, sample):
        out["lexical"] = standardise(m.lexical_scores(query, collection)[list(rows)])
    return out


def _candidate_features(m: ReadModel, text: str, fields: Any, dense: NDArray[np.float32],
                        collection: str, rows: list[int], views: Sequence[Any], *,
                        lexical: bool) -> dict[str, Vec]:
    """Text columns of a query over ``rows`` of ``collection`` and its field match."""
    feats = _text_features(m, text, dense, collection, rows, views[0].text, lexical=lexical)
    feats["field"] = np.array([fields_match(fields, v.fields) for v in views], np.float64)
    return feats


def tech_demand_features(m: ReadModel, tech_id: str, *, lexical: bool = True
                         ) -> tuple[list[DemandView], dict[str, Vec]]:
    """The civil demands and the raw feature columns (:data:`TRANSFER_FEATURES`) of a
    military-origin technology's query."""
    t = m.tech(tech_id)
    rows = [i for i, d in enumerate(m.demands) if not d.military]
    if not rows:
        return [], {}
    demands = [m.demands[i] for i in rows]
    dense = m.demand_vectors[rows] @ m.tech_vectors[m.tech_row[t.id]]
    return demands, _candidate_features(m, t.text, t.fields, dense, "demands", rows, demands,
                                        lexical=lexical)


def demand_tech_features(m: ReadModel, demand_id: str, *, lexical: bool = True
                         ) -> tuple[list[TechView], dict[str, Vec]]:
    """The military-origin technologies and the raw feature columns of a civil demand's query."""
    d = m.demand(demand_id)
    rows = [i for i, t in enumerate(m.techs) if t.origin == "military"]
    if not rows:
        return [], {}
    techs = [m.techs[i] for i in rows]
    dense = m.tech_vectors[rows] @ m.demand_vectors[m.demand_row[d.id]]
    feats = _candidate_features(m, d.text, d.fields, dense, "techs", rows, techs,
                                lexical=lexical)
    feats["maturity"] = np.array([min(max(t.trl or 0.0, 0.0), 9.0) / 9.0 for t in techs],
                                 np.float64)
    return techs, feats


@dataclass(frozen=True)
class _OrgItems:
    items: NDArray[np.int64]  # the organisation's item rows
    sims: NDArray[np.float32]  # (demands, items)
    best: NDArray[np.int64]  # per demand, the position of its best item


def org_demand_features(m: ReadModel, org_id: str, *, lexical: bool = True
                        ) -> tuple[list[DemandView], dict[str, Vec], _OrgItems | None]:
    """The military demands and the raw feature columns of a civil organisation's query (its
    profile, its best item per demand, its fields)."""
    m.require(org_id, Label.ORGANIZATION, field="org")
    p = m.profiles
    row = p.org_row[org_id]
    info = p.corpus.orgs[row]
    rows = [i for i, d in enumerate(m.demands) if d.military]
    demands = [m.demands[i] for i in rows]
    if not rows:
        return [], {}, None
    queries = m.demand_vectors[rows]
    dense = queries @ p.org_index.matrix[row]
    feats = _text_features(m, p.corpus.profile_texts[row], dense, "demands", rows,
                           demands[0].text, lexical=lexical)
    items = p.item_rows_of(row)
    sims = queries @ p.item_vectors[items].T
    best = np.argmax(sims, axis=1)
    feats["item"] = standardise(sims[np.arange(len(rows)), best])
    feats["field"] = np.array([fields_match(info.fields, d.fields) for d in demands], np.float64)
    return demands, feats, _OrgItems(np.asarray(items, np.int64), sims, best)


def scored_parts(feats: dict[str, Vec], weights: dict[str, float]) -> dict[str, Vec]:
    """Named parts ``weight · feature`` (features the weights leave at zero, or that a query
    lacks, are no part); their sum is the score."""
    return LinearRanker(TRANSFER_JOB, weights).parts_vectors(feats)[1]


def _ranked(ids: Sequence[str], names: Sequence[str], parts: dict[str, NDArray[np.float64]],
            evidence: Callable[[int], list[Evidence]], label: str, top: int,
            calibration: Calibration = CALIBRATION) -> list[Ranked]:
    """The ``top`` best rows as results, best first (ties by id); only those are built."""
    if not ids:
        return []
    total = np.zeros(len(ids), np.float64)
    for v in parts.values():
        total += v
    keep = np.argsort(-total, kind="stable")[: max(top * 4, top + 16)]
    out = []
    for i in keep.tolist():
        p = {k: float(v[i]) for k, v in parts.items()}
        out.append(Ranked(ids[i], names[i], sum(p.values()), p, evidence(i), label)
                   .calibrated(calibration))
    return top_ranked(out, top)


def _demand_evidence(m: ReadModel, d: DemandView) -> list[Evidence]:
    ev = []
    if d.project:
        ev.append(Evidence("project", d.project, f"所属项目：{d.project_name}"))
    if d.owner and m.has(d.owner):
        ev.append(Evidence("owner", d.owner, f"项目业主：{m.name(d.owner)}"))
    return ev


def _civil_orgs(engine: MatchingEngine, m: ReadModel, text: str, *, exclude: set[str],
                top: int, mode: Mode) -> list[Ranked]:
    """Civil organisations for a text by the supplier engine (no graph walk to a project
    owner: a transfer query reads nothing but the read model)."""
    hits = engine.rank_organizations(text, kinds=CIVIL_KINDS, top=top + len(exclude) + 5,
                                     clearance=m.clearance, mode=mode)
    keep = [h for h in hits if h.id not in exclude
            and OrgKind.MILITARY_UNIT not in m.profiles.info(h.id).kinds]
    return [replace(h, label=Label.ORGANIZATION) for h in keep[:top]]


def transfers_for_technology(engine: MatchingEngine, m: ReadModel, tech_id: str, *,
                             top: int, mode: Mode) -> TransferResult:
    """军转民: civil demands a military-origin technology answers, and civil organisations able
    to absorb it."""
    t = m.tech(tech_id)
    if t.origin != "military":
        raise InvalidRequest(f"{tech_id} is not of military origin / 非军工来源技术", field="technology")
    how = transfer_scoring(m, "tech_to_demand", mode)
    demands, feats = tech_demand_features(m, tech_id, lexical="lexical" in how.weights)
    hits = _ranked([d.id for d in demands], [d.title for d in demands],
                   scored_parts(feats, how.weights), lambda i: _demand_evidence(m, demands[i]),
                   Label.DEMAND, top, how.calibration)
    orgs = _civil_orgs(engine, m, t.text, exclude=set(t.owners), top=top, mode=mode)
    return TransferResult(
        "military_to_civil", {"id": t.id, "label": Label.TECHNOLOGY, "name": t.name},
        demands=hits, organizations=orgs)


def transfers_for_demand(engine: MatchingEngine, m: ReadModel, demand_id: str, *,
                         top: int, mode: Mode) -> TransferResult:
    """A civil demand: the military-origin technologies that answer it (军转民). A military
    project's demand: the civil organisations able to supply it (民参军)."""
    d = m.demand(demand_id)
    src = {"id": d.id, "label": Label.DEMAND, "name": d.title}
    if d.military:
        orgs = _civil_orgs(engine, m, d.text, exclude=set(), top=top, mode=mode)
        return TransferResult("civil_to_military", src, organizations=orgs)
    how = transfer_scoring(m, "demand_to_tech", mode)
    techs, feats = demand_tech_features(m, demand_id, lexical="lexical" in how.weights)
    hits = _ranked([t.id for t in techs], [t.name for t in techs],
                   scored_parts(feats, how.weights),
                   lambda i: [Evidence("owner", o, f"技术持有单位：{m.name(o)}")
                              for o in techs[i].owners], Label.TECHNOLOGY, top, how.calibration)
    return TransferResult("military_to_civil", src, technologies=hits)


def transfers_for_org(engine: MatchingEngine, m: ReadModel, org_id: str, *,
                      top: int, mode: Mode) -> TransferResult:
    """民参军: the demands of military projects (at or below the caller's clearance) that a
    civil organisation could supply, by its profile, its best items and its fields."""
    how = transfer_scoring(m, "org_to_demand", mode)
    demands, feats, items = org_demand_features(m, org_id, lexical="lexical" in how.weights)
    p = m.profiles
    src = {"id": org_id, "label": Label.ORGANIZATION, "name": p.corpus.orgs[p.org_row[org_id]].name}
    if not demands or items is None:
        return TransferResult("civil_to_military", src)
    use_dense = "dense" in how.weights or "item" in how.weights

    def evidence(k: int) -> list[Evidence]:
        ev = _demand_evidence(m, demands[k])
        it = p.corpus.items[int(items.items[items.best[k]])]
        if use_dense and it.kind != "description":
            ev.append(Evidence(it.kind, it.id, it.title, float(items.sims[k, items.best[k]])))
        return ev

    hits = _ranked([d.id for d in demands], [d.title for d in demands],
                   scored_parts(feats, how.weights), evidence, Label.DEMAND, top,
                   how.calibration)
    return TransferResult("civil_to_military", src, demands=hits)


def check_transfers(m: ReadModel, result: TransferResult) -> list[str]:
    """Every rule a transfer result must keep that it breaks (empty when it is valid): each
    item visible at the caller's clearance and of the right kind, demands on the right side,
    no military unit among the civil organisations, parts adding up to scores."""
    problems: list[str] = []
    military_side = result.direction == "civil_to_military"

    def wrong(label: str, node_id: str) -> str | None:
        """Why a visible result of list ``label`` does not belong there (None when it does)."""
        if m.label(node_id) != label:
            return f"{node_id}: listed as a {label}"
        if label == Label.DEMAND and m.demand(node_id).military != military_side:
            return f"{node_id}: a demand on the wrong side of {result.direction}"
        if label == Label.TECHNOLOGY and m.tech(node_id).origin != "military":
            return f"{node_id}: not a military-origin technology"
        if label == Label.ORGANIZATION and OrgKind.MILITARY_UNIT in m.profiles.info(node_id).kinds:
            return f"{node_id}: a military unit offered as a civil organisation"
        return None

    for label, hits in ((Label.DEMAND, result.demands), (Label.ORGANIZATION, result.organizations),
                        (Label.TECHNOLOGY, result.technologies)):
        for h in hits:
            if not m.has(h.id):
                problems.append(f"{h.id}: not visible at clearance {m.clearance}")
                continue
            if not parts_add_up(h):
                problems.append(f"{h.id}: parts do not add up to the score")
            for ev in h.evidence:
                ev_id = ev.id if isinstance(ev, Evidence) else str(ev.get("id", ""))
                if ev_id and not m.has(ev_id):
                    problems.append(f"{h.id}: evidence {ev_id} not visible")
            why = wrong(label, h.id)
            if why:
                problems.append(why)
    src = result.source["id"]
    if result.source["label"] == Label.TECHNOLOGY and m.has(src):
        owners = set(m.tech(src).owners)
        problems += [f"{h.id}: owns the technology" for h in result.organizations
                     if h.id in owners]
    return problems


def find_transfers(
    engine: MatchingEngine,
    *,
    technology: str | None = None,
    demand: str | None = None,
    org: str | None = None,
    clearance: str = "public",
    top: int = 10,
    mode: Mode = "hybrid",
) -> TransferResult:
    """Dispatch on exactly one of ``technology``, ``demand`` or ``org``; the result is checked
    by :func:`check_transfers` before it is returned."""
    check_clearance(clearance)
    given = [x for x in (technology, demand, org) if x]
    if len(given) != 1:
        raise InvalidRequest("give exactly one of --technology, --demand, --org / 三选一",
                             field="source")
    if top < 1:
        raise InvalidRequest("top must be at least 1", field="top")
    if mode not in ("hybrid", "dense", "lexical"):
        raise InvalidRequest(f"unknown mode {mode!r}", field="mode")
    m = read_model(engine, clearance)
    if technology:
        result = transfers_for_technology(engine, m, technology, top=top, mode=mode)
    elif demand:
        result = transfers_for_demand(engine, m, demand, top=top, mode=mode)
    else:
        assert org is not None
        result = transfers_for_org(engine, m, org, top=top, mode=mode)
    problems = check_transfers(m, result)
    if problems:
        raise InvalidTransfers("; ".join(problems))
    return result
