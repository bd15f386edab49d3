"""Matching quality with real model weights (the product's e5 + USE fusion, and each model
alone as its peer) on the labelled supplier sets.

The set (``tests/data/suppliers``): 82 organisations in 16 fields, five per field (two targets
and three same-field distractors) plus two non-manufacturers; 64 Chinese demands, half worded
like the supplier and half paraphrases that avoid its wording, and 16 English demands for
Chinese suppliers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from matching.engine import Mode
from matching.evaluate import MODES, LabelledCase, evaluate, read_labels

from .conftest import SUPPLIERS, corpus_engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(supplier_engine: object) -> dict[str, dict[str, object]]:
    cases = read_labels(SUPPLIERS / "labels.jsonl")
    return evaluate(supplier_engine, cases)  # type: ignore[arg-type,return-value]


def test_labelled_set_has_the_required_shape() -> None:
    cases = read_labels(SUPPLIERS / "labels.jsonl")
    zh = [c for c in cases if c.lang == "zh"]
    assert len(zh) >= 60
    assert sum(c.kind == "paraphrase" for c in zh) * 2 == len(zh)
    assert sum(c.lang == "en" for c in cases) >= 10


def test_hybrid_beats_both_single_signals(
    results: dict[str, dict[str, object]], record_property: pytest.RecordProperty
) -> None:
    mrr = {mode: per["all"].mrr for mode, per in results.items()}  # type: ignore[attr-defined]
    for mode, per in results.items():
        for name, m in per.items():
            record_property(f"{mode}.{name}", m.to_json())  # type: ignore[attr-defined]
            print(mode, name, m.to_json())  # type: ignore[attr-defined]
    assert mrr["hybrid"] > mrr["dense"]
    assert mrr["hybrid"] > mrr["lexical"]


def test_paraphrase_half_not_far_behind(results: dict[str, dict[str, object]]) -> None:
    hybrid = results["hybrid"]
    shared = hybrid["shared"].mrr  # type: ignore[attr-defined]
    para = hybrid["paraphrase"].mrr  # type: ignore[attr-defined]
    print(f"hybrid MRR shared {shared:.4f} paraphrase {para:.4f}")
    assert para >= shared - 0.1


def test_cross_lingual_slice(results: dict[str, dict[str, object]]) -> None:
    en = results["hybrid"]["crosslingual"]
    lexical_en = results["lexical"]["crosslingual"]
    assert en.mrr > 0.6  # type: ignore[attr-defined]
    assert en.mrr > lexical_en.mrr  # type: ignore[attr-defined]


def test_evidence_cites_the_matching_product(supplier_engine: object) -> None:
    from matching.engine import MatchingEngine

    engine: MatchingEngine = supplier_engine  # type: ignore[assignment]
    hits = engine.rank_organizations("越江隧道用的泥水平衡盾构机，要求常压换刀", top=3,
                                     kinds=["manufacturer"])
    assert hits[0].id == "org:tun_a"
    cited = {ev.id for ev in hits[0].evidence}
    assert cited & {"eq:tun_a:0", "pt:tun_a"}


HARD = SUPPLIERS.parent / "suppliers_hard"


@pytest.fixture(scope="module")
def hard_engine(
    product_embedder: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """The harder set (40 makers, ten per field): the product's engine over it."""
    yield from corpus_engine(product_embedder, HARD, tmp_path_factory.mktemp("hard"))


