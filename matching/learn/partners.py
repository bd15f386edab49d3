"""Partner examples from the graph itself, the learned partner ranker and its report.

Self-supervised examples: take a project with at least two members, hide one participation
(never the project's owner/coordinator: the tasks hold out a participant), and query with the
project and its other members; the hidden organisation is the answer. Up to four members of a
project are hidden, one per example. Queries are split into folds and each fold's features are
computed on the ranker with *all* of that fold's hidden participations removed
(:meth:`~matching.partners.PartnerRanker.without`), so a hidden edge is absent from every
feature of its example: counts, PageRank, latent factors, past projects, degree and the
newcomer flag. Candidates per query: on directories up to :data:`FULL_POOL_LIMIT`, every
organisation (identical rows kept once with their count as weight); above it the top
``top_negatives`` by the default weights and by each feature of :data:`HARD_BY` (hard negatives:
whoever any signal would put near the top), ``random_negatives`` drawn at random (most are
newcomers, as in a real directory) and the answer.

Learners: coordinate ascent from the default weights, and on the whole directory the
conditional logit (:func:`~matching.learn.linear.fit_softmax`: the likelihood of picking the
answer out of everyone, weights ≥ 0); the one best on held-out queries is kept, if it beats the
default weights there.

The report evaluates on tasks (CORDIS ``tasks_dev.jsonl``): every task's hidden participation
is removed first, and every method ranks *every* organisation on that same graph in the same
run: the learned model, the default weights, and the single signals.
:func:`cross_fitted_partner_report` does so in halves, each with a model trained without its
projects (``firstset train --tasks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.learn.dataset import RankingSet
from matching.learn.linear import (
    LinearRanker,
    choose_learner,
    fit_calibration,
    fit_coordinate_ascent,
    fit_softmax,
    rank_metrics,
)
from matching.partners import PARTNER_FEATURES, PartnerQuery, PartnerRanker, PartnerWeights
from matching.partners_eval import MethodScore, PartnerTask, score_task

__all__ = [
    "PARTNER_PEERS",
    "PartnerExample",
    "cross_fitted_partner_report",
    "evaluate_partner_methods",
    "hidden_partner_examples",
    "partner_examples_set",
    "train_partners",
]

Vec = NDArray[np.float64]
# single signals reported beside the learned ranker (feature name → peer name)
# Up to this many organisations training queries rank the whole directory (compressed, see
# ``partner_examples_set``); above it, sampled hard and random negatives. Measured on CORDIS
# (20k organisations): a model fitted on sampled candidates ranks the whole directory worse
# than the default weights (R@10 0.077 against 0.125 on tasks_dev); fitted on the whole pool
# it matches them (0.122 against 0.125) and is kept only if it beats them on validation.
FULL_POOL_LIMIT = 25_000
CA_GROUPS = 500
HARD_BY = ("ppr_wide", "past_projects", "als", "name_text", "degree", "newcomer_name",
           "similar_projects")
PARTNER_PEERS = {"coparticipation": "coparticipation", "past_projects": "tfidf",
                 "ppr_wide": "ppr", "als": "als", "name_text": "name_text"}


PartnerExample = PartnerTask  # a hidden participation the trainer drew from the graph


def hidden_partner_examples(
    ranker: PartnerRanker,
    *,
    exclude_projects: Iterable[str] = (),
    max_queries: int = 3000,
    per_project: int = 4,
    seed: int = 0,
) -> list[PartnerExample]:
    """Up to ``max_queries`` examples from projects outside ``exclude_projects`` taken in a
    random order: up to ``per_project`` of each project's non-owner members, drawn at random,
    each hidden in its own example (the others stay members). A project's examples come one
    after another, so :func:`partner_examples_set`'s round-robin folds put them in different
    folds when ``per_project ≤ folds``; with fewer folds siblings are hidden together, as an
    evaluation hides all its tasks at once (leakage-free either way)."""
    rng = np.random.default_rng(seed)
    skip = set(exclude_projects)
    out: list[PartnerExample] = []
    projects = [p for p in ranker.project_ids if p not in skip]
    for j in rng.permutation(len(projects)).tolist():
        pid = projects[j]
        col = ranker.bt.getrow(ranker.project_pos[pid])
        members = sorted(ranker.org_ids[i] for i in col.indices)
        owner = ranker.index.owner_of.get(pid)
        choices = [m for m in members if m != owner]
        if len(members) < 2 or not choices:
            continue
        picks = rng.permutation(len(choices))[:max(per_project, 1)].tolist()
        for k in picks:
            answer = choices[k]
            out.append(PartnerExample(pid, tuple(m for m in members if m != answer), answer))
            if len(out) >= max_queries:
                return out
    return out


def _rows(raw: dict[str, Vec], rows: NDArray[np.int64]) -> Vec:
    return np.column_stack([raw[f][rows] for f in PARTNER_FEATURES])


def partner_examples_set(
    ranker: PartnerRanker,
    examples: Sequence[PartnerExample],
    *,
    folds: int = 4,
    top_negatives: int = 60,
    random_negatives: int = 100,
    full_pool: bool = False,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> RankingSet:
    """The :class:`RankingSet` of these examples (leakage-free, see the module doc).

    ``full_pool``: every organisation is a candidate, as in a real query; rows with equal
    features (most newcomers look alike) are kept once with their count as weight, so the
    set stays small while metrics and fits see the whole directory."""
    rng = np.random.default_rng(seed)
    order = list(range(len(examples)))
    groups: list[tuple[Vec, NDArray[np.int64], str, bool]] = []
    weights: list[Vec] = []
    done = 0
    for f in range(max(folds, 1)):
        fold = [examples[i] for i in order[f::max(folds, 1)]]
        if not fold:
            continue
        r = ranker.without([(e.answer, e.project_id) for e in fold]).with_model(None)
        for e in fold:
            raw, seeds = r.part_vectors(PartnerQuery(e.project_id, members=e.members),
                                        extra=True)
            default = np.zeros(len(r.org_ids))
            for name, w in r.weights.parts().items():
                default += w * raw[name]
            allowed = np.ones(len(r.org_ids), bool)
            allowed[seeds] = False
            target = r.org_pos[e.answer]
            newcomer = bool(r.degree[target] == 0)
            if full_pool:
                allowed[target] = False
                pool = np.round(_rows(raw, np.flatnonzero(allowed)), 6)
                uniq, counts = np.unique(pool, axis=0, return_counts=True)
                x = np.vstack([uniq, _rows(raw, np.array([target]))])
                y = np.zeros(len(x), np.int64)
                y[-1] = 1
                groups.append((x, y, f"{e.project_id}|{e.answer}", newcomer))
                weights.append(np.concatenate([counts.astype(np.float64), [1.0]]))
                done += 1
                if progress:
                    progress(done)
                continue
            cand = np.flatnonzero(allowed)
            k = min(top_negatives, cand.size)
            picks = [rng.choice(cand, min(random_negatives, cand.size), replace=False),
                     np.array([target])]
            for col in (default, *(raw[h] for h in HARD_BY)):
                if k:
                    picks.append(cand[np.argpartition(-col[cand], k - 1)[:k]])
            rows = np.unique(np.concatenate(picks)).astype(np.int64)
            y = (rows == target).astype(np.int64)
            groups.append((_rows(raw, rows), y, f"{e.project_id}|{e.answer}", newcomer))
            weights.append(np.ones(len(rows)))
            done += 1
            if progress:
                progress(done)
    return RankingSet.from_groups("partners", PARTNER_FEATURES, groups,
                                  weights=weights if full_pool else None)


def train_partners(
    ranker: PartnerRanker,
    *,
    exclude_projects: Iterable[str] = (),
    max_queries: int = 3000,
    folds: int = 4,
    rounds_tried: Sequence[int] = (2,),
    per_project: int = 4,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[LinearRanker, dict[str, Any]]:
    """Fit the partner model from hidden participations on 75% of the queries — coordinate
    ascent from the default weights, and (when every query holds the whole directory) the
    conditional logit of :func:`~matching.learn.linear.fit_softmax` — and keep the one that
    does best on the other 25% by MRR + Recall@10 (the default weights unless a fit beats them
    there), calibrated on that 25%. Returns the model and the figures of every setting tried
    (the default and hand-picked weights and the single signals among them)."""
    examples = hidden_partner_examples(ranker, exclude_projects=exclude_projects,
                                       max_queries=max_queries, per_project=per_project,
                                       seed=seed)
    full = len(ranker.org_ids) <= FULL_POOL_LIMIT
    data = partner_examples_set(ranker, examples, folds=folds, seed=seed, progress=progress,
                                full_pool=full)
    train, valid = data.split(0.25, seed=seed)
    init = ranker.weights.parts()
    tried: dict[str, Any] = {
        name: rank_metrics(LinearRanker("partners", w).score_rows(valid.x, valid.features), valid)
        for name, w in (("default_weights", init),
                        ("hand_weights", PartnerWeights.hand_picked().parts()))}
    for feature, peer in PARTNER_PEERS.items():
        tried[peer] = rank_metrics(valid.column(feature), valid)
    # coordinate ascent costs a pass over every row per step: on a whole-directory set it
    # searches on its first CA_GROUPS queries (the likelihood fit below uses them all)
    search = train if train.weight is None else train.take(range(min(train.n_groups, CA_GROUPS)))
    models = {"default_weights": LinearRanker("partners", init, info={"source": "defaults"})}
    for rounds in rounds_tried:
        models[f"rounds={rounds}"] = fit_coordinate_ascent(search, init, rounds=rounds,
                                                           info={"source": "graph"})
    if data.weight is not None:  # the whole directory in every query: the likelihood is exact
        models["softmax"] = fit_softmax(train, info={"source": "graph, softmax"})
    for name, m in models.items():
        if name != "default_weights":
            tried[name] = rank_metrics(m.score_rows(valid.x), valid)
    # a learner must beat the defaults on the held-out queries to be kept
    chosen = models[choose_learner({n: tried[n] for n in models}, default="default_weights")]
    cal = fit_calibration(chosen.score_rows(valid.x, valid.features), valid.y)
    model = LinearRanker("partners", chosen.weights, cal, 1,
                         {**dict(chosen.info), "examples": data.n_groups})
    kept = rank_metrics(chosen.score_rows(valid.x, valid.features), valid)
    return model, {"examples": data.n_groups, "train": train.n_groups,
                   "validation": valid.n_groups, "tried": tried, "kept": kept,
                   "learner": chosen.info.get("source")}


def evaluate_partner_methods(
    ranker: PartnerRanker,
    tasks: Sequence[PartnerTask],
    model: LinearRanker | None,
    *,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Recall@10 and MRR over every organisation for the learned model, the default weights
    and the single signals of :data:`PARTNER_PEERS`, on one graph without the tasks' hidden
    participations; warm and newcomer figures apart."""
    usable = [t for t in tasks if t.usable_on(ranker)]
    r = ranker.without([(t.answer, t.project_id) for t in usable]).with_model(None)
    methods: dict[str, dict[str, float]] = {}
    if model is not None:
        methods["learned"] = dict(model.weights)
    methods["default_weights"] = r.weights.parts()
    methods["hand_weights"] = PartnerWeights.hand_picked().parts()
    for feature, peer in PARTNER_PEERS.items():
        methods[peer] = {feature: 1.0}
    scores = {name: MethodScore(name) for name in methods}
    for done, t in enumerate(usable, 1):
        score_task(r, t, methods, scores, extra=True)
        if progress:
            progress(done)
    return [{**m.summary(), "skipped": len(tasks) - len(usable)} for m in scores.values()]


