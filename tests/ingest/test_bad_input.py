"""The bad-input corpus in tests/data/ingest: each file gives its precise error and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import IngestError
from graph.networkx_store import NetworkxStore
from ingest.load import load_paths
from ingest.readers import MAX_CELL

CORPUS = Path(__file__).resolve().parent.parent / "data" / "ingest"


@pytest.fixture
def store(tmp_path: Path) -> NetworkxStore:
    return NetworkxStore(tmp_path / "s.db")


def _refused(store: NetworkxStore, *paths: Path) -> IngestError:
    before = store.counts()
    with pytest.raises(IngestError) as caught:
        load_paths(store, list(paths))
    assert store.counts() == before, "a refused load must write nothing"
    return caught.value


def test_gbk_file_is_detected_and_read(store: NetworkxStore) -> None:
    report = load_paths(store, [CORPUS / "gbk"])
    assert report.written is not None and report.written.nodes_created > 0
    org = store.get("org:gbk1")
    assert org.get("name") == "重庆渝江重型机械有限公司"
    assert org.get("aliases") == ["渝江重机"]
    assert store.get("eq:gbk1").get("field") == "field:construction.tunnel"
    assert [n.id for n in store.neighbours("eq:gbk1", rel="MAKES")] == ["org:gbk1"]
    assert [n.id for n in store.neighbours("org:gbk1", rel="LOCATED_IN")] == ["region:cq-jiulongpo"]


def test_bom_file_header_is_clean(store: NetworkxStore) -> None:
    load_paths(store, [CORPUS / "bom"])
    assert store.get("org:bom1").get("kinds") == ["testing_body"]


def test_missing_required_column(store: NetworkxStore) -> None:
    err = _refused(store, CORPUS / "missing_column")
    assert [(e.line, e.column) for e in err.errors] == [(1, "kinds")]
    assert "required column 'kinds' is missing" in err.errors[0].reason


def test_bad_credit_code(store: NetworkxStore) -> None:
    err = _refused(store, CORPUS / "bad_uscc")
    assert [(e.line, e.column, e.col) for e in err.errors] == [(3, "uscc", 4)]
    assert "GB 32100-2015" in err.errors[0].reason


def test_dangling_reference(store: NetworkxStore) -> None:
    err = _refused(store, CORPUS / "dangling")
    (only,) = err.errors
    assert only.file.endswith("equipment.csv") and (only.line, only.column, only.col) == (
        2,
        "maker_ids",
        3,
    )
    assert "'org:nowhere' exists nowhere" in only.reason


def test_duplicate_id_with_conflicting_values(store: NetworkxStore) -> None:
    err = _refused(store, CORPUS / "duplicate")
    (only,) = err.errors
    assert (only.line, only.column) == (3, "id")
    assert "duplicate id 'org:x1'" in only.reason and "name" in only.reason and ":2" in only.reason


def test_empty_file(store: NetworkxStore) -> None:
    err = _refused(store, CORPUS / "empty")
    assert [e.reason for e in err.errors] == ["empty file: no header row"]


def test_binary_junk(store: NetworkxStore) -> None:
    err = _refused(store, CORPUS / "binary")
    (only,) = err.errors
    assert "binary content" in only.reason


def test_formula_cells_are_refused_but_minus_numbers_are_text(store: NetworkxStore) -> None:
    err = _refused(store, CORPUS / "formula")
    assert [(e.line, e.column) for e in err.errors] == [(2, "description"), (3, "description")]
    assert all("formula" in e.reason for e in err.errors)


def test_broken_jsonl_line(store: NetworkxStore) -> None:
    err = _refused(store, CORPUS / "jsonl")
    (only,) = err.errors
    assert only.line == 2 and "not valid JSON" in only.reason


def test_ten_megabyte_cell(store: NetworkxStore, tmp_path: Path) -> None:
    folder = tmp_path / "huge"
    folder.mkdir()
    big = "机" * (10 * 1024 * 1024 // 3)
    (folder / "organizations.csv").write_text(
        f"id,name,kinds,description\norg:h1,巨公司,manufacturer,{big}\norg:h2,小公司,manufacturer,ok\n",
        encoding="utf-8",
    )
    err = _refused(store, folder)
    (only,) = err.errors
    assert (only.line, only.column, only.col) == (2, "description", 4)
    assert f"{MAX_CELL:,}" in only.reason


def test_long_cell_of_short_lines(store: NetworkxStore, tmp_path: Path) -> None:
    """A quoted cell over the limit made of many short lines is refused too."""
    folder = tmp_path / "lines"
    folder.mkdir()
    big = "\n".join(["一行说明文字"] * (MAX_CELL // 6))
    (folder / "organizations.csv").write_text(
        f'id,name,kinds,description\norg:h1,巨公司,manufacturer,"{big}"\n'
        "org:h2,小公司,manufacturer,ok\n",
        encoding="utf-8",
    )
    (only,) = _refused(store, folder).errors
    assert (only.line, only.column) == (2, "description") and f"{MAX_CELL:,}" in only.reason


def test_blank_rows_are_skipped_whatever_their_cells(store: NetworkxStore, tmp_path: Path) -> None:
    """Blank rows — no cells, empty cells past the header, empty quoted cells — are not rows."""
    folder = tmp_path / "blank"
    folder.mkdir()
    (folder / "organizations.csv").write_text(
        'id,name,kinds\norg:b1,甲公司,manufacturer\n\n,,,,\n"",""\n  , \norg:b2,乙公司,user\n',
        encoding="utf-8",
    )
    report = load_paths(store, [folder])
    assert (report.rows, report.errors) == (2, [])
    assert [n.id for n in store.nodes("Organization")] == ["org:b1", "org:b2"]


def test_all_errors_reported_at_once(store: NetworkxStore) -> None:
    folders = sorted(p for p in CORPUS.iterdir() if p.is_dir())
    err = _refused(store, *folders)  # every folder together, the good ones too: no early stop
    files = {Path(e.file).parent.name for e in err.errors}
    assert {"bad_uscc", "dangling", "duplicate", "empty", "binary", "formula", "jsonl"} <= files


def test_skip_invalid_writes_valid_rows_and_a_rejects_file(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "organizations.csv").write_text(
        "id,name,kinds\norg:ok,好公司,manufacturer\norg:bad,坏公司,boss\n", encoding="utf-8"
    )
    (folder / "equipment.csv").write_text(
        "id,name,maker_ids\neq:ok,机床,org:ok\neq:orphan,机床2,org:bad\n", encoding="utf-8"
    )
    store = NetworkxStore(tmp_path / "s.db")
    report = load_paths(store, [folder], skip_invalid=True)
    assert store.has("org:ok") and store.has("eq:ok")
    assert not store.has("org:bad") and not store.has("eq:orphan")
    assert report.rejected == 2
    assert report.rejects_file is not None
    rejects = Path(report.rejects_file).read_text(encoding="utf-8")
    assert "boss" in rejects or "kinds" in rejects
    assert "org:bad" in rejects


def test_dry_run_writes_nothing(store: NetworkxStore) -> None:
    report = load_paths(store, [CORPUS / "gbk"], dry_run=True)
    assert report.nodes > 0 and report.written is None
    assert store.counts() == {}
