"""Evaluate partner recovery: leave one participation out, rank every organisation, and score
Recall@k and MRR with ties counted honestly (expected values under random tie-breaking).

Peers measured in the same run on the same leave-one-out graphs:

``coparticipation``  raw count of projects shared with the known members
``tfidf``            cosine of the project text to each organisation's past-project texts
``ppr``              personalised PageRank from the known members (org–project–country graph)
``hand_weights``     the hand-picked weighted sum of earlier releases
                     (:meth:`~matching.partners.PartnerWeights.hand_picked`)

Task lines are either CORDIS ``tasks_dev.jsonl`` records (``project_id``, ``known_partners``,
``heldout``; ids become ``cordis:…`` / ``pic:…``) or generic
``{"project": ID, "members": [...], "answer": ID}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from graph.proximity import PageRankOperator
from matching.jsonl import records
from matching.learn.linear import LinearRanker
from matching.partners import EXTRA_FEATURES, PartnerQuery, PartnerRanker, PartnerWeights

__all__ = [
    "MethodScore",
    "PartnerTask",
    "evaluate_partners",
    "expected_hits",
    "load_partner_tasks",
    "score_task",
    "weighted_total",
]

Vec = NDArray[np.float64]


@dataclass(frozen=True)
class PartnerTask:
    """One hidden participation: query ``project_id`` with ``members``, recover ``answer``
    (of kind ``answer_kind`` when the task says). Tasks read from a file and examples the
    trainer hides in the graph alike."""

    project_id: str
    members: tuple[str, ...]
    answer: str
    answer_kind: str | None = None

    def usable_on(self, ranker: PartnerRanker) -> bool:
        """Whether ``ranker`` knows the task's project and answer (else it is skipped)."""
        return self.answer in ranker.org_pos and self.project_id in ranker.project_pos

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PartnerTask:
        """A CORDIS ``tasks_dev.jsonl`` record or ``{"project", "members", "answer"}``."""
        if "known_partners" not in obj:
            members = tuple(str(m) for m in obj.get("members") or ())
            return cls(str(obj["project"]), members, str(obj["answer"]))
        known = tuple(f"pic:{p['pic']}" for p in obj["known_partners"])
        held = obj["heldout"]
        return cls(f"cordis:{obj['project_id']}", known, f"pic:{held['pic']}",
                   held.get("org_type"))


def load_partner_tasks(path: str | Path) -> list[PartnerTask]:
    return [PartnerTask.from_json(rec) for rec in records(path)]


def expected_hits(
    scores: Vec, allowed: NDArray[np.bool_], target: int, ks: Sequence[int] = (10,)
) -> tuple[float, dict[int, float]]:
    """Expected reciprocal rank and expected Recall@k of ``target`` under random tie-breaking.

    >>> s = np.array([1.0, 1.0, 1.0, 0.0]); a = np.ones(4, dtype=bool)
    >>> rr, rec = expected_hits(s, a, 0, ks=(1, 3))
    >>> round(rr, 4), rec
    (0.6111, {1: 0.3333333333333333, 3: 1.0})
    """
    if not allowed[target]:
        return 0.0, {k: 0.0 for k in ks}
    mine = scores[target]
    pool = scores[allowed]
    above = int(np.count_nonzero(pool > mine))
    tied = int(np.count_nonzero(pool == mine))  # includes the target
    rr = float(np.sum(1.0 / np.arange(above + 1, above + tied + 1))) / tied
    recall = {k: float(min(max(k - above, 0), tied)) / tied for k in ks}
    return rr, recall


@dataclass
class MethodScore:
    name: str
    rr: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    newcomer: list[bool] = field(default_factory=list)

    def add(self, total: Vec, allowed: NDArray[np.bool_], target: int, newcomer: bool) -> None:
        """One task's expected reciprocal rank and Recall@10 of ``target`` under ``total``."""
        rr, rec = expected_hits(total, allowed, target)
        self.rr.append(rr)
        self.recall.append(rec[10])
        self.newcomer.append(newcomer)

    def summary(self) -> dict[str, Any]:
        rr, rec, new = np.array(self.rr), np.array(self.recall), np.array(self.newcomer, bool)
        out: dict[str, Any] = {
            "method": self.name,
            "n": int(rr.size),
            "recall@10": round(float(rec.mean()), 4) if rr.size else 0.0,
            "mrr": round(float(rr.mean()), 4) if rr.size else 0.0,
        }
        for label, mask in (("newcomers", new), ("with_history", ~new)):
            if mask.any():
                out[label] = {
                    "n": int(mask.sum()),
                    "recall@10": round(float(rec[mask].mean()), 4),
                    "mrr": round(float(rr[mask].mean()), 4),
                }
        return out


