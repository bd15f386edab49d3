"""Consortium member fit learned from the graph: hide a participation, recover it.

Self-supervised examples: take a project with text (its name, description and demands, as
:func:`~matching.consortium.form_consortia` queries it), hide one participation of a member
that is not its owner, and ask, as the consortium job does, which organisations fit the
hidden member's role (its ``PARTICIPATES_IN`` role, else its kind); the hidden member is the
answer, every other organisation of that role's kinds a negative (the hard negatives of the
same kind; those of the same field among them). The owner and the project's other members are
no candidates (they are already in).

Leakage-free: examples are split into folds, and each fold's features are computed on a view
of the store without all of that fold's hidden participations
(:class:`~matching.learn.suppliers.HiddenEdges`): the engine's proximity paths, the
collaboration index and the ``projects`` count never see the hidden edge. (Organisation
profiles read no participation at all.)

Features (:data:`CONSORTIUM_FEATURES`): the supplier engine's parts as
:func:`~matching.consortium.form_consortia` gets them (``dense_org``, ``dense_item``,
``lexical``, ``field_text``, ``ipc``, ``proximity``, ``catalogue``, ``insured``) and
``projects`` (log(1 + projects the organisation takes part in)). The model is fitted on every
project (learner chosen by cross-validation by project: the default weights, coordinate ascent,
pairwise logistic regression) and calibrated on its out-of-fold scores. The report is
cross-fitted: each fold of projects is scored by a model that learned, learner choice included,
from the other folds only, beside every single part and the default weights, in the same run.
:func:`learned_fit` is what ``form_consortia`` ranks with when the store keeps the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graph.errors import InvalidRequest
from graph.model import Label, Rel
from graph.proximity import CollaborationIndex, collaboration_index
from graph.store import GraphStore
from matching.embedders import Embedder
from matching.engine import MatchingEngine
from matching.jobs_common import ROLE_KINDS, kinds_of
from matching.learn.dataset import RankingSet
from matching.learn.linear import (
    LinearRanker,
    choose_learner,
    cross_validated,
    fit_calibration,
    fit_named_learner,
    rank_metrics,
)
from matching.learn.store import load_model
from matching.learn.suppliers import HiddenEdges

__all__ = [
    "CONSORTIUM_FEATURES",
    "CONSORTIUM_JOB",
    "ConsortiumExample",
    "LearnedFit",
    "consortium_examples_set",
    "hidden_member_examples",
    "learned_fit",
    "project_folds",
    "train_consortium",
]

CONSORTIUM_JOB = "consortium"
ENGINE_FEATURES = ("dense_org", "dense_item", "lexical", "field_text", "ipc", "proximity",
                   "catalogue", "insured")
CONSORTIUM_FEATURES = (*ENGINE_FEATURES, "projects")
CLEARANCE = "secret"  # training sees every project; queries keep the caller's clearance
Vec = NDArray[np.float64]


@dataclass(frozen=True)
class ConsortiumExample:
    """One hidden participation: the ``role`` of ``project_id`` that ``answer`` filled."""

    project_id: str
    role: str
    answer: str


def _role_of(edge_role: str, kinds: Sequence[str]) -> str | None:
    if edge_role in ROLE_KINDS and edge_role != "user":
        return edge_role
    for role, allowed in ROLE_KINDS.items():
        if role != "user" and set(kinds) & allowed:
            return role
    return None


def hidden_member_examples(store: GraphStore, *, max_queries: int = 2000, per_project: int = 4,
                           seed: int = 0) -> list[ConsortiumExample]:
    """Up to ``per_project`` hidden non-owner members of each project with text (at random),
    up to ``max_queries`` in all; a project's examples are consecutive."""
    rng = np.random.default_rng(seed)
    owner = {e.source: e.target for e in store.edges(Rel.OWNED_BY)}
    members: dict[str, list[tuple[str, str]]] = {}
    for e in store.edges(Rel.PARTICIPATES_IN):
        members.setdefault(e.target, []).append((e.source, str(e.props.get("role") or "")))
    projects = {p.id: p for p in store.nodes(Label.PROJECT)}
    kinds = {o.id: kinds_of(o) for o in store.nodes(Label.ORGANIZATION)}
    per: list[list[ConsortiumExample]] = []
    for pid in sorted(members):
        node = projects.get(pid)
        if node is None or not (node.title or node.get("description")):
            continue
        choices = []
        for org, edge_role in sorted(set(members[pid])):
            role = _role_of(edge_role, kinds.get(org, []))
            if org != owner.get(pid) and role is not None:
                choices.append(ConsortiumExample(pid, role, org))
        if choices:
            pick = rng.permutation(len(choices))[:per_project]
            per.append([choices[i] for i in sorted(pick.tolist())])
    out: list[ConsortiumExample] = []
    for j in sorted(rng.permutation(len(per)).tolist()):
        if len(out) >= max_queries:
            break
        out.extend(per[j][: max_queries - len(out)])
    return out


