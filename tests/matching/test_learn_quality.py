"""Learned and cross-lingual supplier ranking with real model weights (the product's e5 + USE
fusion).

English demands for Chinese suppliers (``tests/data/suppliers_en``, where the ``field_text``
default was chosen, and the 16 English cases of ``tests/data/suppliers``, where it was not),
and a supplier model learnt from the corpus's own ``MAKES`` edges. Vectors are cached in the
session's store, so the corpus is embedded once for all of these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.evaluate import evaluate, read_labels

from .conftest import SUPPLIERS

pytestmark = pytest.mark.slow

ENGLISH = Path(__file__).resolve().parent.parent / "data" / "suppliers_en"


def _mrr(engine: object, path: Path, modes: tuple[str, ...] = ("hybrid", "dense")
         ) -> dict[str, dict[str, float]]:
    out = evaluate(engine, read_labels(path), modes=modes)  # type: ignore[arg-type]
    return {mode: {k: m.mrr for k, m in per.items()} for mode, per in out.items()}


def test_english_demands_rank_chinese_suppliers_above_the_bar_and_e5_alone(
        supplier_engine: object, record_property: pytest.RecordProperty) -> None:
    from matching.engine import MatchingEngine
    from matching.evaluate import single_model_peers

    engine: MatchingEngine = supplier_engine  # type: ignore[assignment]
    en = _mrr(engine, ENGLISH / "labels.jsonl")
    held = _mrr(engine, SUPPLIERS / "labels.jsonl")
    peers = single_model_peers(engine.store, engine, read_labels(ENGLISH / "labels.jsonl"))
    e5_alone = peers["dense_e5"]["all"].mrr
    record_property("suppliers_en", en | {"dense_e5": e5_alone})
    record_property("suppliers", held)
    # measured: hybrid 0.966, its fused dense part 0.985, multilingual-e5 alone 0.808
    assert en["hybrid"]["all"] >= 0.85
    assert en["hybrid"]["all"] > e5_alone + 0.1
    # the set the field_text weight was *not* chosen on (measured: English 0.938, below the
    # fused dense part's 0.969 — the field part costs these 16 a little; paraphrases 0.979
    # against dense 0.958)
    assert held["hybrid"]["crosslingual"] >= 0.85
    assert held["hybrid"]["paraphrase"] >= 0.85
    assert held["hybrid"]["paraphrase"] > held["dense"]["paraphrase"]


def test_model_learnt_from_the_graph_keeps_the_bars(
        supplier_engine: object, record_property: pytest.RecordProperty) -> None:
    from matching.engine import MatchingEngine
    from matching.learn.suppliers import train_suppliers

    engine: MatchingEngine = supplier_engine  # type: ignore[assignment]
    model, report = train_suppliers(engine.store, engine.embedder)
    record_property("report", report)
    methods = report["methods"]
    kept = methods[report["chosen"]]["mrr"]
    assert kept >= methods["default_weights"]["mrr"]  # never worse than the defaults held out
    assert {"dense", "lexical"} <= set(methods)
    assert model.calibration.a > 0
    before = engine.model
    try:
        engine.use_model(model)
        held = _mrr(engine, SUPPLIERS / "labels.jsonl", ("hybrid",))["hybrid"]
        en = _mrr(engine, ENGLISH / "labels.jsonl", ("hybrid",))["hybrid"]
    finally:
        engine.use_model(before)
    record_property("with_model", {"suppliers": held, "suppliers_en": en})
    assert held["paraphrase"] >= 0.85 and held["crosslingual"] >= 0.85
    assert en["all"] >= 0.85
