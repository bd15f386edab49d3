"""The supplier benchmark at toy scale: it runs, and exact search agrees with brute force."""

from __future__ import annotations

import pytest

from benchmarks.suppliers import run_bench, synthetic_corpus

pytestmark = pytest.mark.slow


def test_synthetic_corpus_shape() -> None:
    corpus, vectors = synthetic_corpus(50, 400, 8)
    assert len(corpus.orgs) == 50
    assert vectors.shape == (450, 8)
    assert sum(len(rows) - 1 for rows in corpus.org_items) == 400


def test_bench_runs_small() -> None:
    out = run_bench(n_orgs=300, n_patents=3000, n_queries=3, k=20, embed_rounds=2, embed_batch=4)
    assert out["exact_orgs_agree"] == "3/3"
    assert out["exact_patents_agree"] == "3/3"
    assert out["query_p95_ms"] >= out["query_p50_ms"] > 0
    assert out["embed_bare_texts_per_s"] > 0