def project_folds(examples: Sequence[ConsortiumExample], folds: int) -> list[int]:
    """A fold per example such that one project's examples sit in different folds (so a fold
    hides at most one member of a project, and the others stay members, never negatives)."""
    seen: dict[str, int] = {}
    out = []
    for e in examples:
        n = seen.get(e.project_id, 0)
        seen[e.project_id] = n + 1
        out.append((n + len(seen)) % max(folds, 1))
    return out


def _rows(engine: MatchingEngine, store: GraphStore, e: ConsortiumExample
          ) -> tuple[list[str], Vec] | None:
    """Candidates and feature rows of one example, on ``store`` as it is (a view)."""
    from matching.consortium import project_text_with_demands

    idx = collaboration_index(store, CLEARANCE)
    project = idx.projects.get(e.project_id)
    if project is None:
        return None
    text = project_text_with_demands(store, project)
    skip = set(idx.members_of.get(e.project_id, ())) | {idx.owner_of.get(e.project_id, "")}
    allowed = ROLE_KINDS[e.role]
    cand = sorted(o for o, n in idx.orgs.items()
                  if set(kinds_of(n)) & allowed and (o not in skip or o == e.answer))
    if e.answer not in cand or len(cand) < 2 or not text.strip():
        return None
    cols = feature_columns(engine, idx, text, cand, project_id=e.project_id,
                           clearance=CLEARANCE, kinds=sorted(allowed))
    return cand, np.column_stack([cols[f] for f in CONSORTIUM_FEATURES])


def feature_columns(engine: MatchingEngine, idx: CollaborationIndex, text: str,
                    ids: Sequence[str], *, project_id: str | None, clearance: str,
                    kinds: Sequence[str] | None) -> dict[str, Vec]:
    """The :data:`CONSORTIUM_FEATURES` of organisations ``ids`` for a project's text: the
    engine's parts as it scores them, and ``projects`` from the collaboration index."""
    feats = engine.features(text, ids, project_id=project_id, clearance=clearance,
                            kinds=kinds)
    cols = {f: np.asarray(feats[f], np.float64) for f in ENGINE_FEATURES}
    cols["projects"] = np.log1p([len(idx.projects_of.get(o, ())) for o in ids])
    return cols


def consortium_examples_set(
    store: GraphStore,
    embedder: Embedder,
    examples: Sequence[ConsortiumExample],
    *,
    folds: int = 4,
    hide: bool = True,
    progress: Callable[[int], None] | None = None,
) -> RankingSet:
    """The :class:`RankingSet` of these examples, leakage-free (see the module doc); ``hide``
    False computes them on ``store`` as it is (the leakage test's store without the edges)."""
    groups: list[tuple[Vec, NDArray[np.int64], str, bool]] = []
    k = max(folds, 1)
    done = 0
    fold_of = project_folds(examples, k)
    for f in range(k):
        fold = [e for e, g in zip(examples, fold_of, strict=True) if g == f]
        if not fold:
            continue
        view: GraphStore = HiddenEdges(store, [(e.answer, Rel.PARTICIPATES_IN, e.project_id)
                                               for e in fold]) if hide else store
        engine = MatchingEngine(view, embedder, weights=None)
        engine.use_model(None)
        for e in fold:
            got = _rows(engine, view, e)
            if got is None:
                continue
            cand, x = got
            y = np.array([o == e.answer for o in cand], np.int64)
            newcomer = bool(x[cand.index(e.answer), -1] == 0.0)  # no other project
            groups.append((x, y, f"{e.project_id}|{e.role}|{e.answer}", newcomer))
            done += 1
            if progress:
                progress(done)
    return RankingSet.from_groups(CONSORTIUM_JOB, CONSORTIUM_FEATURES, groups)


def _projects(data: RankingSet) -> list[str]:
    """The project of each group (a project's groups stay in one fold)."""
    return [q.split("|")[0] for q in data.query_ids]


def default_weights() -> dict[str, float]:
    """The member fit's documented default: the supplier engine's weights (``projects`` 0)."""
    from matching.scoring import DEFAULT_WEIGHTS

    w = DEFAULT_WEIGHTS.as_dict()
    return {f: float(w.get(f, 0.0)) for f in CONSORTIUM_FEATURES}


def _fit(learner: str, data: RankingSet, *, init: dict[str, float]) -> dict[str, float]:
    return fit_named_learner(learner, data, init, scale_on=("dense_org", "dense_item"))


LEARNERS = ("default_weights", "coordinate_ascent", "pairwise_logistic")
CONSORTIUM_PEERS = {f: f for f in ("dense_org", "dense_item", "lexical", "field_text",
                                   "proximity", "projects")}


