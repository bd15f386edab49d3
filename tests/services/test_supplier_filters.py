"""Supplier search filters of the information service: ``--catalogued`` means "in the catalogue
on the day asked" (default today), ``--evaluated`` keeps makers of independently evaluated
equipment; neither adds to a score (policy 十四)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from api.cli import app, build
from graph.errors import InvalidRequest
from graph.networkx_store import NetworkxStore
from ingest.generate.demo import write_demo
from ingest.load import load_paths
from matching.embedders import HashEmbedder
from matching.engine import MatchingEngine, SupplierQuery
from tests.services.catalogue_data import write_catalogue_batch

TEXT = "盾构机 隧道掘进 装备"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetworkxStore]:
    root = tmp_path_factory.mktemp("filters")
    write_demo(root / "demo", scale=0.1)
    write_catalogue_batch(root / "cat")
    s = NetworkxStore(root / "s.db")
    load_paths(s, [root / "demo", root / "cat"])
    try:
        yield s
    finally:
        s.close()


def ids(engine: MatchingEngine, **kw: object) -> set[str]:
    q = SupplierQuery(text=TEXT, top=500, **kw)  # type: ignore[arg-type]
    return {h.id for h in engine.suppliers(q)}


def test_catalogued_on_the_day_asked(store: NetworkxStore) -> None:
    engine = MatchingEngine(store, HashEmbedder())
    before = ids(engine, catalogued=True, on="2023-06-01")
    after = ids(engine, catalogued=True, on="2024-06-01")
    # org:0002's only catalogued product left the catalogue on 2024-03-01 (its entry says why)
    assert "org:0002" in before and "org:0002" not in after
    assert "org:0001" in before and "org:0001" in after  # listed in both batches
    assert after <= ids(engine)  # a filter, never a new candidate
    with pytest.raises(InvalidRequest):
        ids(engine, catalogued=True, on="2024-13-45")


def test_evaluated_keeps_makers_of_independently_evaluated_equipment(
    store: NetworkxStore,
) -> None:
    engine = MatchingEngine(store, HashEmbedder())
    assert ids(engine, evaluated=True) == {"org:0001"}  # ev:own is by the maker's own lab
    plain = {h.id: h for h in engine.suppliers(SupplierQuery(text=TEXT, top=500))}
    hit = plain["org:0001"]
    assert all("evaluat" not in name for name in hit.parts)  # shown, never ranked on


def test_cli_flags(store: NetworkxStore) -> None:
    build()
    runner = CliRunner()
    base = ["suppliers", TEXT, "--embedder", "hash", "--top", "500", "--store",
            str(store.location), "--json"]
    out = runner.invoke(app, [*base, "--catalogued", "--on", "2024-06-01"])
    assert out.exit_code == 0, out.stdout
    got = {h["id"] for h in json.loads(out.stdout)["results"]}
    assert "org:0002" not in got and "org:0001" in got
    out = runner.invoke(app, [*base, "--evaluated"])
    assert {h["id"] for h in json.loads(out.stdout)["results"]} == {"org:0001"}


def test_evaluations_show_as_evidence_with_no_score(store: NetworkxStore) -> None:
    engine = MatchingEngine(store, HashEmbedder())
    hits = {h.id: h for h in engine.suppliers(SupplierQuery(text=TEXT, top=500))}
    notes = [e for e in hits["org:0001"].evidence if e.kind == "evaluation"]
    assert {e.id for e in notes} == {"ev:free", "ev:own"}
    assert all(e.score == 0.0 and e.text.startswith("示范效果评价") for e in notes)
    assert any("不独立" in e.text for e in notes if e.id == "ev:own")
    # no other organisation carries them, and the score is the sum of the parts alone
    assert not any(e.kind == "evaluation" for h in hits.values() if h.id != "org:0001"
                   for e in h.evidence)
    h = hits["org:0001"]
    assert abs(sum(h.parts.values()) - h.score) < 1e-6
