"""Indexes: exact vector search behind the ``VectorIndex`` protocol, and a char n-gram TF-IDF
index, both rebuilt cheaply from per-row pieces when their rows change.

``top_k_vectors`` is the pure function that does the work (arrays in, arrays out); the index
classes add ids and masks around it. It is checked against a brute-force argsort in
``tests/matching/test_index.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import HashingVectorizer

__all__ = [
    "ExactVectorIndex",
    "LexicalIndex",
    "VectorIndex",
    "top_k_vectors",
]

Matrix = NDArray[np.float32]
Mask = NDArray[np.bool_]
PARALLEL_ROWS = 32_768  # scan matrices at least this tall in slices, one per core
_POOL: ThreadPoolExecutor | None = None


def _pool_size() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=_pool_size(), thread_name_prefix="firstset-scan")
    return _POOL


def top_k_vectors(
    matrix: Matrix,
    queries: Matrix,
    k: int,
    *,
    mask: Mask | None = None,
    chunk_size: int = 262_144,
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The ``k`` rows of ``matrix`` with the highest dot product with each query row.

    Returns ``(indices, scores)``, both of shape ``(len(queries), min(k, allowed))``, best first;
    equal scores are ordered by row index. ``mask`` (one bool per row) keeps only the rows where it
    is True. Rows are scored ``chunk_size`` at a time, so memory stays
    O(len(queries) · (chunk_size + k)).

    Notes
    -----
    O(n · d) per query for ``n`` rows of width ``d``, plus O(n) for the partial selection.

    Examples
    --------
    >>> m = np.eye(3, dtype=np.float32)
    >>> idx, sc = top_k_vectors(m, np.array([[0.0, 1.0, 0.5]], np.float32), 2)
    >>> idx.tolist(), sc.tolist()
    ([[1, 2]], [[1.0, 0.5]])
    """
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    n = matrix.shape[0]
    allowed = n if mask is None else int(np.count_nonzero(mask))
    k = max(0, min(k, allowed))
    nq = q.shape[0]
    if k == 0 or n == 0:
        return np.zeros((nq, 0), np.int64), np.zeros((nq, 0), np.float32)
    best_i = np.zeros((nq, 0), np.int64)
    best_s = np.zeros((nq, 0), np.float32)
    for start in range(0, n, max(1, chunk_size)):
        stop = min(n, start + max(1, chunk_size))
        scores = q @ matrix[start:stop].T  # (nq, chunk)
        if mask is not None:
            scores = np.where(mask[start:stop][None, :], scores, -np.inf).astype(np.float32)
        take = min(k, stop - start)
        if take < stop - start:
            part = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        else:
            part = np.broadcast_to(np.arange(stop - start), (nq, stop - start))
        cand_s = np.take_along_axis(scores, part, axis=1)
        best_i = np.concatenate([best_i, part + start], axis=1)
        best_s = np.concatenate([best_s, cand_s], axis=1)
        if best_i.shape[1] > k:
            best_i, best_s = _select(best_i, best_s, k)
    best_i, best_s = _select(best_i, best_s, k)
    if mask is not None:  # -inf rows only appear when fewer than k were allowed in a chunk
        keep = np.isfinite(best_s)
        if not keep.all():
            width = int(keep.sum(axis=1).min())
            best_i, best_s = best_i[:, :width], best_s[:, :width]
    return best_i.astype(np.int64), best_s.astype(np.float32)


def _select(idx: NDArray[np.int64], scores: NDArray[np.float32], k: int) -> tuple[
    NDArray[np.int64], NDArray[np.float32]
]:
    """Top ``k`` of each row by (score desc, index asc)."""
    out_i = np.empty((idx.shape[0], min(k, idx.shape[1])), np.int64)
    out_s = np.empty(out_i.shape, np.float32)
    for r in range(idx.shape[0]):
        order = np.lexsort((idx[r], -scores[r]))[:k]
        out_i[r] = idx[r, order]
        out_s[r] = scores[r, order]
    return out_i, out_s


