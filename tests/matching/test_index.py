"""Exact vector search against a brute-force argsort; the lexical index's incremental update."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.embedders import normalise_vectors
from matching.index import ExactVectorIndex, LexicalIndex, top_k_vectors


def brute_force(matrix: np.ndarray, q: np.ndarray, k: int, mask: np.ndarray | None = None
                ) -> list[list[int]]:
    out = []
    for row in np.atleast_2d(q):
        scores = matrix @ row
        order = [int(i) for i in np.lexsort((np.arange(len(scores)), -scores))]
        if mask is not None:
            order = [i for i in order if mask[i]]
        out.append(order[:k])
    return out


@pytest.mark.parametrize(("n", "d", "k", "chunk"), [
    (1, 3, 1, 1), (7, 5, 3, 2), (97, 13, 10, 17), (1001, 31, 37, 128), (513, 8, 600, 100),
    (256, 16, 5, 256),
])
def test_top_k_matches_argsort(n: int, d: int, k: int, chunk: int) -> None:
    rng = np.random.default_rng(n * 31 + d)
    matrix = normalise_vectors(rng.standard_normal((n, d)))
    queries = normalise_vectors(rng.standard_normal((3, d)))
    idx, scores = top_k_vectors(matrix, queries, k, chunk_size=chunk)
    assert idx.tolist() == brute_force(matrix, queries, k)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ matrix.T, idx, axis=1),
                               rtol=1e-5, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 120), k=st.integers(1, 130), chunk=st.integers(1, 50),
       seed=st.integers(0, 10_000), ties=st.booleans())
def test_top_k_with_masks_and_ties(n: int, k: int, chunk: int, seed: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, 4)).astype(np.float32)
    if ties:  # few distinct values: ties broken by row index
        matrix = np.round(matrix).astype(np.float32)
    mask = rng.random(n) < 0.6
    q = rng.standard_normal((1, 4)).astype(np.float32)
    idx, _ = top_k_vectors(matrix, q, k, mask=mask, chunk_size=chunk)
    assert idx.tolist() == brute_force(matrix, q, k, mask)


def test_empty_and_zero_k() -> None:
    m = np.zeros((0, 4), np.float32)
    idx, sc = top_k_vectors(m, np.ones((2, 4), np.float32), 5)
    assert idx.shape == (2, 0)
    assert sc.shape == (2, 0)
    idx, _ = top_k_vectors(np.eye(4, dtype=np.float32), np.ones((1, 4), np.float32), 0)
    assert idx.shape == (1, 0)


def test_exact_index_search_ids() -> None:
    idx = ExactVectorIndex(["a", "b", "c"], np.eye(3, dtype=np.float32))
    hits = idx.search(np.array([0.1, 0.2, 0.9], np.float32), 2)
    assert [h for h, _ in hits] == ["c", "b"]
    assert [h for h, _ in idx.search(np.ones(3, np.float32), 3,
                                     mask=np.array([True, False, True]))] == ["a", "c"]
    with pytest.raises(ValueError, match="2 ids for 3 rows"):
        ExactVectorIndex(["a", "b"], np.eye(3, dtype=np.float32))


def test_lexical_incremental_equals_fresh() -> None:
    docs = {"a": "泥水平衡盾构机 常压换刀", "b": "硬岩隧道掘进机 TBM", "c": "海上风电机组"}
    lex = LexicalIndex(n_features=2**16)
    lex.update(docs)
    assert lex.recounted == 3
    changed = {**docs, "b": "硬岩掘进机 撑靴", "d": "磁浮列车"}
    del changed["c"]
    lex.update(changed)
    assert lex.recounted == 2  # only b and d were counted again
    fresh = LexicalIndex(n_features=2**16)
    fresh.update(changed)
    for text in ("盾构机", "掘进机撑靴", "磁浮"):
        np.testing.assert_allclose(lex.scores(text), fresh.scores(text), rtol=1e-6)
    assert lex.search("掘进机 撑靴", 1)[0][0] == "b"
    lex.update(changed)
    assert lex.recounted == 0


def test_lexical_ignores_single_latin_letters() -> None:
    lex = LexicalIndex(n_features=2**16)
    lex.update({"a": "LNG动力散货船", "b": "盾构机"})
    # an English sentence shares letters with "LNG" but no meaningful gram
    assert lex.scores("a cargo boat")[0] == pytest.approx(0.0, abs=1e-6)
    assert lex.scores("LNG ship")[0] > 0


def test_sliced_scan_equals_plain_product() -> None:
    from matching.index import PARALLEL_ROWS

    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((PARALLEL_ROWS + 777, 8)).astype(np.float32)
    q = rng.standard_normal(8).astype(np.float32)
    idx = ExactVectorIndex([str(i) for i in range(len(matrix))], matrix)
    np.testing.assert_allclose(idx.scores(q), matrix @ q, rtol=1e-5, atol=1e-5)