@pytest.fixture(scope="module")
def hard_e5_engine(e5: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The harder set with multilingual-e5 alone."""
    yield from corpus_engine(e5, HARD, tmp_path_factory.mktemp("hard_e5"))


def test_the_fusion_ranks_above_each_model_alone(
    hard_engine: object, record_property: pytest.RecordProperty
) -> None:
    from matching.engine import MatchingEngine
    from matching.evaluate import single_model_peers

    engine: MatchingEngine = hard_engine  # type: ignore[assignment]
    cases = read_labels(HARD / "labels.jsonl")
    ours = evaluate(engine, cases, modes=("hybrid",))["hybrid"]
    peers = single_model_peers(engine.store, engine, cases)
    assert set(peers) == {"dense_e5", "dense_use"}
    mrr = {"hybrid": {k: m.mrr for k, m in ours.items()}}
    mrr |= {name: {k: m.mrr for k, m in per.items()} for name, per in peers.items()}
    record_property("mrr", mrr)
    print(mrr)
    for part in ("paraphrase", "crosslingual"):  # measured 0.954 / 0.922; e5 0.925 / 0.776,
        for peer in peers:                       # USE 0.865 / 0.875
            assert mrr["hybrid"][part] > mrr[peer][part]
    assert mrr["hybrid"]["crosslingual"] > mrr["dense_e5"]["crosslingual"] + 0.1


LISTS = SUPPLIERS.parent / "suppliers_lists"


def _mrr_with_peers(
    embedder: object, folder: Path, tmp: Path, cases: list[LabelledCase],
    modes: tuple[Mode, ...] = MODES,
) -> dict[str, dict[str, float]]:
    """MRR per mode and slice of the engine over ``folder`` (``evaluate``), beside each model of
    its fused embedder alone (``single_model_peers``), in one run."""
    from matching.engine import MatchingEngine
    from matching.evaluate import single_model_peers

    for engine in corpus_engine(embedder, folder, tmp):
        assert isinstance(engine, MatchingEngine)
        ours = evaluate(engine, cases, modes=modes)
        ours |= single_model_peers(engine.store, engine, cases)
    return {mode: {k: m.mrr for k, m in per.items()} for mode, per in ours.items()}


def test_list_style_profiles_rank_above_each_single_signal(
    product_embedder: object, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    """Profiles as first-set lists publish them (a product name and a model number): the
    hybrid beats its dense and lexical parts and each model alone, in Chinese and English."""
    mrr = _mrr_with_peers(product_embedder, LISTS, tmp_path, read_labels(LISTS / "labels.jsonl"))
    record_property("mrr", mrr)
    print(mrr)
    # measured: hybrid 0.857 / 0.741 (zh / en); dense 0.785 / 0.672, lexical 0.709 / 0.164,
    # e5 alone 0.846 / 0.711, USE alone 0.611 / 0.532 (the engine before the fusion: 0.903 / 0.768)
    for part in ("paraphrase", "crosslingual"):
        for peer in ("dense", "lexical", "dense_e5", "dense_use"):
            assert mrr["hybrid"][part] > mrr[peer][part], (part, peer)


def test_english_demands_gain_from_their_chinese_terms(hard_e5_engine: object) -> None:
    from matching.engine import MatchingEngine

    engine: MatchingEngine = hard_e5_engine  # type: ignore[assignment]
    cases = [c for c in read_labels(HARD / "labels.jsonl") if c.lang == "en"]
    assert len(cases) == 40
    with_terms = evaluate(engine, cases, modes=("hybrid", "dense"))
    engine.translate = False
    try:
        plain = evaluate(engine, cases, modes=("hybrid", "dense"))
    finally:
        engine.translate = True
    mrr = {f"{m}{'' if r is with_terms else '_plain'}": r[m]["all"].mrr
           for r in (with_terms, plain) for m in r}
    print(mrr)
    # e5 alone: measured hybrid 0.886 against 0.790 without the terms, 0.776 for dense alone
    assert mrr["hybrid"] > mrr["hybrid_plain"] + 0.05
    assert mrr["hybrid"] > mrr["dense_plain"]


def test_a_fused_english_query_takes_the_terms_in_its_e5_half_only(hard_engine: object) -> None:
    from matching.embedders import FusedEmbedder
    from matching.engine import MatchingEngine

    engine: MatchingEngine = hard_engine  # type: ignore[assignment]
    fused = engine.embedder.inner
    assert isinstance(fused, FusedEmbedder)
    text = "a tunnel boring machine for a metro line"
    search = engine.search_text(text)
    assert search != text
    q = engine.dense_query(text, search)
    e5_dim = fused.parts[0][0].dim
    np.testing.assert_allclose(q[:e5_dim], engine.embed_query(search)[:e5_dim])
    np.testing.assert_allclose(q[e5_dim:], engine.embed_query(text)[e5_dim:])
    assert not np.allclose(q, engine.embed_query(search))
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-5


def test_chinese_demands_are_searched_as_written(hard_engine: object) -> None:
    from matching.engine import MatchingEngine

    engine: MatchingEngine = hard_engine  # type: ignore[assignment]
    zh = [c for c in read_labels(HARD / "labels.jsonl") if c.lang == "zh"]
    assert zh and all(engine.search_text(c.text) == c.text for c in zh)


BLIND = SUPPLIERS.parent / "suppliers_blind"


def test_blind_set_hybrid_above_each_model_alone(
    product_embedder: object, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    """The set written blind (32 real makers, half as lists publish them, half with a sentence
    of specifications, in shared fields): the hybrid ranks above the lexical part and each model
    of the fusion alone, in Chinese and English; its ``profile:`` slices hold the demands for the
    16 list-style makers and for the 16 others, and the first read far below the second (the
    gap the README reports)."""
    import json

    from matching.engine import MatchingEngine
    from matching.evaluate import profile_styles, single_model_peers

    cases = read_labels(BLIND / "labels.jsonl")
    rows = [json.loads(line) for line in
            (BLIND / "equipment.jsonl").read_text(encoding="utf-8").splitlines()]
    listed = {r["maker_ids"][0] for r in rows if r["description"].startswith("规格型号")}
    assert len(listed) == 16
    for engine in corpus_engine(product_embedder, BLIND, tmp_path):
        assert isinstance(engine, MatchingEngine)
        styles = profile_styles(engine, cases)
        ours = evaluate(engine, cases, modes=("hybrid", "lexical"))
        ours |= single_model_peers(engine.store, engine, cases)
    assert {c.id for c in cases if styles[c.id] == "profile:names_only"} == {
        c.id for c in cases if set(c.relevant) <= listed}
    mrr = {mode: {k: m.mrr for k, m in per.items()} for mode, per in ours.items()}
    record_property("mrr", mrr)
    print(mrr)
    # measured: hybrid 0.705 / 0.734 (zh / en); lexical 0.636 / 0.097, e5 alone 0.679 / 0.565,
    # USE alone 0.663 / 0.648; list-style makers 0.439, makers with a sentence 1.000
    for part in ("paraphrase", "crosslingual"):
        for peer in ("lexical", "dense_e5", "dense_use"):
            assert mrr["hybrid"][part] > mrr[peer][part], (part, peer)
    hybrid = ours["hybrid"]
    assert hybrid["profile:names_only"].queries == hybrid["profile:described"].queries == 32
    assert mrr["hybrid"]["profile:described"] > mrr["hybrid"]["profile:names_only"] + 0.3


BLIND_RICH = SUPPLIERS.parent / "suppliers_blind_rich"


def test_blind_rich_set_meets_the_bars(
    product_embedder: object, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    """The second set written blind (40 fictional makers with a profile, a product sentence and
    often a patent, 4 per field): Chinese paraphrases and English demands both at MRR 0.85 or
    more, the hybrid above the lexical part and each model alone in Chinese and above the
    lexical part and e5 alone in English."""
    mrr = _mrr_with_peers(product_embedder, BLIND_RICH, tmp_path,
                          read_labels(BLIND_RICH / "labels.jsonl"), ("hybrid", "lexical"))
    record_property("mrr", mrr)
    print(mrr)
    # measured: hybrid 0.988 / 0.947 (zh paraphrase / en); lexical 0.958 / 0.100,
    # e5 alone 0.929 / 0.793, USE alone 0.933 / 0.927
    assert mrr["hybrid"]["paraphrase"] >= 0.85 and mrr["hybrid"]["crosslingual"] >= 0.85
    for peer in ("lexical", "dense_e5", "dense_use"):
        assert mrr["hybrid"]["paraphrase"] > mrr[peer]["paraphrase"], peer
    for peer in ("lexical", "dense_e5"):
        assert mrr["hybrid"]["crosslingual"] > mrr[peer]["crosslingual"], peer
