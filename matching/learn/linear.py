"""A learned linear ranker: one weight per named feature, so the parts still add up exactly.

:func:`fit_linear_ranker` fits the weights by logistic regression on *pairwise differences*
within each query (the right answer minus a wrong one: RankNet with a linear scorer), which
only ever compares candidates of the same query — what a ranking needs. The intercept of a
linear scorer never changes a ranking, so there is none: ``score = Σ weight · feature`` and
``parts[name] = weight · feature``. Features are standardised for the fit only; the weights
are returned on the raw features.

:func:`fit_calibration` then maps scores to match probabilities (Platt scaling, a monotone
``σ(a · score + b)``) on examples the weights were *not* fitted on.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> groups = []
>>> for q in range(40):
...     x = rng.normal(size=(10, 2)); y = np.zeros(10, np.int64); y[np.argmax(x[:, 0])] = 1
...     groups.append((x, y, f"q{q}", False))
>>> s = RankingSet.from_groups("toy", ("good", "noise"), groups)
>>> m = fit_linear_ranker(s)
>>> m.weights["good"] > abs(m.weights["noise"])
True
>>> rank_metrics(m.score_rows(s.x), s)["mrr"] > 0.9
True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graph.errors import InvalidRequest
from matching.learn.dataset import RankingSet
from matching.results import Calibration

__all__ = [
    "MODEL_FORMAT",
    "LinearRanker",
    "choose_learner",
    "cross_validated",
    "fit_calibration",
    "fit_coordinate_ascent",
    "fit_linear_ranker",
    "fit_named_learner",
    "fit_softmax",
    "group_hits_vectors",
    "pairwise_differences",
    "rank_metrics",
    "rescaled_like",
]

MODEL_FORMAT = 1
Vec = NDArray[np.float64]


@dataclass(frozen=True)
class LinearRanker:
    """Weights per feature, a calibration and where they came from (``info``)."""

    job: str
    weights: Mapping[str, float]
    calibration: Calibration = field(default_factory=Calibration)
    version: int = 1
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def score_rows(self, x: Vec, features: Sequence[str] | None = None) -> Vec:
        """Scores of feature rows whose columns are ``features`` (default: the model's)."""
        cols = list(features or self.features)
        w = np.array([self.weights.get(c, 0.0) for c in cols], np.float64)
        return np.asarray(x, np.float64) @ w

    def parts_vectors(self, columns: Mapping[str, Vec]) -> tuple[Vec, dict[str, Vec]]:
        """``(scores, parts)`` for named feature columns; features the model does not know
        and zero weights are left out; the parts sum to the scores."""
        n = len(next(iter(columns.values()))) if columns else 0
        parts = {k: w * np.asarray(columns[k], np.float64)
                 for k, w in self.weights.items() if w != 0.0 and k in columns}
        total = np.zeros(n, np.float64)
        for v in parts.values():
            total += v
        return total, parts

    def to_json(self) -> dict[str, Any]:
        return {"format": MODEL_FORMAT, "job": self.job, "version": self.version,
                "weights": dict(self.weights), "calibration": self.calibration.to_json(),
                "info": dict(self.info)}

    def dumps(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> LinearRanker:
        if int(obj.get("format", 0)) != MODEL_FORMAT:
            raise InvalidRequest(f"model format {obj.get('format')!r} is not {MODEL_FORMAT}",
                                 field="model")
        return cls(str(obj["job"]), {str(k): float(v) for k, v in obj["weights"].items()},
                   Calibration.from_json(obj["calibration"]), int(obj.get("version", 1)),
                   dict(obj.get("info") or {}))

    def with_version(self, version: int) -> LinearRanker:
        return LinearRanker(self.job, self.weights, self.calibration, version, self.info)


def pairwise_differences(
    data: RankingSet, *, max_negatives: int = 64, seed: int = 0
) -> tuple[Vec, NDArray[np.int64]]:
    """``(x_pos − x_neg, 1)`` and its mirror ``(x_neg − x_pos, 0)`` for each positive and up to
    ``max_negatives`` negatives per query (drawn at random)."""
    rng = np.random.default_rng(seed)
    bounds = data.bounds()
    diffs: list[Vec] = []
    for g in range(data.n_groups):
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        y = data.y[lo:hi]
        pos = np.flatnonzero(y > 0) + lo
        neg = np.flatnonzero(y <= 0) + lo
        if pos.size == 0 or neg.size == 0:
            continue
        if neg.size > max_negatives:
            neg = rng.choice(neg, max_negatives, replace=False)
        for p in pos:
            diffs.append(data.x[p] - data.x[neg])
    if not diffs:
        raise InvalidRequest(f"{data.job}: no query has both a right and a wrong candidate",
                             field="labels")
    d = np.vstack(diffs)
    return np.vstack([d, -d]), np.concatenate([np.ones(len(d), np.int64),
                                               np.zeros(len(d), np.int64)])


def fit_linear_ranker(
    data: RankingSet,
    *,
    c: float = 1.0,
    fixed: Mapping[str, float] | None = None,
    max_negatives: int = 64,
    seed: int = 0,
    info: Mapping[str, Any] | None = None,
) -> LinearRanker:
    """Weights from pairwise logistic regression (see the module doc). ``fixed`` features keep
    the weight given (policy parts such as ``local``) and take no part in the fit.

    Notes
    -----
    O(pairs · features) per solver iteration; pairs ≤ queries · positives · ``max_negatives``.
    """
    from sklearn.linear_model import LogisticRegression

    fixed = dict(fixed or {})
    free = [i for i, f in enumerate(data.features) if f not in fixed]
    d, y = pairwise_differences(data, max_negatives=max_negatives, seed=seed)
    d = d[:, free]
    std = d.std(axis=0)
    use = std > 1e-9
    weights = {f: 0.0 for f in data.features}
    weights.update(fixed)
    if use.any():
        model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
        model.fit(d[:, use] / std[use], y)
        coef = model.coef_.ravel() / std[use]
        for j, w in zip(np.flatnonzero(use), coef, strict=True):
            weights[data.features[free[j]]] = round(float(w), 8)
    return LinearRanker(data.job, weights, Calibration(), 1,
                        {"queries": data.n_groups, "pairs": int(len(y) // 2), "c": c,
                         **dict(info or {})})


def group_hits_vectors(
    scores: Vec, y: NDArray[np.int64], group: NDArray[np.int64], n_groups: int, *, k: int = 10,
    weight: Vec | None = None,
) -> tuple[Vec, Vec]:
    """Per group: expected reciprocal rank and expected hit@``k`` of its best-scored right
    row, ties broken at random (arrays only; O(rows)). ``weight``: how many candidates each
    row stands for (a compressed pool); the right row should weigh 1.

    >>> s = np.array([1.0, 1.0, 1.0, 0.0]); y = np.array([1, 0, 0, 0]); g = np.zeros(4, int)
    >>> rr, hit = group_hits_vectors(s, y, g, 1, k=1)
    >>> round(float(rr[0]), 4), round(float(hit[0]), 4)
    (0.6111, 0.3333)
    """
    from scipy.special import digamma

    target = np.full(n_groups, -np.inf)
    np.maximum.at(target, group[y > 0], scores[y > 0])
    t = target[group]
    w = np.ones(len(scores)) if weight is None else np.asarray(weight, np.float64)
    above = np.bincount(group, weights=w * (scores > t), minlength=n_groups)
    tied = np.bincount(group, weights=w * (scores == t), minlength=n_groups)
    tied = np.maximum(tied, 1.0)
    # Σ_{x=1..tied} 1/(above + x) / tied = (H(above + tied) − H(above)) / tied
    rr = (digamma(above + tied + 1) - digamma(above + 1)) / tied
    hit = np.clip(k - above, 0.0, tied) / tied
    return rr, hit


def fit_coordinate_ascent(
    data: RankingSet,
    init: Mapping[str, float],
    *,
    fixed: Sequence[str] = (),
    rounds: int = 6,
    steps: Sequence[float] = (-1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0),
    k: int = 10,
    info: Mapping[str, Any] | None = None,
) -> LinearRanker:
    """Weights that maximise ``(MRR + Recall@k) / 2`` on ``data`` by coordinate ascent from
    ``init`` (RankLib's CoordinateAscent: try each weight at ``w + step · scale`` for every step,
    keep the best, repeat). It optimises the ranking metric itself, at the top of the list,
    where a pointwise or pairwise loss spends its effort on easy pairs. The result never
    scores worse on ``data`` than ``init``.

    Notes
    -----
    O(rounds · features · steps · rows).
    """
    names = list(data.features)
    w = np.array([float(init.get(f, 0.0)) for f in names])
    scale = np.maximum(np.abs(w), 0.0)
    std = data.x.std(axis=0)
    # a feature without a starting weight moves in steps of one default part, in its own units
    ref = float(np.median(np.abs(w[w != 0]) * std[w != 0])) if (w != 0).any() else 1.0
    scale = np.where(scale > 0, scale, np.divide(ref, std, out=np.zeros_like(std),
                                                 where=std > 1e-12))

    def objective(v: Vec) -> float:
        rr, hit = group_hits_vectors(data.x @ v, data.y, data.group, data.n_groups, k=k,
                                     weight=data.weight)
        return float(rr.mean() + hit.mean()) / 2 if rr.size else 0.0

    best = objective(w)
    start = best
    for _ in range(rounds):
        improved = False
        for j, name in enumerate(names):
            if name in fixed or scale[j] == 0:
                continue
            for step in steps:
                trial = w.copy()
                trial[j] = w[j] + step * scale[j]
                value = objective(trial)
                if value > best + 1e-9:
                    best, w, improved = value, trial, True
        if not improved:
            break
    weights = {f: round(float(v), 8) for f, v in zip(names, w, strict=True)}
    return LinearRanker(data.job, weights, Calibration(), 1,
                        {"queries": data.n_groups, "objective": round(best, 6),
                         "objective_at_start": round(start, 6), **dict(info or {})})


def fit_softmax(
    data: RankingSet,
    *,
    l2: float = 1e-3,
    nonnegative: bool = True,
    fixed: Mapping[str, float] | None = None,
    info: Mapping[str, Any] | None = None,
) -> LinearRanker:
    """Weights of a conditional logit over each query's candidates: maximise the mean log
    probability of the answer, ``w·x⁺ − log Σ c_j exp(w·x_j)``, where ``c_j`` is the row's
    weight (the number of identical candidates it stands for, so a compressed full pool counts
    as the whole directory), with an L2 penalty; L-BFGS. This is the likelihood of the answer
    being picked out of *everyone*, which is what MRR rewards; ``nonnegative`` keeps every part
    a reason for, never against (explanations people can read). ``fixed`` weights stay as given.

    >>> rs = RankingSet.from_groups("demo", ("a", "b"), [
    ...     (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 0]), "q1", False),
    ...     (np.array([[0.9, 0.2], [0.1, 0.8]]), np.array([1, 0]), "q2", False)])
    >>> m = fit_softmax(rs)
    >>> m.weights["a"] > m.weights["b"]
    True

    Notes
    -----
    O(iterations · rows · features).
    """
    from scipy.optimize import minimize

    names = list(data.features)
    held = dict(fixed or {})
    free = [j for j, f in enumerate(names) if f not in held]
    base = np.array([held.get(f, 0.0) for f in names])
    x = data.x
    logc = np.log(np.maximum(data.weights_or_ones, 1e-300))
    starts = np.searchsorted(data.group, np.arange(data.n_groups))
    pos = data.y == 1
    npos = np.bincount(data.group[pos], minlength=data.n_groups).astype(np.float64)
    n = max(int(pos.sum()), 1)

    def loss(v: Vec) -> tuple[float, Vec]:
        w = base.copy()
        w[free] = v
        z = x @ w + logc
        top = np.maximum.reduceat(z, starts)
        e = np.exp(z - top[data.group])
        total = np.add.reduceat(e, starts)
        lse = top + np.log(total)
        p = e / total[data.group]
        value = float((lse[data.group[pos]] - z[pos]).sum()) / n  # each answer of a query
        grad = ((p * npos[data.group]) @ x - x[pos].sum(axis=0)) / n
        return value + l2 * float(v @ v), grad[free] + 2 * l2 * v

    bounds = [(0.0, None)] * len(free) if nonnegative else None
    res = minimize(loss, np.zeros(len(free)), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 300})
    w = base.copy()
    w[free] = res.x
    weights = {f: round(float(v), 8) for f, v in zip(names, w, strict=True)}
    return LinearRanker(data.job, weights, Calibration(), 1,
                        {"queries": data.n_groups, "log_likelihood": round(-float(res.fun), 6),
                         **dict(info or {})})


def fit_calibration(scores: Vec, y: NDArray[np.int64]) -> Calibration:
    """Platt scaling: ``σ(a · score + b)`` fitted to held-out labels; ``a`` is kept positive
    (a ranker worse than chance on its held-out set gets a flat, still monotone, map)."""
    from sklearn.linear_model import LogisticRegression

    s = np.asarray(scores, np.float64).reshape(-1, 1)
    y = np.asarray(y, np.int64)
    if s.size == 0 or y.min() == y.max():
        return Calibration()
    model = LogisticRegression(C=100.0, max_iter=1000)
    model.fit(s, y)
    a = float(model.coef_.ravel()[0])
    b = float(model.intercept_[0])
    if a <= 1e-6:
        a, b = 1e-6, float(np.log(max(y.mean(), 1e-9) / max(1 - y.mean(), 1e-9)))
    return Calibration(round(a, 8), round(b, 8))


def rank_metrics(scores: Vec, data: RankingSet, *, k: int = 10) -> dict[str, Any]:
    """MRR and hit rate at ``k`` (expected under random tie-breaking) over the queries of
    ``data``, overall and for queries whose answer is a newcomer / has history."""
    rr, hit = group_hits_vectors(np.asarray(scores, np.float64), data.y, data.group,
                                 data.n_groups, k=k, weight=data.weight)
    out: dict[str, Any] = {"n": data.n_groups,
                           "mrr": round(float(rr.mean()), 4) if rr.size else 0.0,
                           f"recall@{k}": round(float(hit.mean()), 4) if rr.size else 0.0}
    for name, mask in (("newcomers", data.newcomer), ("with_history", ~data.newcomer)):
        if mask.any():
            out[name] = {"n": int(mask.sum()), "mrr": round(float(rr[mask].mean()), 4),
                         f"recall@{k}": round(float(hit[mask].mean()), 4)}
    return out


Learner = Callable[[RankingSet], Mapping[str, float]]


def fit_named_learner(learner: str, data: RankingSet, init: Mapping[str, float], *,
                      scale_on: Sequence[str]) -> dict[str, float]:
    """Weights by a named learner: ``default_weights`` (``init`` as given),
    ``coordinate_ascent`` (from ``init``) or ``pairwise`` (logistic regression on pairwise
    differences, rescaled so that the ``scale_on`` weights sum as they do in ``init``: the
    learned parts stay on the defaults' scale)."""
    if learner == "default_weights":
        return dict(init)
    if learner == "coordinate_ascent":
        return dict(fit_coordinate_ascent(data, init).weights)
    return rescaled_like(fit_linear_ranker(data).weights, init, scale_on, digits=8)


def rescaled_like(learnt: Mapping[str, float], init: Mapping[str, float], on: Sequence[str],
                  *, digits: int) -> dict[str, float]:
    """``learnt`` scaled so that its ``on`` weights sum as ``init``'s do (a ranking is the same
    at any positive scale; this keeps learned parts on the defaults' familiar scale)."""
    got = sum(float(learnt.get(f, 0.0)) for f in on)
    target = sum(float(init.get(f, 0.0)) for f in on)
    scale = target / got if got > 1e-9 else 1.0
    return {k: round(float(v) * scale, digits) for k, v in learnt.items()}


def cross_validated(
    data: RankingSet, learners: Mapping[str, Learner], *, cases: Sequence[str] | None = None,
    folds: int = 4, k: int = 10,
) -> tuple[dict[str, dict[str, Any]], dict[str, Vec]]:
    """Out-of-fold figures (:func:`rank_metrics`) and scores of each learner (a function from
    training examples to weights): each fold's groups are scored by weights fitted on the
    other folds. ``cases`` names the case of each group (groups of one case stay in one fold;
    default: each group its own case). Choosing a learner by these figures never looks at a
    held-out set. O(folds · learners · fit)."""
    names = list(cases) if cases is not None else list(data.query_ids)
    order = sorted(set(names))
    fold_of = {c: i % max(folds, 2) for i, c in enumerate(order)}
    group_fold = np.array([fold_of[c] for c in names], np.int64)
    bounds = data.bounds()
    oof = {name: np.zeros(len(data.y)) for name in learners}
    for f in range(max(folds, 2)):
        held = np.flatnonzero(group_fold == f)
        train = data.take(np.flatnonzero(group_fold != f).tolist())
        if not held.size or train.n_groups < 2:
            continue
        rows = np.concatenate([np.arange(bounds[g], bounds[g + 1]) for g in held])
        for name, learn in learners.items():
            weights = learn(train)
            w = np.array([float(weights.get(c, 0.0)) for c in data.features])
            oof[name][rows] = data.x[rows] @ w
    return {name: rank_metrics(s, data, k=k) for name, s in oof.items()}, oof


def choose_learner(figures: Mapping[str, Mapping[str, Any]], *, default: str,
                   k: int = 10) -> str:
    """The learner with the best ``MRR + Recall@k`` in ``figures``; ``default`` unless another
    beats it (ties keep the default)."""
    def value(m: Mapping[str, Any]) -> float:
        return float(m["mrr"]) + float(m[f"recall@{k}"])

    best = default
    for name, m in figures.items():
        if name != default and value(m) > value(figures[best]) + 1e-9:
            best = name
    return best
