"""Rankers that learn from the graph itself (hide an edge, recover it) and from feedback.

- :mod:`matching.learn.dataset` — :class:`RankingSet`: a job's feature table, labels, groups.
- :mod:`matching.learn.linear` — a linear ranker fitted on pairwise differences (its parts add
  up to the score), Platt calibration, MRR / Recall@k with honest ties.
- :mod:`matching.learn.store` — models kept in the store with a version.
- :mod:`matching.learn.suppliers` — self-supervised supplier examples (hide a MAKES edge, query
  with the equipment's text) and feedback rows as examples.
- :mod:`matching.learn.partners` — self-supervised partner examples (hide a PARTICIPATES_IN
  edge, query with the project and its other members) and the partner report.

Any job plugs in the same way: build a :class:`RankingSet` (job name, feature names, one row per
candidate, ``y`` 1 for the hidden answer, one group per query), split it by query, fit with
:func:`fit_linear_ranker`, calibrate on the held-out queries with :func:`fit_calibration`, keep
it with :func:`save_model`, and score with ``model.parts_vectors(feature columns)``.
"""

from __future__ import annotations

from matching.learn.dataset import RankingSet
from matching.learn.linear import (
    LinearRanker,
    fit_calibration,
    fit_linear_ranker,
    rank_metrics,
)
from matching.learn.store import load_model, save_model

__all__ = [
    "LinearRanker",
    "RankingSet",
    "fit_calibration",
    "fit_linear_ranker",
    "load_model",
    "rank_metrics",
    "save_model",
]
