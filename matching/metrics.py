"""Ranking metrics with honest ties: each value is its expectation under random tie-breaking.

A ranking is a sequence of ``(id, score)`` pairs; higher scores rank first. Items with equal
scores form a tie group whose internal order is a uniformly random permutation, so a relevant
item tied with ``t - 1`` others behind ``g`` better ones sits at each of the ranks
``g + 1 … g + t`` with probability ``1 / t``. Every metric below is the exact expectation over
those permutations (no sampling). Relevant items absent from the ranking count as never found.

Relevance is a set of ids (grade 1) or a mapping id → grade (for nDCG; any grade > 0 counts as
relevant for MRR and recall).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

__all__ = [
    "MetricSummary",
    "mean_metrics",
    "ndcg_at",
    "recall_at",
    "reciprocal_rank",
    "tie_groups",
]

Ranking = Sequence[tuple[str, float]]
Relevance = Mapping[str, float] | Iterable[str]


def _grades(relevant: Relevance) -> dict[str, float]:
    if isinstance(relevant, Mapping):
        return {str(k): float(v) for k, v in relevant.items() if float(v) > 0}
    return {str(k): 1.0 for k in relevant}


def tie_groups(ranking: Ranking) -> list[tuple[int, list[str]]]:
    """``(items ranked strictly above, ids in the group)`` for each group of equal scores.

    >>> tie_groups([("a", 0.9), ("b", 0.5), ("c", 0.5)])
    [(0, ['a']), (1, ['b', 'c'])]
    """
    ordered = sorted(ranking, key=lambda p: -p[1])
    out: list[tuple[int, list[str]]] = []
    above = 0
    for _, grp in groupby(ordered, key=lambda p: p[1]):
        ids = [i for i, _ in grp]
        out.append((above, ids))
        above += len(ids)
    return out


def reciprocal_rank(ranking: Ranking, relevant: Relevance) -> float:
    """Expected 1 / rank of the first relevant item.

    In the first tie group holding relevant items (``r`` of its ``t``, ``g`` items above), the
    first relevant one is at group position ``x`` with probability C(t-x, r-1) / C(t, r).

    >>> reciprocal_rank([("a", 1.0), ("b", 0.5)], {"b"})
    0.5
    >>> reciprocal_rank([("a", 1.0), ("b", 1.0)], {"b"})  # rank 1 or 2: (1 + 1/2) / 2
    0.75
    """
    rel = _grades(relevant)
    for above, ids in tie_groups(ranking):
        r = sum(1 for i in ids if i in rel)
        if r:
            t = len(ids)
            total = math.comb(t, r)
            return sum(
                math.comb(t - x, r - 1) / total / (above + x) for x in range(1, t - r + 2)
            )
    return 0.0


def _over_ties(ranking: Ranking, rel: Mapping[str, float],
               weight: Callable[[int, int], float], gain: Callable[[float], float]) -> float:
    """Σ over tie groups of ``weight(items above, group size)`` × the gains of its relevant
    items: the expectation every metric here takes under random tie-breaking."""
    return sum(weight(above, len(ids)) * sum(gain(rel[i]) for i in ids if i in rel)
               for above, ids in tie_groups(ranking))


def recall_at(ranking: Ranking, relevant: Relevance, k: int) -> float:
    """Expected share of the relevant items ranked in the top ``k``.

    >>> recall_at([("a", 1.0), ("b", 1.0), ("c", 1.0)], {"c"}, 1)  # 1 chance in 3
    0.3333333333333333
    """
    rel = _grades(relevant)
    if not rel:
        return 0.0
    found = _over_ties(ranking, rel, lambda above, t: min(1.0, max(0.0, (k - above) / t)),
                       lambda _g: 1.0)
    return found / len(rel)


def ndcg_at(ranking: Ranking, relevant: Relevance, k: int = 10) -> float:
    """Expected DCG@k over the ideal DCG@k, gains ``2**grade - 1``, discount ``log2(rank + 1)``.

    Each relevant item's rank is uniform over its tie group's ranks, so the expected DCG is the
    sum of each item's gain times its mean discount (linearity of expectation).

    >>> round(ndcg_at([("a", 1.0), ("b", 0.5)], {"b"}), 4)  # 1 / log2(3)
    0.6309
    """
    rel = _grades(relevant)
    if not rel:
        return 0.0

    def mean_discount(above: int, t: int) -> float:
        return sum(1.0 / math.log2(p + 1) for p in range(above + 1, above + t + 1)
                   if p <= k) / t

    dcg = _over_ties(ranking, rel, mean_discount, lambda g: 2.0**g - 1.0)
    ideal_gains = sorted((2.0**g - 1.0 for g in rel.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(p + 2) for p, g in enumerate(ideal_gains))
    return dcg / idcg if idcg else 0.0


@dataclass(frozen=True)
class MetricSummary:
    """Mean metrics over a set of queries."""

    queries: int
    mrr: float
    recall_1: float
    recall_5: float
    recall_10: float
    ndcg_10: float

    def to_json(self) -> dict[str, float | int]:
        return {
            "queries": self.queries,
            "mrr": round(self.mrr, 4),
            "recall@1": round(self.recall_1, 4),
            "recall@5": round(self.recall_5, 4),
            "recall@10": round(self.recall_10, 4),
            "ndcg@10": round(self.ndcg_10, 4),
        }


def mean_metrics(cases: Sequence[tuple[Ranking, Relevance]]) -> MetricSummary:
    """MRR, Recall@1/5/10 and nDCG@10 averaged over ``(ranking, relevant)`` cases."""
    n = len(cases)
    if n == 0:
        return MetricSummary(0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def mean(values: Iterable[float]) -> float:
        return sum(values) / n

    return MetricSummary(
        queries=n,
        mrr=mean(reciprocal_rank(r, rel) for r, rel in cases),
        recall_1=mean(recall_at(r, rel, 1) for r, rel in cases),
        recall_5=mean(recall_at(r, rel, 5) for r, rel in cases),
        recall_10=mean(recall_at(r, rel, 10) for r, rel in cases),
        ndcg_10=mean(ndcg_at(r, rel, 10) for r, rel in cases),
    )
