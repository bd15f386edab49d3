"""One result type for everything that ranks: id, name, score, parts that add up to it, evidence.

Every job (suppliers, partners, consortium members, transfers, roadshow) returns
:class:`Ranked` items; :meth:`Ranked.to_json` is the one JSON shape the CLI and the HTTP API
print. Next to the raw score every result carries what people read: ``probability`` (a
calibrated match probability where a ranker has been trained, else the documented default
mapping of :class:`Calibration`), ``score_100`` (that probability as 0–100) and ``level``
(``high`` / ``medium`` / ``low``: 高 / 中 / 低).

Examples
--------
>>> r = Ranked("org:1", "甲公司", 0.9, {"text": 0.6, "field": 0.3})
>>> parts_add_up(r)
True
>>> sorted(r.to_json())[:4]
['evidence', 'id', 'level', 'name']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LEVELS_ZH",
    "Calibration",
    "Evidence",
    "Ranked",
    "level_of",
    "parts_add_up",
    "top_ranked",
]

LEVEL_HIGH = 0.7  # probability from which a match is called high (高)
LEVEL_MEDIUM = 0.4
LEVELS_ZH = {"high": "高", "medium": "中", "low": "低"}


def level_of(probability: float) -> str:
    """``high`` / ``medium`` / ``low`` for a match probability.

    >>> level_of(0.8), level_of(0.5), level_of(0.1)
    ('high', 'medium', 'low')
    """
    if probability >= LEVEL_HIGH:
        return "high"
    if probability >= LEVEL_MEDIUM:
        return "medium"
    return "low"


@dataclass(frozen=True)
class Calibration:
    """A monotone map from a job's score to a match probability: ``σ(a · score + b)``.

    Trained rankers fit ``a`` and ``b`` on held-out examples (Platt scaling); until then each
    job documents its default. ``a`` must be positive so that the order of scores is kept.

    >>> c = Calibration(4.0, -2.0)
    >>> c.probability(0.0) < c.probability(0.5) < c.probability(1.0)
    True
    """

    a: float = 1.0
    b: float = 0.0

    def __post_init__(self) -> None:
        if not self.a > 0:
            raise ValueError("calibration slope must be positive (monotone in the score)")

    def probability(self, score: float) -> float:
        z = self.a * score + self.b
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def to_json(self) -> dict[str, float]:
        return {"a": self.a, "b": self.b}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Calibration:
        return cls(float(value["a"]), float(value["b"]))


@dataclass(frozen=True)
class Evidence:
    """One reason behind a result: an item with its own similarity, a path, a flag.

    ``text`` is what people read (Chinese first, names rather than ids); ``id`` names the
    node it is about, for links.
    """

    kind: str
    id: str
    text: str
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "text": self.text, "score": round(self.score, 4)}


def _evidence_json(items: Iterable[Evidence | Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [e.to_json() if isinstance(e, Evidence) else dict(e) for e in items]


@dataclass(frozen=True)
class Ranked:
    """One ranked thing. ``parts`` add up to ``score`` (see :func:`parts_add_up`)."""

    id: str
    name: str
    score: float
    parts: Mapping[str, float]
    evidence: Sequence[Evidence | Mapping[str, Any]] = field(default_factory=list)
    label: str | None = None
    probability: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def calibrated(self, calibration: Calibration) -> Ranked:
        """The same result with its match probability set by ``calibration``."""
        return Ranked(self.id, self.name, self.score, self.parts, self.evidence, self.label,
                      calibration.probability(self.score), self.extra)

    def to_json(self) -> dict[str, Any]:
        p = self.probability if self.probability is not None else Calibration().probability(
            self.score)
        out: dict[str, Any] = {"id": self.id}
        if self.label is not None:
            out["label"] = self.label
        out.update({
            "name": self.name,
            "score": round(self.score, 6),
            "parts": {k: round(v, 6) for k, v in self.parts.items()},
            "evidence": _evidence_json(self.evidence),
            "probability": round(p, 4),
            "score_100": round(100 * p),
            "level": level_of(p),
        })
        for k, v in self.extra.items():
            out.setdefault(k, v)
        return out


def parts_add_up(result: Ranked, *, tol: float = 1e-6) -> bool:
    """True when the named parts of ``result`` sum to its score."""
    return abs(sum(result.parts.values()) - result.score) <= tol * max(1.0, abs(result.score))


def top_ranked(results: Iterable[Ranked], top: int) -> list[Ranked]:
    """Best first (ties by id), at most ``top``."""
    return sorted(results, key=lambda r: (-r.score, r.id))[:top]
