"""What the consortium, partner, transfer and roadshow jobs share: the text-fit seam, a lexical
stand-in for it, and small helpers that read organisations and texts off the graph.

The jobs never call an embedder themselves: they take a :class:`OrgFit` — anything with
``rank_organizations(text, kinds=..., top=..., project_id=...)`` returning hits with ``id`` and
``score`` (the matching engine's ``MatchingEngine`` is one). :class:`LexicalFit` is a dependency-
free TF-IDF stand-in used when no engine is given and in plumbing tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer

from graph.model import Label, Node, Rel
from graph.store import GraphStore

__all__ = [
    "ROLE_KINDS",
    "FitHit",
    "LexicalFit",
    "OrgFit",
    "TextSimilarity",
    "embedding_similarity",
    "fit_scores",
    "kinds_of",
    "make_vectorizer",
    "org_profile",
    "project_text",
    "region_of",
    "scored_json",
    "tfidf_similarity",
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


def org_profile(store: GraphStore, node: Node) -> str:
    """Name, description, products, patents and technologies of an organisation, as one text."""
    parts = [node.title, str(node.props.get("description") or "")]
    for e in store.edges_of(node.id, rel=Rel.MAKES, direction="out"):
        parts.append(store.get(e.target).title)
    for e in store.edges_of(node.id, rel=Rel.OWNS, direction="out"):
        other = store.get(e.target)
        if other.label == Label.TECHNOLOGY and other.props.get("clearance") not in (
            None,
            "",
            "public",
        ):
            continue  # never leak a cleared technology's text into a public profile
        parts.append(other.title)
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class _LexHit:
    id: str
    name: str
    score: float
    parts: Mapping[str, float] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)


class LexicalFit:
    """TF-IDF stand-in for the matching engine: cosine of organisation profiles to the text.
    Profiles hold only public technologies, so it is safe at every clearance."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.nodes = list(store.nodes(Label.ORGANIZATION))
        self._kinds = [set(kinds_of(n)) for n in self.nodes]
        self._last: tuple[str, NDArray[np.float64]] | None = None
        self.vectorizer = make_vectorizer()
        texts = [org_profile(store, n) for n in self.nodes] or [""]
        try:
            self.matrix: sp.csr_matrix = self.vectorizer.fit_transform(texts)
        except ValueError:  # empty vocabulary
            self.matrix = sp.csr_matrix((len(texts), 1), dtype=np.float32)
            self.vectorizer = make_vectorizer()
            self.vectorizer.fit(["x"])

    def _sims(self, text: str) -> NDArray[np.float64]:
        cached = self._last
        if cached is not None and cached[0] == text:
            return cached[1]
        q = self.vectorizer.transform([text])
        sims = np.asarray((self.matrix @ q.T).toarray()).ravel().astype(np.float64)
        self._last = (text, sims)
        return sims

    def rank_organizations(
        self,
        text: str,
        *,
        kinds: Sequence[str] | None = None,
        top: int = 50,
        project_id: str | None = None,
        clearance: str | None = None,
    ) -> list[_LexHit]:
        if not self.nodes:
            return []
        sims = self._sims(text)
        want = set(kinds or ())
        order = np.argsort(-sims, kind="stable")
        out: list[_LexHit] = []
        for i in order:
            if want and not (self._kinds[i] & want):
                continue
            n = self.nodes[i]
            out.append(_LexHit(n.id, n.title, float(sims[i]), {"lexical": float(sims[i])}))
            if len(out) >= top:
                break
        return out


def fit_scores(
    fit: OrgFit,
    text: str,
    *,
    kinds: Iterable[str] | None,
    top: int,
    project_id: str | None,
    clearance: str = "public",
) -> dict[str, tuple[float, list[Any]]]:
    """Engine scores by organisation id, best first, with the engine's evidence."""
    hits = fit.rank_organizations(
        text,
        kinds=sorted(kinds) if kinds else None,
        top=top,
        project_id=project_id,
        clearance=clearance,
    )
    out: dict[str, tuple[float, list[Any]]] = {}
    for h in hits:
        out[str(h.id)] = (float(h.score), list(getattr(h, "evidence", []) or []))
    return out


class TextSimilarity(Protocol):
    """Similarity of one query text to each of several documents, in [0, 1]."""

    def __call__(self, query: str, docs: Sequence[str]) -> NDArray[np.float64]: ...


def tfidf_similarity(query: str, docs: Sequence[str]) -> NDArray[np.float64]:
    """TF-IDF cosine of ``query`` to each doc (fitted on the docs and the query).

    >>> [round(float(x), 2) for x in tfidf_similarity("盾构机", ["盾构机 刀盘", "风电叶片"])]
    [0.7, 0.0]
    """
    if not docs:
        return np.zeros(0)
    vec = make_vectorizer()
    try:
        m = vec.fit_transform([query, *docs])
    except ValueError:
        return np.zeros(len(docs))
    return np.asarray((m[1:] @ m[0].T).toarray()).ravel().astype(np.float64)


def embedding_similarity(embedder: Any) -> TextSimilarity:
    """A ``TextSimilarity`` from any ``Embedder`` (``embed_queries`` / ``embed_documents``)."""

    def similarity(query: str, docs: Sequence[str]) -> NDArray[np.float64]:
        if not docs:
            return np.zeros(0)
        q = np.asarray(embedder.embed_queries([query]), dtype=np.float64)
        d = np.asarray(embedder.embed_documents(list(docs)), dtype=np.float64)
        qn = q / max(float(np.linalg.norm(q)), 1e-12)
        dn = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
        return np.clip(np.asarray(dn @ qn.ravel(), dtype=np.float64), 0.0, 1.0)

    return similarity


def scored_json(
    score: float, parts: Mapping[str, float], evidence: list[dict[str, Any]]
) -> dict[str, Any]:
    """The score, parts and evidence of a ranked item as the CLI and API print them."""
    return {
        "score": round(score, 6),
        "parts": {k: round(v, 6) for k, v in parts.items()},
        "evidence": evidence,
    }
