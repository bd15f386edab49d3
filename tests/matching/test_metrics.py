"""Ranking metrics against hand-computed cases, ties included."""

from __future__ import annotations

import math
from itertools import permutations

import pytest

from matching.metrics import mean_metrics, ndcg_at, recall_at, reciprocal_rank, tie_groups


def test_reciprocal_rank_plain() -> None:
    ranking = [("a", 0.9), ("b", 0.8), ("c", 0.7)]
    assert reciprocal_rank(ranking, {"c"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranking, {"b", "c"}) == pytest.approx(1 / 2)
    assert reciprocal_rank(ranking, {"z"}) == 0.0


def test_reciprocal_rank_ties_are_expected_values() -> None:
    # b tied with a and c at the top: rank 1, 2 or 3 with equal chance
    assert reciprocal_rank([("a", 1.0), ("b", 1.0), ("c", 1.0)], {"b"}) == pytest.approx(
        (1 + 1 / 2 + 1 / 3) / 3)
    # two relevant among four tied behind one better item: first relevant at group position
    # 1 (p=1/2), 2 (p=1/3), 3 (p=1/6)
    ranking = [("x", 2.0), ("a", 1.0), ("b", 1.0), ("c", 1.0), ("d", 1.0)]
    want = 0.5 / 2 + (1 / 3) / 3 + (1 / 6) / 4
    assert reciprocal_rank(ranking, {"a", "c"}) == pytest.approx(want)


def test_tie_expectations_match_enumeration() -> None:
    ids = ["a", "b", "c", "d"]
    scores = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.5}
    rel = {"b": 2.0, "c": 1.0}
    rr = rec = nd = 0.0
    perms = list(permutations(["a", "b", "c"]))
    for perm in perms:
        strict = [(i, float(10 - k)) for k, i in enumerate([*perm, "d"])]
        rr += reciprocal_rank(strict, rel)
        rec += recall_at(strict, rel, 2)
        nd += ndcg_at(strict, rel, 2)
    ranking = [(i, scores[i]) for i in ids]
    n = len(perms)
    assert reciprocal_rank(ranking, rel) == pytest.approx(rr / n)
    assert recall_at(ranking, rel, 2) == pytest.approx(rec / n)
    assert ndcg_at(ranking, rel, 2) == pytest.approx(nd / n)


def test_recall_and_ndcg_by_hand() -> None:
    ranking = [("a", 3.0), ("b", 2.0), ("c", 1.0)]
    assert recall_at(ranking, {"b", "c"}, 1) == 0.0
    assert recall_at(ranking, {"b", "c"}, 2) == 0.5
    assert ndcg_at(ranking, {"b"}, 10) == pytest.approx(1 / math.log2(3))
    # graded: ideal puts grade 2 first
    got = ndcg_at(ranking, {"a": 1.0, "b": 2.0}, 10)
    dcg = 1 / math.log2(2) + 3 / math.log2(3)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert got == pytest.approx(dcg / idcg)
    assert ndcg_at(ranking, {"c"}, 2) == 0.0


def test_tie_groups_and_means() -> None:
    assert tie_groups([("a", 1.0), ("b", 2.0), ("c", 1.0)]) == [(0, ["b"]), (1, ["a", "c"])]
    summary = mean_metrics([([("a", 1.0), ("b", 0.5)], {"a"}), ([("a", 1.0), ("b", 0.5)], {"b"})])
    assert summary.queries == 2
    assert summary.mrr == pytest.approx(0.75)
    assert summary.recall_1 == pytest.approx(0.5)
    assert mean_metrics([]).queries == 0
