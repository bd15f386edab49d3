"""The learned transfer ranker: one linear model per direction over the transfer parts.

Examples come from labelled transfer cases (``tests/data/transfers/labels.jsonl``, see
:mod:`matching.transfers_eval`): each case is one query (a technology → civil demands, or a
civil organisation → military demands) whose candidates are every demand on the other side,
with the raw features the job scores with (:data:`~matching.transfers.TRANSFER_FEATURES`,
computed by the very functions :func:`~matching.transfers.find_transfers` uses). A case gives
two groups: every candidate (answer: any relevant demand), and its paraphrase group (the
relevant demands worded like the query taken out, answer: the paraphrased one) — where the
wording does not help, and where a weighting can win or lose.

The graph holds no solved transfer (no edge says "this technology answered that demand"), so
there is no self-supervised set for this job: it learns from the labelled cases only.

Fitting (per direction, on the cases of split ``a`` only): the default weights, coordinate
ascent from them, and pairwise logistic regression are compared by 4-fold cross-validation
*within* split ``a`` (folds by case); the best one — the defaults unless a learner beats them
there — is refitted on all of split ``a``, and calibrated (Platt) on its out-of-fold scores.
Split ``b`` is never looked at while fitting: the report gives its figures for the learned
model, the default weights and each single signal (dense only, lexical only), in one run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from graph.errors import InvalidRequest, NodeNotFound
from matching.learn import linear
from matching.learn.dataset import RankingSet
from matching.learn.linear import LinearRanker, rank_metrics
from matching.read_model import ReadModel, read_model
from matching.results import Calibration
from matching.transfers import (
    DEFAULT_TRANSFER_WEIGHTS,
    TRANSFER_FEATURES,
    TRANSFER_JOB,
    org_demand_features,
    tech_demand_features,
)
from matching.transfers_eval import Split, TransferCase, in_split

if TYPE_CHECKING:
    from matching.engine import MatchingEngine

__all__ = [
    "LEARNED_DIRECTIONS",
    "TRANSFER_PEERS",
    "TransferSets",
    "train_transfers",
    "transfer_examples",
]

Vec = NDArray[np.float64]
# the directions labelled cases teach (a case's kind names its direction, see
# matching.transfers.DIRECTIONS)
LEARNED_DIRECTIONS = ("tech_to_demand", "org_to_demand")
# single signals reported beside the learned model (feature → peer name)
TRANSFER_PEERS = {"dense": "dense", "lexical": "lexical"}
LEARNERS = ("default_weights", "coordinate_ascent", "pairwise_logistic")


class TransferSets:
    """Per direction: the examples of every candidate (``full``) and the paraphrase groups."""

    def __init__(self, full: dict[str, RankingSet], paraphrased: dict[str, RankingSet],
                 case_of: dict[str, list[str]]) -> None:
        self.full = full
        self.paraphrased = paraphrased
        self.case_of = case_of  # direction → the case id of each full group, in order

    def training(self, direction: str) -> tuple[RankingSet, list[str]]:
        """Both kinds of groups of a direction, and the case each group came from."""
        full, para = self.full[direction], self.paraphrased[direction]
        cases = list(self.case_of[direction]) + [q.split("|")[0] for q in para.query_ids]
        return full.concat(para) if para.n_groups else full, cases


def _features_of(m: ReadModel, case: TransferCase) -> tuple[list[str], dict[str, Vec]]:
    if case.kind == "tech_to_demand":
        demands, feats = tech_demand_features(m, case.query)
    else:
        demands, feats, _ = org_demand_features(m, case.query)
    return [d.id for d in demands], feats


def transfer_examples(
    engine: MatchingEngine, cases: Sequence[TransferCase], *, split: Split = "all",
    clearance: str = "secret",
) -> TransferSets:
    """The examples of the cases in ``split`` (cases whose query the store lacks are left out).
    Columns follow :data:`~matching.transfers.TRANSFER_FEATURES` of the direction; a feature a
    query lacks (lexical across scripts) is zero."""
    m = read_model(engine, clearance)
    full: dict[str, list[tuple[Vec, NDArray[np.int64], str, bool]]] = {}
    para: dict[str, list[tuple[Vec, NDArray[np.int64], str, bool]]] = {}
    case_of: dict[str, list[str]] = {}
    for c in cases:
        direction = c.kind
        if direction not in LEARNED_DIRECTIONS or not in_split(c.id, split):
            continue
        try:
            ids, feats = _features_of(m, c)
        except NodeNotFound:
            continue
        if not ids:
            continue
        names = TRANSFER_FEATURES[direction]
        x = np.column_stack([feats.get(f, np.zeros(len(ids))) for f in names]).astype(np.float64)
        y = np.array([i in c.relevant for i in ids], np.int64)
        if 0 < y.sum() < len(y):
            full.setdefault(direction, []).append((x, y, c.id, False))
            case_of.setdefault(direction, []).append(c.id)
        if c.paraphrased:
            keep = np.array([i in c.paraphrased or i not in c.relevant for i in ids])
            yp = np.array([i in c.paraphrased for i in ids], np.int64)[keep]
            if 0 < yp.sum() < len(yp):
                para.setdefault(direction, []).append((x[keep], yp, f"{c.id}|paraphrased",
                                                       False))
    dirs = sorted(set(full) | set(para))
    return TransferSets(
        {d: RankingSet.from_groups(TRANSFER_JOB, TRANSFER_FEATURES[d], full.get(d, []))
         for d in dirs},
        {d: RankingSet.from_groups(TRANSFER_JOB, TRANSFER_FEATURES[d], para.get(d, []))
         for d in dirs},
        {d: case_of.get(d, []) for d in dirs})


def _fit(learner: str, data: RankingSet, *, direction: str) -> dict[str, float]:
    init = {f: DEFAULT_TRANSFER_WEIGHTS[direction].get(f, 0.0) for f in data.features}
    return linear.fit_named_learner(learner, data, init, scale_on=("dense",))


def _scores(weights: Mapping[str, float], data: RankingSet) -> Vec:
    return LinearRanker(TRANSFER_JOB, dict(weights)).score_rows(data.x, data.features)


def train_transfers(
    engine: MatchingEngine,
    cases: Sequence[TransferCase],
    *,
    folds: int = 4,
    progress: Callable[[str], None] | None = None,
) -> tuple[LinearRanker, dict[str, Any]]:
    """Fit the transfer model on split ``a`` (see the module doc) and report split ``b``.
    Returns ``(model, report)``: ``report["directions"][d]`` holds the figures of split ``b``
    (``methods``: every candidate; ``paraphrased``: the paraphrase groups) for the learned
    model, the default weights and the single signals, and the cross-validated figures on
    split ``a`` that chose the learner."""
    fit_on = transfer_examples(engine, cases, split="a")
    report_on = transfer_examples(engine, cases, split="b")
    if not fit_on.full:
        raise InvalidRequest("no labelled transfer case of split a has its query in the store "
                             "/ 存储中没有可学习的军民融合标注", field="labels")
    weights: dict[str, float] = {}
    calibrations: dict[str, Any] = {}
    report: dict[str, Any] = {"directions": {}}
    for direction in sorted(fit_on.full):
        if progress:
            progress(direction)
        data, case_ids = fit_on.training(direction)
        learners = {name: partial(_fit, name, direction=direction) for name in LEARNERS}
        cv, oof = linear.cross_validated(data, learners, cases=case_ids, folds=folds)
        best = linear.choose_learner(cv, default="default_weights")  # the defaults unless beaten
        chosen = _fit(best, data, direction=direction)
        full = fit_on.full[direction]
        cal = linear.fit_calibration(oof[best][: len(full.y)], full.y)
        weights.update({f"{direction}.{k}": v for k, v in chosen.items()})
        calibrations[direction] = cal.to_json()
        per: dict[str, Any] = {"learner": best, "train_queries": data.n_groups,
                               "cross_validated": cv}
        for key, sets in (("methods", report_on.full), ("paraphrased", report_on.paraphrased)):
            held = sets.get(direction)
            if held is None or not held.n_groups:
                continue
            methods: dict[str, Any] = {
                "learned": rank_metrics(_scores(chosen, held), held),
                "default_weights": rank_metrics(
                    _scores(DEFAULT_TRANSFER_WEIGHTS[direction], held), held)}
            for feature, peer in TRANSFER_PEERS.items():
                methods[peer] = rank_metrics(held.column(feature), held)
            per[key] = methods
        report["directions"][direction] = per
    first = next(iter(calibrations.values()), None)
    model = LinearRanker(TRANSFER_JOB, weights,
                         Calibration.from_json(first) if first else Calibration(), 1,
                         {"source": "labels", "split": "a", "calibrations": calibrations,
                          "learners": {d: r["learner"] for d, r in report["directions"].items()},
                          "queries": {d: r["train_queries"]
                                      for d, r in report["directions"].items()}})
    report["examples"] = sum(s.n_groups for s in fit_on.full.values())
    report["held_out"] = sum(s.n_groups for s in report_on.full.values())
    return model, report
