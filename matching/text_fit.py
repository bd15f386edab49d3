"""How well texts fit one query, as named parts: the fusion that transfers and roadshow share.

A query is scored against a collection (demands, technologies, pitches, organisations' items)
by two signals, each standardised over the collection — ``(value − mean) / std``, so one weight
means the same on every query — and added with weights:

- ``dense``: the cosine of the embedding vectors (the query side embedded as a query, the
  collection as documents, or the other way round where the collection is what is needed);
- ``lexical``: the char n-gram TF-IDF cosine. Across scripts (an English query for Chinese
  texts, or the reverse) it carries no information, so its weight is zero there.

Jobs add their own parts (field match, maturity) in their own units and keep every part
named, so the parts add up to the score.

Examples
--------
>>> import numpy as np
>>> standardise(np.array([0.9, 0.5, 0.4])).round(2).tolist()
[1.39, -0.46, -0.93]
>>> cross_script("thermal imaging camera", "红外热像仪")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "TextWeights",
    "absolute_similarity",
    "cross_script",
    "script",
    "standardise",
]

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class TextWeights:
    """Weights of the standardised text signals (documented defaults; see benchmarks/README)."""

    dense: float = 1.0
    lexical: float = 0.25


def script(text: str) -> str:
    """``cjk`` when Chinese characters make up most letters, else ``latin`` (or ``none``).

    >>> script("盾构机 TBM"), script("shield machine"), script("123")
    ('cjk', 'latin', 'none')
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk == 0 and latin == 0:
        return "none"
    return "cjk" if cjk * 3 >= latin else "latin"


def cross_script(query: str, sample: str) -> bool:
    """True when ``query`` and the collection (``sample`` of its texts) are in other scripts."""
    a, b = script(query), script(sample)
    return "none" not in (a, b) and a != b


def standardise(values: NDArray[np.floating]) -> NDArray[np.float64]:
    """``(v − mean) / std`` over the array (std 1 when the values are all alike)."""
    v = np.asarray(values, np.float64)
    if v.size == 0:
        return v
    std = float(v.std())
    return (v - float(v.mean())) / (std if std > 1e-6 else 1.0)


def absolute_similarity(
    cosine: NDArray[np.floating], lexical: NDArray[np.floating] | None, *, floor: float,
    cross: bool,
) -> NDArray[np.float64]:
    """Similarity in [0, 1] that means the same on any collection, however small: the cosine's
    height above ``floor`` (the typical cosine of unrelated texts for this model and corpus,
    :attr:`~matching.read_model.ReadModel.dense_floor`) on the way to 1, averaged with the
    lexical cosine (the dense part alone across scripts).

    >>> absolute_similarity(np.array([0.9, 0.7]), np.array([0.5, 0.0]), floor=0.7, cross=False)
    array([0.58333333, 0.        ])
    """
    c = np.asarray(cosine, np.float64)
    dense = np.clip((c - floor) / max(1.0 - floor, 1e-6), 0.0, 1.0)
    if lexical is None or cross:
        return dense
    return 0.5 * dense + 0.5 * np.clip(np.asarray(lexical, np.float64), 0.0, 1.0)
