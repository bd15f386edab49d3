"""English demand terms in Chinese (CC-CEDICT) and how the engine searches with them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from matching.embedders import HashEmbedder
from matching.engine import MatchingEngine
from matching.translate import chinese_terms, with_chinese_terms

from .conftest import small_graph


def test_longest_phrase_first_and_canonical_words() -> None:
    terms = chinese_terms("a tunnel boring machine and a power transformer")
    assert terms[0] == "盾构机"  # "tunnel boring machine" as one phrase, not three words
    assert "变压器" in terms
    assert chinese_terms("the machines") == chinese_terms("the machine")  # plural dropped


def test_function_words_and_unknown_words_add_nothing() -> None:
    assert chinese_terms("it is for the one that we need") == []
    assert with_chinese_terms("qwzx frobnicate") == "qwzx frobnicate"


def test_terms_do_not_depend_on_the_run() -> None:
    # the gloss index is built from sets: ties broken by rank, never by hash order
    code = ("from matching.translate import chinese_terms; "
            "print(chinese_terms('series capacitor banks for a long transmission line'))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")}
    assert len(runs) == 1 and "电容器" in runs.pop()


def test_engine_searches_english_with_chinese_terms_only(tmp_path: Path) -> None:
    from graph.networkx_store import NetworkxStore

    store = NetworkxStore(tmp_path / "s.db")
    small_graph(store)
    try:
        engine = MatchingEngine(store, HashEmbedder())
        english = "tunnel boring machine for a river crossing"
        assert engine.search_text(english).startswith(english + " ")
        assert "盾构机" in engine.search_text(english)
        chinese = "越江隧道用的泥水平衡盾构机 TBM"
        assert engine.search_text(chinese) == chinese  # mostly CJK: as it is
        engine.translate = False
        assert engine.search_text(english) == english
    finally:
        store.close()
