"""Score = a weighted sum of named features; the weighted terms are the parts returned with
every result and they add up to the score.

Features (the three similarity features are standardised per query — (cosine − mean) / std over
the organisations searched — so they count standard deviations above the typical organisation;
the others lie in [0, 1]):

============== =========================================================================
``dense_org``  cosine of the query with the organisation's profile vector
``dense_item`` cosine of the query with its best item (description, product, patent, tech)
``lexical``    char n-gram TF-IDF cosine of the query with the profile text
``field``      1 for the demand's field, 0.5 for a parent or child field, 0.25 for a sibling
``field_text`` how far the query's best-matching field name (the taxonomy's Chinese *and*
               English names, by the embedder) stands out among all fields, for the
               organisation's fields (standard deviations, ≥ 0): the field of an English
               demand counts against Chinese profiles, with no field given
``ipc``        share of the query's IPC evidence (IPC subclasses of the best-matching
               patents, or the demand's own ``ipc``) that the organisation's patents hold
``proximity``  1 / (hops to the project owner) over alliances, co-participation and
               collaboration; 0 without a project or a path
``catalogue``  1 when some of its equipment is in a first-set catalogue (目录)
``insured``    1 when some of its equipment holds first-set insurance (保险补偿)
``local``      1 for a Chongqing organisation — only when local preference is asked for
============== =========================================================================

Default weights (``DEFAULT_WEIGHTS``): the profile cosine carries the meaning (paraphrases,
English queries), the best item adds a little, the lexical cosine carries exact wording, and the
graph and status parts (0.1–0.5 standard deviations) only reorder close calls. They were chosen
by hand on ``tests/data/suppliers/labels.jsonl`` (no held-out set: treat its figures as
optimistic), except ``field_text`` (0.6), chosen on ``tests/data/suppliers_en`` (English demands;
0.0 / 0.2 / 0.4 / 0.6 / 0.8 gave MRR 0.806 / 0.836 / 0.850 / 0.878 / 0.865 there with e5 alone).
With e5 and USE fused it costs a little there (0.966 against 0.985 at 0.0), but it carries short
list-style profiles (a product name and a model number): 0.6 against 0.0 gave 0.799 against
0.764 on ``tests/data/suppliers_lists``, the set written to check the fusion. ``firstset train``
refits them from the graph (``--from-graph``) and from real feedback; a trained model in the
store replaces them (:mod:`matching.learn`).

Policy: no feature rewards past sales or demonstrations (发改产业〔2018〕558号 / 渝府办发〔2018〕
170号 十四); the engine shows a track record as evidence only. ``local`` is only ever added when
asked for, and is then a named part like any other (十五).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from graph.errors import InvalidRequest
from matching.weights import NamedWeights

__all__ = [
    "DEFAULT_WEIGHTS",
    "DENSE_FEATURES",
    "FEATURES",
    "LEXICAL_FEATURES",
    "FeedbackRow",
    "Weights",
    "fit_weights",
    "read_feedback",
    "score_parts_vectors",
]

DENSE_FEATURES = ("dense_org", "dense_item")
LEXICAL_FEATURES = ("lexical",)
# Parts the trainer may not change: ``local`` is a policy option, not a learnt preference.
FIXED_FEATURES = ("local",)


class Weights(NamedWeights):
    """One weight per feature (see the module docstring)."""

    DEFAULTS: ClassVar[Mapping[str, float]] = dict(
        dense_org=1.0, dense_item=0.2, lexical=0.15, field=0.3, field_text=0.6, ipc=0.1,
        proximity=0.3, catalogue=0.1, insured=0.1, local=0.5)


FEATURES = tuple(Weights.DEFAULTS)
DEFAULT_WEIGHTS = Weights()


def score_parts_vectors(
    features: Mapping[str, NDArray[np.float32]], weights: Weights, *, local: bool = False
) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    """``(scores, parts)`` for feature columns: ``parts[name] = weight * feature``; parts with a
    zero weight are left out, ``local`` only when asked for; ``scores`` is their sum."""
    w = weights.as_dict()
    parts: dict[str, NDArray[np.float64]] = {}
    n = len(next(iter(features.values()))) if features else 0
    for name in FEATURES:
        if name == "local" and not local:
            continue
        if w[name] == 0.0 or name not in features:
            continue
        parts[name] = w[name] * np.asarray(features[name], np.float64)
    total = np.zeros(n, np.float64)
    for v in parts.values():
        total += v
    return total, parts


@dataclass(frozen=True)
class FeedbackRow:
    """One judged pair: a query (text or demand id), an organisation, accepted or not."""

    text: str | None
    demand: str | None
    org: str
    accepted: bool


_YES = {"1", "true", "yes", "y", "accepted", "accept", "接受", "是"}
_NO = {"0", "false", "no", "n", "rejected", "reject", "拒绝", "否"}


def read_feedback(path: str | Path) -> list[FeedbackRow]:
    """Rows of a feedback CSV with columns ``text`` or ``demand``, ``org`` and ``label``
    (accepted/rejected, 1/0, yes/no). Every bad row is reported at once."""
    rows: list[FeedbackRow] = []
    problems: list[str] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for line, rec in enumerate(csv.DictReader(fh), start=2):
            text = (rec.get("text") or rec.get("query") or "").strip() or None
            demand = (rec.get("demand") or "").strip() or None
            org = (rec.get("org") or rec.get("organization") or "").strip()
            label = (rec.get("label") or rec.get("accepted") or "").strip().lower()
            if not (text or demand):
                problems.append(f"{path}:{line}: needs text or demand")
            if not org:
                problems.append(f"{path}:{line}: needs org")
            if label not in _YES | _NO:
                problems.append(f"{path}:{line}: label {label!r} is not accepted/rejected")
            if text or demand:
                rows.append(FeedbackRow(text, demand, org, label in _YES))
    if problems:
        raise InvalidRequest("\n".join(problems), field="feedback")
    return rows


def fit_weights(
    x: NDArray[np.float64],
    y: NDArray[np.int_],
    names: Sequence[str],
    *,
    base: Weights = DEFAULT_WEIGHTS,
    c: float = 1.0,
) -> Weights:
    """Weights from a logistic regression of accepted (1) / rejected (0) on feature columns.

    The intercept is dropped (it shifts every score of a query alike, so it never changes a
    ranking). Features outside ``names`` and the fixed ones keep their ``base`` weight; learnt
    weights are rescaled so that the dense weights keep the default's total, which keeps scores
    on a familiar scale without changing any ranking.
    """
    from sklearn.linear_model import LogisticRegression

    from matching.learn.linear import rescaled_like

    if len(set(y.tolist())) < 2:
        raise InvalidRequest("feedback needs both accepted and rejected pairs", field="feedback")
    model = LogisticRegression(C=c, max_iter=1000)
    model.fit(x, y)
    coef = model.coef_.ravel()
    learnt = {n: float(w) for n, w in zip(names, coef, strict=True) if n not in FIXED_FEATURES}
    return base.replace(**rescaled_like(learnt, base.as_dict(), DENSE_FEATURES, digits=6))