@runtime_checkable
class VectorIndex(Protocol):
    """Nearest neighbours by dot product over unit vectors, each row with an id."""

    ids: list[str]

    def search(
        self, query: Matrix, k: int, *, mask: Mask | None = None
    ) -> list[tuple[str, float]]: ...

    def vectors(self, rows: NDArray[np.int64] | Sequence[int]) -> Matrix: ...

    def __len__(self) -> int: ...


class ExactVectorIndex:
    """Exact search with numpy over a dense ``(n, d)`` float32 matrix held in memory.

    Examples
    --------
    >>> idx = ExactVectorIndex(["a", "b"], np.array([[1, 0], [0, 1]], np.float32))
    >>> [(i, round(s, 4)) for i, s in idx.search(np.array([0.2, 0.9], np.float32), 1)]
    [('b', 0.9)]
    """

    def __init__(self, ids: Sequence[str], matrix: Matrix) -> None:
        if len(ids) != matrix.shape[0]:
            raise ValueError(f"{len(ids)} ids for {matrix.shape[0]} rows")
        self.ids = list(ids)
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.row = {i: r for r, i in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: Matrix) -> NDArray[np.float32]:
        """Dot product of one query with every row.

        Large matrices are scanned in slices by a small pool of Python threads (numpy releases
        the GIL), which uses every core's memory bandwidth without BLAS's own thread pool, whose
        spinning threads slow the query embedder down."""
        q = np.asarray(query, np.float32).ravel()
        n = self.matrix.shape[0]
        workers = _pool_size()
        if n < PARALLEL_ROWS or workers == 1:
            return np.asarray(self.matrix @ q, np.float32)
        out = np.empty(n, np.float32)
        bounds = np.linspace(0, n, workers + 1).astype(int)

        def part(i: int) -> None:
            lo, hi = bounds[i], bounds[i + 1]
            np.matmul(self.matrix[lo:hi], q, out=out[lo:hi])

        list(_pool().map(part, range(workers)))
        return out

    def search(
        self, query: Matrix, k: int, *, mask: Mask | None = None
    ) -> list[tuple[str, float]]:
        idx, sc = top_k_vectors(self.matrix, np.asarray(query, np.float32).reshape(1, -1), k,
                                mask=mask)
        return [(self.ids[int(i)], float(s)) for i, s in zip(idx[0], sc[0], strict=True)]

    def vectors(self, rows: NDArray[np.int64] | Sequence[int]) -> Matrix:
        return self.matrix[np.asarray(rows, dtype=np.int64)]


def _is_noise(gram: str) -> bool:
    """A gram that carries no meaning alone: one Latin letter or digit, or no letter at all."""
    core = gram.strip()
    if not core:
        return True
    return len(core) == 1 and core.isascii()


def _analyzer() -> Callable[[str], list[str]]:
    """scikit-learn's ``char_wb`` 1–3-gram analyzer without single Latin letters and digits.

    A Chinese character means something on its own; a Latin letter does not, and in a Chinese
    corpus single letters only match stray acronyms (an English query would otherwise "match"
    every profile that mentions LNG or CT).
    """
    base = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 3)).build_analyzer()

    def analyse(text: str) -> list[str]:
        return [g for g in base(text) if not _is_noise(g)]

    return analyse


def _hasher(n_features: int) -> HashingVectorizer:
    return HashingVectorizer(
        analyzer=_analyzer(),
        n_features=n_features,
        alternate_sign=False,
        norm=None,
        lowercase=True,
        dtype=np.float32,
    )


