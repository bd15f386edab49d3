"""The embedders: the e5 + USE fusion's arithmetic, its splice of query blocks, and the specs."""

from __future__ import annotations

import numpy as np
import pytest

from matching.embedders import (
    DEFAULT_FUSION,
    FusedEmbedder,
    HashEmbedder,
    USEEmbedder,
    make_embedder,
)


def test_a_fused_dot_product_is_the_weighted_sum_of_the_models_cosines() -> None:
    a, b = HashEmbedder(32), HashEmbedder(16)
    fused = FusedEmbedder([("a", a, 3.0), ("b", b, 1.0)])  # weights are normalised: 0.75 / 0.25
    texts = ["土压平衡盾构机", "盾构机主轴承密封", "大型风电叶片"]
    f = fused.embed_documents(texts)
    assert f.shape == (3, 48) and f.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-6)
    va, vb = a.embed_documents(texts), b.embed_documents(texts)
    np.testing.assert_allclose(f @ f.T, 0.75 * (va @ va.T) + 0.25 * (vb @ vb.T), atol=1e-6)
    assert fused.labels == ["a", "b"] and [w for _, w in fused.parts] == [0.75, 0.25]
    assert fused.name != FusedEmbedder([("a", a, 1.0), ("b", b, 1.0)]).name  # the cache key


def test_splice_takes_the_named_blocks_from_the_query_with_terms() -> None:
    fused = FusedEmbedder([("a", HashEmbedder(8), 0.5), ("b", HashEmbedder(4), 0.5)],
                          with_terms=("a",))
    with_terms = fused.embed_queries(["tunnel boring machine 盾构机"])
    as_written = fused.embed_queries(["tunnel boring machine"])
    out = fused.splice(with_terms, as_written)
    np.testing.assert_array_equal(out[:, :8], with_terms[:, :8])
    np.testing.assert_array_equal(out[:, 8:], as_written[:, 8:])
    assert not np.array_equal(out, with_terms) and not np.array_equal(out, as_written)


def test_a_fusion_needs_positive_weights() -> None:
    with pytest.raises(ValueError, match="weight above 0"):
        FusedEmbedder([("a", HashEmbedder(8), 0.0)])
    with pytest.raises(ValueError, match="at least one"):
        FusedEmbedder([])


def test_use_puts_a_chinese_need_next_to_its_english_wording() -> None:
    use = USEEmbedder()
    v = use.embed_queries(["隧道掘进用的盾构机", "a tunnel boring machine", "an MRI scanner"])
    assert v.shape == (3, 512)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.1
    assert use.embed_documents([]).shape == (0, 512)


def test_the_default_spec_is_the_fusion_and_e5_and_use_stay_reachable_alone() -> None:
    fused = make_embedder(None)
    assert isinstance(fused, FusedEmbedder)
    assert fused.labels == ["e5", "use"] and fused.with_terms == {"e5"}
    assert [w for _, w in fused.parts] == pytest.approx([1 - DEFAULT_FUSION, DEFAULT_FUSION])
    assert make_embedder("e5+use").name == fused.name
    assert make_embedder("e5").name == fused.parts[0][0].name
    assert isinstance(make_embedder("use"), USEEmbedder)
