"""Ranking examples for any job: a feature table, labels and query groups.

A :class:`RankingSet` is what every learned ranker trains on, whatever the job: one row per
(query, candidate), ``y`` 1 for the right answer and 0 for the others, ``group`` the query the
row belongs to. Rows of a group are contiguous. ``newcomer`` marks rows whose *answer* has no
recorded history (so figures can be reported apart), and ``query_ids`` name the queries.

Examples
--------
>>> s = RankingSet.from_groups("demo", ("a", "b"), [
...     (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 0]), "q1", False),
...     (np.array([[0.5, 0.5], [1.0, 1.0]]), np.array([0, 1]), "q2", True)])
>>> s.n_groups, s.x.shape, s.group.tolist()
(2, (4, 2), [0, 0, 1, 1])
>>> tr, te = s.split(0.5, seed=1)
>>> tr.n_groups + te.n_groups
2
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from graph.errors import InvalidRequest

__all__ = ["RankingSet"]

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class RankingSet:
    """One job's examples: ``x`` (rows × features), ``y``, ``group``; see the module doc."""

    job: str
    features: tuple[str, ...]
    x: Matrix
    y: NDArray[np.int64]
    group: NDArray[np.int64]
    query_ids: tuple[str, ...]
    newcomer: NDArray[np.bool_]  # per group: the answer had no history
    weight: NDArray[np.float64] | None = None  # rows standing for this many equal candidates

    def __post_init__(self) -> None:
        if self.x.ndim != 2 or self.x.shape[1] != len(self.features):
            raise InvalidRequest(f"{self.job}: x has {self.x.shape} for {len(self.features)} "
                                 "features", field="features")
        if not (len(self.y) == len(self.group) == self.x.shape[0]):
            raise InvalidRequest(f"{self.job}: x, y and group differ in length", field="labels")
        if self.weight is not None and len(self.weight) != len(self.y):
            raise InvalidRequest(f"{self.job}: weight and y differ in length", field="weight")

    @property
    def weights_or_ones(self) -> NDArray[np.float64]:
        return self.weight if self.weight is not None else np.ones(len(self.y))

    @property
    def n_groups(self) -> int:
        return len(self.query_ids)

    @classmethod
    def from_groups(
        cls,
        job: str,
        features: Sequence[str],
        groups: Iterable[tuple[Matrix, NDArray[np.int64], str, bool]],
        *,
        weights: Iterable[NDArray[np.float64]] | None = None,
    ) -> RankingSet:
        """From ``(x, y, query id, newcomer)`` per query (and optionally each query's row
        weights: a row standing for that many identical candidates); queries without a
        positive and a negative row are dropped (they teach a ranker nothing)."""
        xs: list[Matrix] = []
        ys: list[NDArray[np.int64]] = []
        gs: list[NDArray[np.int64]] = []
        ws: list[NDArray[np.float64]] = []
        qids: list[str] = []
        new: list[bool] = []
        wit = iter(weights) if weights is not None else None
        for x, y, qid, newcomer in groups:
            y = np.asarray(y, np.int64)
            w = next(wit) if wit is not None else np.ones(len(y))
            if y.size == 0 or y.max() < 1 or y.min() > 0:
                continue
            ws.append(np.asarray(w, np.float64))
            xs.append(np.asarray(x, np.float64))
            ys.append(y)
            gs.append(np.full(len(y), len(qids), np.int64))
            qids.append(qid)
            new.append(bool(newcomer))
        f = len(features)
        return cls(
            job, tuple(features),
            np.vstack(xs) if xs else np.zeros((0, f)),
            np.concatenate(ys) if ys else np.zeros(0, np.int64),
            np.concatenate(gs) if gs else np.zeros(0, np.int64),
            tuple(qids), np.asarray(new, bool),
            (np.concatenate(ws) if ws else np.zeros(0)) if weights is not None else None,
        )

    def take(self, groups: Sequence[int]) -> RankingSet:
        """The examples of these groups (renumbered in the order given)."""
        order = list(groups)
        bounds = self.bounds()
        rows = [np.arange(bounds[g], bounds[g + 1]) for g in order]
        idx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        new_group = np.concatenate([np.full(len(r), i, np.int64) for i, r in enumerate(rows)]
                                   ) if rows else np.zeros(0, np.int64)
        return RankingSet(self.job, self.features, self.x[idx], self.y[idx], new_group,
                          tuple(self.query_ids[g] for g in order), self.newcomer[order],
                          None if self.weight is None else self.weight[idx])

    def bounds(self) -> NDArray[np.int64]:
        """Row offsets of each group (groups are contiguous): rows of g are b[g]:b[g+1]."""
        counts = np.bincount(self.group, minlength=self.n_groups)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def split(self, test_fraction: float, *, seed: int = 0) -> tuple[RankingSet, RankingSet]:
        """``(train, test)`` by whole queries, at random (a query never sits on both sides)."""
        if not 0 < test_fraction < 1:
            raise InvalidRequest("test fraction must lie in (0, 1)", field="test_fraction")
        perm = np.random.default_rng(seed).permutation(self.n_groups)
        cut = round(self.n_groups * (1 - test_fraction))
        cut = min(max(cut, 1), max(self.n_groups - 1, 1))
        return self.take(sorted(perm[:cut].tolist())), self.take(sorted(perm[cut:].tolist()))

    def concat(self, other: RankingSet) -> RankingSet:
        """Both sets' examples (same features), ``other``'s groups after this one's."""
        if other.features != self.features:
            raise InvalidRequest("feature columns differ", field="features")
        return RankingSet(
            self.job, self.features, np.vstack([self.x, other.x]),
            np.concatenate([self.y, other.y]),
            np.concatenate([self.group, other.group + self.n_groups]),
            self.query_ids + other.query_ids, np.concatenate([self.newcomer, other.newcomer]),
            None if self.weight is None and other.weight is None else np.concatenate(
                [self.weights_or_ones, other.weights_or_ones]),
        )

    def column(self, name: str) -> Matrix:
        return self.x[:, self.features.index(name)]