def weighted_total(weights: Mapping[str, float], raw: Mapping[str, Vec]) -> Vec:
    """``Σ weight · feature`` over the named feature vectors (a weight set's score)."""
    return LinearRanker("partners", dict(weights)).parts_vectors(raw)[0]


@dataclass(frozen=True)
class ScoredTask:
    """What scoring one task saw: its query, the members' positions, who may be ranked, the
    answer's position and whether it has no other participation."""

    query: PartnerQuery
    seeds: list[int]
    allowed: NDArray[np.bool_]
    target: int
    newcomer: bool


def score_task(r: PartnerRanker, task: PartnerTask, methods: Mapping[str, Mapping[str, float]],
               scores: Mapping[str, MethodScore], *, extra: bool) -> ScoredTask:
    """Rank every organisation for ``task`` on ``r`` (a graph without its hidden
    participation) by each named weight set, adding the answer's rank to ``scores``."""
    members = tuple(m for m in task.members if m in r.org_pos)
    query = PartnerQuery(task.project_id, members=members)
    raw, seeds = r.part_vectors(query, extra=extra)
    allowed = np.ones(len(r.org_ids), dtype=bool)
    allowed[seeds] = False
    target = r.org_pos[task.answer]
    newcomer = bool(r.degree[target] == 0)
    for name, weights in methods.items():
        scores[name].add(weighted_total(weights, raw), allowed, target, newcomer)
    return ScoredTask(query, seeds, allowed, target, newcomer)


def _tfidf_peer(ranker: PartnerRanker, text: str) -> Vec:
    q = ranker.project_vectorizer.transform([text])
    return np.asarray((ranker.past_profiles() @ q.T).toarray()).ravel().astype(np.float64)


def _ppr_peer(r: PartnerRanker, seeds: list[int]) -> Vec:
    """Personalised PageRank (alpha 0.85) from the known members over organisation–project
    and organisation–country links."""
    adjacency = r.country_graph(np.ones(len(r.org_ids)))
    restart = np.zeros(adjacency.shape[0])
    restart[seeds] = 1.0
    return PageRankOperator(adjacency).run(restart, alpha=0.85, iterations=30)[:len(r.org_ids)]


def evaluate_partners(
    base: PartnerRanker,
    tasks: Iterable[PartnerTask],
    *,
    weights: Sequence[PartnerWeights] | None = None,
    model: LinearRanker | None = None,
    peers: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Leave-one-out evaluation of ``base`` (one entry per weight setting), of a trained
    ``model`` when given (row ``learned``), and the peers.

    For each task the hidden participation (answer, project) is removed from the ranker before
    the query, so the answer's own edge never helps it.
    """
    settings = list(weights or [base.weights])
    names = ["firstset" if len(settings) == 1 else f"firstset[{i}]" for i in range(len(settings))]
    if peers:  # the hand-picked weighted sum the defaults replaced
        settings.append(PartnerWeights.hand_picked())
        names.append("hand_weights")
    methods = {n: w.parts() for n, w in zip(names, settings, strict=True)}
    if model is not None:
        methods["learned"] = dict(model.weights)
    extra = any(w.get(k) for w in methods.values() for k in EXTRA_FEATURES)
    scores = {n: MethodScore(n) for n in methods}
    if peers:
        for n in ("coparticipation", "tfidf", "ppr"):
            scores[n] = MethodScore(n)
    skipped = 0
    for done, task in enumerate(tasks, 1):
        if not task.usable_on(base):
            skipped += 1
            continue
        r = base.without([(task.answer, task.project_id)])
        seen = score_task(r, task, methods, scores, extra=extra)
        if peers:
            s = np.zeros(len(r.org_ids))
            s[seen.seeds] = 1.0
            for name, total in (
                    ("coparticipation", np.asarray(r.b @ (r.bt @ s)).ravel()),
                    ("tfidf", _tfidf_peer(r, r.query_text(seen.query))),
                    ("ppr", _ppr_peer(r, seen.seeds))):
                scores[name].add(total, seen.allowed, seen.target, seen.newcomer)
        if progress:
            progress(done)
    out = [m.summary() for m in scores.values()]
    for row in out:
        row["skipped"] = skipped
    return out
