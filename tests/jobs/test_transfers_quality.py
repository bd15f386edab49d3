"""Transfers with the real model on the labelled set (tests/data/transfers): the hybrid ranking
beats each of its single signals on the paraphrased demands, where wording does not help."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.networkx_store import NetworkxStore
from ingest.load import load_paths
from matching.embedders import default_embedder
from matching.engine import MatchingEngine
from matching.transfers_eval import evaluate_transfers, read_transfer_labels

DATA = Path(__file__).resolve().parents[1] / "data" / "transfers"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    store = NetworkxStore(tmp_path_factory.mktemp("transfers") / "t.db")
    try:
        load_paths(store, [DATA])
        engine = MatchingEngine(store, default_embedder())
        cases = read_transfer_labels(DATA / "labels.jsonl")
        yield {split: evaluate_transfers(engine, cases, split=split) for split in ("all", "b")}
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["tech_to_demand", "org_to_demand"])
def test_hybrid_beats_each_single_signal_on_paraphrases(report: dict[str, Any], kind: str) -> None:
    for split in ("all", "b"):  # b: the half the weights were not chosen on
        para = report[split][kind]["paraphrased"]
        print(split, kind, {m: para[m]["mrr"] for m in para})
        assert para["hybrid"]["mrr"] > para["dense"]["mrr"]
        assert para["hybrid"]["mrr"] > para["lexical"]["mrr"]


def test_every_relevant_demand_is_found_in_the_top_ten(report: dict[str, Any]) -> None:
    for kind, per in report["all"].items():
        assert per["hybrid"]["recall@10"] >= 0.9, kind
        assert per["hybrid"]["mrr"] >= per["dense"]["mrr"], kind