def cross_fitted_partner_report(
    base: PartnerRanker,
    tasks: Sequence[PartnerTask],
    *,
    halves: int = 2,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    **train: Any,
) -> list[dict[str, Any]]:
    """The report of :func:`evaluate_partner_methods` on ``tasks``, cross-fitted: the tasks are
    cut by project into ``halves`` parts; each part is reported with a model trained from the
    graph *without* its projects (and without its hidden participations), so no model is ever
    reported on a project it learned from, while it still learns from the other parts' whole
    consortia (as the kept model learns from every project). Figures are pooled over the parts
    (means weighted by their task counts)."""
    usable = [t for t in tasks if t.usable_on(base)]
    projects = sorted({t.project_id for t in usable})
    order = np.random.default_rng(seed).permutation(len(projects))
    part_of = {projects[j]: k % max(halves, 1) for k, j in enumerate(order.tolist())}
    parts: list[list[dict[str, Any]]] = []
    for h in range(max(halves, 1)):
        mine = [t for t in usable if part_of[t.project_id] == h]
        if not mine:
            continue
        if progress:
            progress(f"part {h + 1}/{halves}: training without its {len(mine)} tasks")
        dev = base.without([(t.answer, t.project_id) for t in mine])
        model, _ = train_partners(dev, exclude_projects={t.project_id for t in mine},
                                  seed=seed, **train)
        parts.append(evaluate_partner_methods(base, mine, model))
    return _pooled(parts, skipped=len(tasks) - len(usable))


def _pooled(parts: Sequence[list[dict[str, Any]]], *, skipped: int) -> list[dict[str, Any]]:
    """Rows of the same method over several parts, as one row (weighted means)."""
    out: list[dict[str, Any]] = []
    for rows in zip(*parts, strict=True):
        row: dict[str, Any] = {"method": rows[0]["method"], "skipped": skipped}
        for label in (None, "newcomers", "with_history"):
            got = [r if label is None else r.get(label) for r in rows]
            got = [g for g in got if g and g.get("n")]
            if not got:
                continue
            n = sum(int(g["n"]) for g in got)
            pooled = {"n": n, **{k: round(sum(g[k] * g["n"] for g in got) / n, 4)
                                 for k in ("recall@10", "mrr")}}
            if label is None:
                row.update(pooled)
            else:
                row[label] = pooled
        out.append(row)
    return out