class LexicalIndex:
    """Char n-gram TF-IDF (scikit-learn ``char_wb``, 1–3-grams, sublinear tf, smooth idf).

    Term counts come from a ``HashingVectorizer`` so each document's row depends on its text
    alone: :meth:`update` re-counts only the documents whose text changed and re-stacks the rest;
    the idf and document norms are recomputed from the stacked counts (two sparse passes).
    Scores are cosines in [0, 1].

    Examples
    --------
    >>> lex = LexicalIndex()
    >>> lex.update({"a": "盾构机刀盘", "b": "风力发电机叶片"})
    >>> [i for i, _ in lex.search("盾构刀盘", 1)]
    ['a']
    """

    def __init__(self, n_features: int = 2**20) -> None:
        self.n_features = n_features
        self._hasher = _hasher(n_features)
        self._rows: dict[str, tuple[str, sp.csr_matrix]] = {}
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self._postings = sp.csr_matrix((n_features, 0), dtype=np.float32)
        self._idf = np.ones(n_features, np.float32)
        self._norms = np.ones(0, np.float32)
        self.recounted = 0  # documents counted by the last update

    def __len__(self) -> int:
        return len(self.ids)

    def copy(self) -> LexicalIndex:
        """An index holding the same documents; updating it leaves this one as it is."""
        new = LexicalIndex(self.n_features)
        new._rows = dict(self._rows)
        new.ids, new.row = list(self.ids), dict(self.row)
        new._postings, new._idf, new._norms = self._postings, self._idf, self._norms
        return new

    def _count(self, texts: list[str]) -> sp.csr_matrix:
        counts = self._hasher.transform(texts).tocsr()
        counts.data = (1.0 + np.log(counts.data)).astype(np.float32)  # sublinear tf
        return counts

    def update(self, docs: dict[str, str]) -> None:
        """Make the index hold exactly these documents (id → text)."""
        changed = [i for i, t in docs.items() if self._rows.get(i, ("\0", None))[0] != t]
        self.recounted = len(changed)
        if changed:
            counted = self._count([docs[i] for i in changed])
            for r, doc_id in enumerate(changed):
                self._rows[doc_id] = (docs[doc_id], counted[r])
        for gone in set(self._rows) - set(docs):
            del self._rows[gone]
        if not changed and list(docs) == self.ids:
            return
        self.ids = list(docs)
        self.row = {i: r for r, i in enumerate(self.ids)}
        if not self.ids:
            self._postings = sp.csr_matrix((self.n_features, 0), dtype=np.float32)
            self._norms = np.ones(0, np.float32)
            return
        counts = sp.vstack([self._rows[i][1] for i in self.ids], format="csr")
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=self.n_features)
        self._idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        weighted = counts.multiply(self._idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self._norms = norms.astype(np.float32)
        self._postings = counts.T.tocsr()  # term → documents, for query-time slicing

    def query_vector(self, text: str) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
        """The query's (term columns, normalised tf-idf weights)."""
        q = self._count([text])
        cols = q.indices.astype(np.int32)
        w = q.data * self._idf[cols]
        norm = float(np.linalg.norm(w)) or 1.0
        return cols, (w / norm).astype(np.float32)

    def scores(self, text: str) -> NDArray[np.float32]:
        """Cosine of the text with every document, in ``ids`` order."""
        if not self.ids:
            return np.zeros(0, np.float32)
        cols, w = self.query_vector(text)
        if cols.size == 0:
            return np.zeros(len(self.ids), np.float32)
        part = self._postings[cols]  # (terms, docs)
        raw = np.asarray(part.T @ (w * self._idf[cols])).ravel()
        return (raw / self._norms).astype(np.float32)

    def search(
        self, text: str, k: int, *, mask: Mask | None = None
    ) -> list[tuple[str, float]]:
        s = self.scores(text)
        if mask is not None:
            s = np.where(mask, s, -np.inf).astype(np.float32)
        idx, sc = top_k_vectors(s.reshape(-1, 1), np.ones((1, 1), np.float32), k)
        return [
            (self.ids[int(i)], float(v))
            for i, v in zip(idx[0], sc[0], strict=True)
            if np.isfinite(v) and v > 0
        ]
