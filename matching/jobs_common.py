"""What the consortium and partner jobs share: the text-fit seam and small helpers that read
organisations and texts off the graph.

The jobs never call an embedder themselves: they take a :class:`OrgFit` — anything with
``rank_organizations(text, kinds=..., top=..., project_id=...)`` returning hits with ``id`` and
``score`` (the matching engine's ``MatchingEngine`` is one; :class:`ModeFit` holds it to one
signal). Transfers and roadshow read the shared :mod:`~matching.read_model` instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from graph.model import Node

__all__ = [
    "ROLE_KINDS",
    "FitHit",
    "FitScore",
    "ModeFit",
    "OrgFit",
    "fit_scores",
    "kinds_of",
    "make_vectorizer",
    "project_text",
    "region_of",
    "tokens",
]

# Consortium roles and the organisation kinds that may fill them.
ROLE_KINDS: dict[str, frozenset[str]] = {
    "user": frozenset({"user"}),
    "design_institute": frozenset({"design_institute"}),
    "integrator": frozenset({"integrator"}),
    "research": frozenset({"research_institute", "university"}),
    "manufacturer": frozenset({"manufacturer"}),
    "testing_body": frozenset({"testing_body"}),
}


@runtime_checkable
class FitHit(Protocol):
    """One ranked organisation from the matching engine (``matching`` ``Hit`` satisfies it)."""

    @property
    def id(self) -> str: ...

    @property
    def score(self) -> float: ...


@runtime_checkable
class OrgFit(Protocol):
    """How well organisations fit a text: the matching engine's organisation ranking."""

    def rank_organizations(
        self,
        text: str,
        *,
        kinds: Sequence[str] | None = None,
        top: int = 50,
        project_id: str | None = None,
        clearance: str | None = None,
    ) -> Sequence[Any]: ...


_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]+")


def tokens(text: str) -> list[str]:
    """Latin words (lower-cased) and CJK character bigrams (and single characters).

    >>> tokens("盾构机 Shield-TBM")
    ['shield-tbm', '盾构', '构机', '盾', '构', '机']
    """
    out = [w.lower() for w in _WORD.findall(text)]
    for run in _CJK.findall(text):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
        out.extend(run)
    return out


def make_vectorizer(*, min_df: int = 1) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=tokens, sublinear_tf=True, min_df=min_df, dtype=np.float32)


def kinds_of(node: Node) -> list[str]:
    value = node.props.get("kinds") or node.props.get("kind") or []
    if isinstance(value, str):
        return [k.strip() for k in value.split(";") if k.strip()]
    return [str(k) for k in value]


def region_of(node: Node) -> str:
    return str(node.props.get("region") or "")


def project_text(node: Node) -> str:
    return " ".join(str(node.props.get(k) or "") for k in ("name", "title", "description"))


@dataclass(frozen=True)
class ModeFit:
    """The matching engine held to one mode (``lexical`` or ``dense``): the single-signal
    baselines behind ``--fit lexical`` on the command line."""

    engine: Any
    mode: str

    def rank_organizations(self, text: str, **kwargs: Any) -> Sequence[Any]:
        return list(self.engine.rank_organizations(text, mode=self.mode, **kwargs))


class FitScore(NamedTuple):
    """One organisation's fit from the engine: its score, evidence and calibrated probability."""

    score: float
    evidence: list[Any]
    probability: float | None


def fit_scores(
    fit: OrgFit,
    text: str,
    *,
    kinds: Iterable[str] | None,
    top: int,
    project_id: str | None,
    clearance: str = "public",
) -> dict[str, FitScore]:
    """Engine scores by organisation id, best first, with the engine's evidence."""
    hits = fit.rank_organizations(
        text,
        kinds=sorted(kinds) if kinds else None,
        top=top,
        project_id=project_id,
        clearance=clearance,
    )
    out: dict[str, FitScore] = {}
    for h in hits:
        p = getattr(h, "probability", None)
        out[str(h.id)] = FitScore(float(h.score), list(getattr(h, "evidence", []) or []),
                                  float(p) if p is not None else None)
    return out
