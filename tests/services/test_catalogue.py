"""A catalogue that changes: entries by batch and date, the diff between batches, the
``catalogue`` interchange kind, and the CLI and HTTP answers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph.errors import IngestError, InvalidRequest
from graph.networkx_store import NetworkxStore
from ingest.generate.demo import write_demo
from ingest.load import load_paths
from matching.catalogue import (
    catalogue_diff,
    catalogue_entries,
    catalogued_orgs,
    in_catalogue_on,
    parse_day,
)
from tests.services.catalogue_data import write_catalogue_batch


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cat")
    write_demo(root / "demo", scale=0.1)
    return root / "demo", write_catalogue_batch(root / "cat")


@pytest.fixture
def store(tmp_path: Path, folders: tuple[Path, Path]) -> Iterator[NetworkxStore]:
    s = NetworkxStore(tmp_path / "s.db")
    load_paths(s, list(folders))
    try:
        yield s
    finally:
        s.close()


def test_entries_load_with_their_edges(store: NetworkxStore) -> None:
    entries = catalogue_entries(store, clearance="public")
    assert {e.id for e in entries} == {"ce:1-2023", "ce:1-2024", "ce:2-2023", "ce:3-2024",
                                       "ce:4-2024"}
    left = next(e for e in entries if e.id == "ce:2-2023")
    assert left.exited == dt.date(2024, 3, 1) and left.exit_reason and left.equipment == "eq:0002"
    assert [e.target for e in store.edges_of("ce:1-2024", direction="out")] == ["eq:0001"]


def test_in_the_catalogue_on_the_date_asked(store: NetworkxStore) -> None:
    day = dt.date(2023, 6, 1)
    assert set(in_catalogue_on(store, day, clearance="public")) == {"eq:0001", "eq:0002"}
    later = dt.date(2024, 6, 1)
    assert set(in_catalogue_on(store, later, clearance="public")) == {"eq:0001", "eq:0003",
                                                                      "eq:0004"}
    # the exit day itself is out
    assert "eq:0002" not in in_catalogue_on(store, dt.date(2024, 3, 1), clearance="public")
    assert catalogued_orgs(store, later, clearance="public") == {"org:0001", "org:0003",
                                                                "org:0004"}
    assert in_catalogue_on(store, dt.date(2000, 1, 1), clearance="public") == {}


def test_diff_between_batches(store: NetworkxStore) -> None:
    d = catalogue_diff(store, "national-2023", "national-2024", clearance="public")
    assert [e["equipment"] for e in d["entered"]] == ["eq:0003"]
    assert [e["equipment"] for e in d["left"]] == ["eq:0002"]
    assert d["left"][0]["exit_reason"].startswith("技术已普及") and d["kept"] == 1
    back = catalogue_diff(store, "national-2024", "national-2023", clearance="public")
    assert back["entered"] == d["left"] and back["left"] == d["entered"]
    with pytest.raises(InvalidRequest, match="national-2023") as caught:
        catalogue_diff(store, "national-1999", "national-2023", clearance="public")
    assert caught.value.field == "a"


def test_a_hidden_equipment_is_absent_from_entries_and_diffs(tmp_path: Path,
                                                              folders: tuple[Path, Path]) -> None:
    s = NetworkxStore(tmp_path / "h.db")
    load_paths(s, list(folders))
    node = s.get("eq:0003")
    s.upsert([type(node)(node.id, node.label, {**node.props, "clearance": "secret"})])
    try:
        assert "eq:0003" not in {e.equipment for e in catalogue_entries(s, clearance="public")}
        d = catalogue_diff(s, "national-2023", "national-2024", clearance="public")
        assert d["entered"] == []
        d = catalogue_diff(s, "national-2023", "national-2024", clearance="secret")
        assert [e["equipment"] for e in d["entered"]] == ["eq:0003"]
    finally:
        s.close()


def test_bad_catalogue_rows_name_file_line_and_column(tmp_path: Path,
                                                      folders: tuple[Path, Path]) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "catalogue.csv").write_text(
        "id,equipment_id,list,batch,entered,exited,exit_reason\n"
        "ce:x,eq:0001,national,n-1,2024-01-01,2023-01-01,why\n"
        "ce:y,eq:none,national,n-1,2024-01-01,,\n"
        "ce:z,eq:0001,national,n-1,2024-01-01,2024-02-01,\n", encoding="utf-8")
    s = NetworkxStore(tmp_path / "b.db")
    try:
        load_paths(s, [folders[0]])
        with pytest.raises(IngestError) as caught:
            load_paths(s, [bad])
        errors = {(e.line, e.column) for e in caught.value.errors}
        assert {e.line for e in caught.value.errors} == {2, 3, 4}
        assert (3, "equipment_id") in errors
        assert all(e.file.endswith("catalogue.csv") for e in caught.value.errors)
        assert catalogue_entries(s, clearance="public") == []
    finally:
        s.close()
    assert parse_day("2024-05-06") == dt.date(2024, 5, 6)
    with pytest.raises(InvalidRequest, match="ISO"):
        parse_day("06/05/2024")


def test_cli_catalogue_diff(tmp_path: Path, folders: tuple[Path, Path]) -> None:
    from api.cli import app, build

    build()
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", *map(str, folders), "--store", db, "--json"]
                         ).exit_code == 0
    r = runner.invoke(app, ["catalogue", "diff", "national-2023", "national-2024", "--store", db,
                            "--json"])
    assert r.exit_code == 0, r.stdout
    out = json.loads(r.stdout)
    assert {"entered", "left"} <= set(out)
    assert [e["equipment"] for e in out["entered"]] == ["eq:0003"]
    r = runner.invoke(app, ["catalogue", "diff", "x", "national-2024", "--store", db, "--json"])
    assert r.exit_code == 1 and "national-2023" in json.loads(r.stdout)["error"]
    r = runner.invoke(app, ["catalogue", "entries", "--equipment", "eq:0001", "--on",
                            "2023-06-01", "--store", db, "--json"])
    assert r.exit_code == 0, r.stdout
    assert [e["id"] for e in json.loads(r.stdout)["entries"] if e["active"]] == ["ce:1-2023"]
    r = runner.invoke(app, ["catalogue", "diff", "national-2023", "national-2024", "--store", db])
    assert r.exit_code == 0 and "eq:0003" in r.output