def _chosen(data: RankingSet, *, init: dict[str, float], folds: int
            ) -> tuple[str, dict[str, Any], dict[str, Vec]]:
    """The learner with the best cross-validated figures inside ``data`` (by project), the
    figures and every learner's out-of-fold scores."""
    learners = {n: partial(_fit, n, init=init) for n in LEARNERS}
    cv, oof = cross_validated(data, learners, folds=folds, cases=_projects(data))
    return choose_learner(cv, default="default_weights"), cv, oof


def _learn(data: RankingSet, *, init: dict[str, float], folds: int) -> dict[str, float]:
    """What training does with ``data``: choose a learner inside it, fit that on all of it."""
    best, _, _ = _chosen(data, init=init, folds=folds)
    return _fit(best, data, init=init)


def train_consortium(store: GraphStore, embedder: Embedder, *, max_queries: int = 2000,
                     folds: int = 4, seed: int = 0, progress: Callable[[int], None] | None = None
                     ) -> tuple[LinearRanker, dict[str, Any]]:
    """Fit the member-fit model (see the module doc); returns ``(model, report)``.

    The model: the learner chosen by cross-validation over every example (folds by project),
    fitted on all of them, calibrated on its out-of-fold scores. The report is cross-fitted:
    every example is scored by a model trained, learner choice included, on the other folds'
    projects only, beside ``default_weights`` and each single part on the same examples (one
    25% split left 56 examples on the demo, three of them the whole gap between two rows)."""
    examples = hidden_member_examples(store, max_queries=max_queries, seed=seed)
    data = consortium_examples_set(store, embedder, examples, folds=folds, progress=progress)
    if data.n_groups < 8:
        raise InvalidRequest(f"only {data.n_groups} projects with a hidden member to learn "
                             "from / 可学习的项目太少", field="store")
    init = default_weights()
    best, cv, oof = _chosen(data, init=init, folds=folds)
    cal = fit_calibration(oof[best], data.y)
    model = LinearRanker(CONSORTIUM_JOB, _fit(best, data, init=init), cal, 1,
                         {"source": "graph", "learner": best, "examples": data.n_groups,
                          "train": data.n_groups})
    outer, _ = cross_validated(data, {"learned": partial(_learn, init=init, folds=folds)},
                               folds=folds, cases=_projects(data))
    # the defaults learn nothing: their out-of-fold figures are the choice's, already in cv
    methods: dict[str, Any] = {"learned": outer["learned"],
                               "default_weights": cv["default_weights"]}
    for feature, peer in CONSORTIUM_PEERS.items():
        methods[peer] = rank_metrics(data.column(feature), data)
    return model, {"examples": data.n_groups, "train": data.n_groups,
                   "held_out": data.n_groups, "learner": best, "cross_validated": cv,
                   "methods": methods}


class LearnedFit:
    """An :class:`~matching.jobs_common.OrgFit` that ranks with the consortium model: the
    engine's candidates for the text, their features, ``weight · feature`` parts (adding up to
    the score) and the model's calibrated probability; the engine's evidence is kept."""

    def __init__(self, engine: MatchingEngine, model: LinearRanker) -> None:
        self.engine = engine
        self.model = model

    def rank_organizations(
        self, text: str, *, kinds: Sequence[str] | None = None, top: int = 50,
        project_id: str | None = None, clearance: str | None = None, **kwargs: Any,
    ) -> list[Any]:
        level = clearance or self.engine.clearance
        hits = self.engine.rank_organizations(
            text, kinds=kinds, top=max(top, self.engine.candidates) * 4, project_id=project_id,
            clearance=level, **kwargs)
        if not hits:
            return []
        cols = feature_columns(self.engine, collaboration_index(self.engine.store, level), text,
                               [h.id for h in hits], project_id=project_id, clearance=level,
                               kinds=kinds)
        scores, parts = self.model.parts_vectors(cols)
        cal = self.model.calibration
        out = [replace(h, score=float(scores[i]),
                       parts={k: float(v[i]) for k, v in parts.items()},
                       probability=cal.probability(float(scores[i])))
               for i, h in enumerate(hits)]
        out.sort(key=lambda h: (-h.score, h.id))
        return out[:top]


def learned_fit(store: GraphStore, fit: Any) -> Any:
    """``fit`` ranking with the stored consortium model when there is one and ``fit`` is the
    matching engine itself (a single-signal :class:`~matching.jobs_common.ModeFit` baseline
    stays as it is); otherwise ``fit`` unchanged (the documented default weights)."""
    if not isinstance(fit, MatchingEngine):
        return fit
    model = load_model(store, CONSORTIUM_JOB)
    return LearnedFit(fit, model) if model is not None else fit
