"""Loading real and generated files: counts, idempotence, order independence, crash safety."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from graph.networkx_store import NetworkxStore
from ingest.load import load_paths
from ingest.resolve import OrgRecord, resolve_organizations
from tests.conftest import SHARED

CORDIS = SHARED / "data" / "cordis"

ORGS = [
    ("org:1", "重庆甲机械有限公司", "manufacturer", "渝北区"),
    ("org:2", "乙研究院", "research_institute", "北碚区"),
    ("org:3", "丙轨道交通集团", "user", "渝中区"),
    ("org:4", "丁检测中心", "testing_body", "DE"),
]
EQUIPMENT = [
    ("eq:1", "土压平衡盾构机", "org:1", "隧道掘进装备"),
    ("eq:2", "五轴联动加工中心", "org:1;org:2", "数控机床"),
]
RELATIONS = [
    ("org:2", "PARTICIPATES_IN", "prj:1", "research"),
    ("org:4", "PARTICIPATES_IN", "prj:1", "testing_body"),
]


def _write(
    folder: Path,
    orgs: list[tuple[str, ...]],
    eqs: list[tuple[str, ...]],
    rels: list[tuple[str, ...]],
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "organizations": (["id", "name", "kinds", "region"], orgs),
        "equipment": (["id", "name", "maker_ids", "field"], eqs),
        "projects": (
            ["id", "name", "owner_id", "region"],
            [("prj:1", "轨道交通18号线", "org:3", "渝中区")],
        ),
        "relations": (["source", "type", "target", "role"], rels),
    }
    for name, (header, rows) in tables.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            out.writerows(rows)


def _snapshot(
    store: NetworkxStore,
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str]]]:
    nodes = sorted(
        (n.id, n.label, json.dumps(dict(n.props), sort_keys=True, ensure_ascii=False))
        for n in store.nodes()
    )
    edges = sorted((*e.key, json.dumps(dict(e.props), sort_keys=True)) for e in store.edges())
    return nodes, edges


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_row_order_does_not_change_the_graph(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    base = tmp_path_factory.mktemp("order")
    _write(base / "a", ORGS, EQUIPMENT, RELATIONS)
    _write(
        base / "b",
        data.draw(st.permutations(ORGS)),
        data.draw(st.permutations(EQUIPMENT)),
        data.draw(st.permutations(RELATIONS)),
    )
    first, second = NetworkxStore(base / "a.db"), NetworkxStore(base / "b.db")
    load_paths(first, [base / "a"])
    load_paths(second, [base / "b"])
    assert _snapshot(first) == _snapshot(second)


def test_reingest_is_a_no_op(tmp_path: Path) -> None:
    _write(tmp_path / "in", ORGS, EQUIPMENT, RELATIONS)
    store = NetworkxStore(tmp_path / "s.db")
    load_paths(store, [tmp_path / "in"])
    before, version = _snapshot(store), store.version()
    again = load_paths(store, [tmp_path / "in"])
    assert again.written is not None and not again.written.changed
    assert _snapshot(store) == before and store.version() == version


def test_reopen_restores_exactly_what_was_committed(tmp_path: Path) -> None:
    _write(tmp_path / "in", ORGS, EQUIPMENT, RELATIONS)
    store = NetworkxStore(tmp_path / "s.db")
    load_paths(store, [tmp_path / "in"])
    before = _snapshot(store)
    store.close()
    assert _snapshot(NetworkxStore(tmp_path / "s.db")) == before


def test_credit_code_merges_and_reports(tmp_path: Path) -> None:
    folder = tmp_path / "merge"
    folder.mkdir()
    (folder / "organizations.csv").write_text(
        "id,name,kinds,uscc,aliases\n"
        "org:b,重庆机床（集团）有限责任公司,manufacturer,91500000MA5U7X3L0A,重庆机床\n"
        "org:a,重慶機床集團有限公司,user,91500000MA5U7X3L0A,\n"
        "org:c,重庆机床集团有限公司,manufacturer,,\n",
        encoding="utf-8",
    )
    (folder / "equipment.csv").write_text(
        "id,name,maker_ids\neq:1,滚齿机,org:b\n", encoding="utf-8"
    )
    store = NetworkxStore(tmp_path / "s.db")
    report = load_paths(store, [folder])
    assert report.merged == [["org:a", "org:b"]]
    assert not store.has("org:b")
    merged = store.get("org:a")
    assert merged.get("merged_ids") == ["org:b"] and merged.get("kinds") == ["manufacturer", "user"]
    assert "重庆机床（集团）有限责任公司" in merged.get("aliases")
    assert [n.id for n in store.neighbours("eq:1")] == ["org:a"]  # reference remapped
    assert {(a, b) for a, b, _ in report.likely_duplicates} >= {("org:a", "org:c")}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 9),
            st.sampled_from([None, "U1", "U2", "U3"]),
            st.lists(st.integers(0, 9), max_size=2),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_resolution_matches_connected_components(
    rows: list[tuple[int, str | None, list[int]]],
) -> None:
    records = {
        f"o{i}": OrgRecord(f"o{i}", f"名称{i}", code, tuple(f"o{a}" for a in aliases))
        for i, code, aliases in rows
    }
    result = resolve_organizations(records.values())
    g = nx.Graph()
    g.add_nodes_from(records)
    by_code: dict[str, list[str]] = {}
    for r in records.values():
        if r.uscc:
            by_code.setdefault(r.uscc, []).append(r.id)
        g.add_edges_from((r.id, a) for a in r.aliases if a in records)
    for ids in by_code.values():
        g.add_edges_from(pairwise(ids))
    for component in nx.connected_components(g):
        assert {result.canonical[i] for i in component} == {min(component)}


def test_xlsx_workbook_with_a_sheet_per_kind(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "organizations"
    sheet.append(["id", "name", "kinds", "region"])
    sheet.append(["org:x1", "重庆某重工有限公司", "manufacturer", "江津区"])
    eq = book.create_sheet("equipment")
    eq.append(["id", "name", "maker_ids", "field"])
    eq.append(["eq:x1", "大型桥式起重机", "org:x1", "起重及桩工机械"])
    eq.append(["eq:x2", "", "org:x1", None])
    book.save(tmp_path / "book.xlsx")
    store = NetworkxStore(tmp_path / "s.db")
    with pytest.raises(Exception, match=r"book.xlsx#equipment:3:2 \[name\]"):
        load_paths(store, [tmp_path / "book.xlsx"])
    eq.delete_rows(3)
    book.save(tmp_path / "book.xlsx")
    load_paths(store, [tmp_path / "book.xlsx"])
    assert store.get("eq:x1").get("field") == "field:construction.lifting"


def test_rows_wait_for_ids_read_later_and_the_store_is_asked(tmp_path: Path) -> None:
    """A demand sheet before its project sheet waits for it; a second load refers to stored
    organisations; a reference that never resolves takes the rows built on it along."""
    book = Workbook()
    demands = book.active
    assert demands is not None
    demands.title = "demands"
    demands.append(["id", "project_id", "text"])
    demands.append(["dem:1", "prj:1", "大直径盾构机两台"])
    demands.append(["dem:2", "prj:2", "架桥机一台"])
    projects = book.create_sheet("projects")
    projects.append(["id", "name", "owner_id", "region"])
    projects.append(["prj:1", "地铁十八号线", "org:x1", "某新区"])  # a region no table knows
    projects.append(["prj:2", "跨江大桥", "org:nowhere", ""])
    orgs = book.create_sheet("organizations")
    orgs.append(["id", "name", "kinds"])
    orgs.append(["org:x1", "重庆某重工有限公司", "user"])
    book.save(tmp_path / "book.xlsx")
    store = NetworkxStore(tmp_path / "s.db")
    report = load_paths(store, [tmp_path / "book.xlsx"], skip_invalid=True)
    reasons = sorted((e.line, e.column, e.reason) for e in report.errors)
    assert reasons == [
        (3, "owner_id", "'org:nowhere' exists nowhere (not in these files, not in the store)"),
        (3, "project_id", "'prj:2' exists nowhere valid (its row was rejected)"),
    ]
    assert [n.id for n in store.neighbours("prj:1", rel="NEEDS")] == ["dem:1"]
    assert store.neighbours("prj:1", rel="LOCATED_IN")[0].title == "某新区"
    assert not store.has("prj:2") and not store.has("dem:2")

    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "equipment.csv").write_text(
        "id,name,maker_ids\neq:9,大型桥式起重机,org:x1\n", encoding="utf-8"
    )
    again = load_paths(store, [tmp_path / "more"])
    assert again.written is not None and again.written.edges_created == 1
    assert [n.id for n in store.neighbours("org:x1", rel="MAKES")] == ["eq:9"]


def test_cordis_loads_with_the_readme_counts(tmp_path: Path) -> None:
    store = NetworkxStore(tmp_path / "cordis.db")
    report = load_paths(store, [CORDIS])
    counts = store.counts()
    assert counts["Organization"] == 20_335
    assert counts["Project"] == 4_525
    with (CORDIS / "relations.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 16_689  # the README's count of participation rows …
    unique = {(r["source"], r["type"], r["target"]) for r in rows}
    assert counts["PARTICIPATES_IN"] == len(unique)  # … of which 19 repeat a row exactly
    assert report.merged == []  # distinct PICs are distinct organisations


def _big_folder(folder: Path, n: int) -> None:
    folder.mkdir()
    with (folder / "organizations.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "kinds", "description"])
        out.writerows(
            (
                f"org:big{i}",
                f"大型装备制造企业{i}号",
                "manufacturer",
                "生产数控机床与工业机器人" * 4,
            )
            for i in range(n)
        )
    with (folder / "patents.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "title", "owner_ids", "ipc"])
        out.writerows(
            (f"pat:big{i}", f"一种数控机床主轴装置{i}", f"org:big{i % n}", "B23Q")
            for i in range(2 * n)
        )


def test_sigkill_mid_ingest_leaves_the_store_as_before(tmp_path: Path) -> None:
    _write(tmp_path / "small", ORGS, EQUIPMENT, RELATIONS)
    db = tmp_path / "s.db"
    store = NetworkxStore(db)
    load_paths(store, [tmp_path / "small"])
    before = _snapshot(store)
    store.close()
    _big_folder(tmp_path / "big", 120_000)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from api.cli import main; main()",
            "ingest",
            str(tmp_path / "big"),
            "--store",
            str(db),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    wal = Path(f"{db}-wal")
    deadline = time.monotonic() + 120
    start_size = wal.stat().st_size if wal.exists() else 0
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > start_size + 4_000_000:  # mid-transaction
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be killed; make it larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reopened = NetworkxStore(db)
    assert _snapshot(reopened) == before
    check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()
    assert check == ("ok",)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_parts_cut_at_record_boundaries(tmp_path: Path, encoding: str) -> None:
    """Parts of a CSV file read separately give the rows of the whole file, line numbers
    included, even where quoted cells hold newlines and commas, in every encoding read."""
    from ingest.readers import plan_parts, read_file

    path = tmp_path / "organizations.csv"
    with path.open("w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "kinds", "description"])
        for i in range(300):
            text = f"第{i}行\n第二行, 含逗号" if i % 7 == 0 else f"说明{i}"
            out.writerow([f"org:{i}", f"企业{i}", "manufacturer", text])

    def rows(size: int | None) -> list[tuple[int, dict[str, object]]]:
        data = path.read_bytes()
        parts = plan_parts(data, encoding, size) if size else [None]
        assert size is None or len(parts) > 1
        found = [r for p in parts for r in read_file("organizations", path, [], {}, p)]
        return [(r.line, r.values) for r in found]

    whole = rows(None)
    assert len(whole) == 300 and whole[1][0] == 4  # row 0 spans lines 2-3
    assert whole[0][1]["id"] == "org:0" and whole[-1][1]["name"] == "企业299"
    for size in (5000, 1000, 300, 40):
        assert rows(size) == whole


def test_parallel_load_equals_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes reading small parts build the same graph and report the same errors."""
    import ingest.readers
    from ingest.generate import write_demo

    data = tmp_path / "demo"
    write_demo(data, scale=0.5)
    with (data / "patents.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["CN0000001A", "坏日期", "", "B23Q", "org:00001", "2020-13-01", ""])
    monkeypatch.setattr(ingest.readers, "PART_BYTES", 20_000)  # many parts per file
    outcomes = []
    for workers in (1, 2):
        store = NetworkxStore(tmp_path / f"w{workers}.db")
        report = load_paths(store, [data], skip_invalid=True, workers=workers)
        outcomes.append((report.rows, [str(e) for e in report.errors], _snapshot(store)))
        store.close()
        assert report.workers == workers
    assert outcomes[0] == outcomes[1]
    rows, errors, (nodes, edges) = outcomes[0]
    assert len(errors) == 1 and "patents.csv" in errors[0] and "filed" in errors[0]
    assert rows > 1000 and len(nodes) > 500 and len(edges) > len(nodes)


def test_row_values_equal_pydantic_json_dump(tmp_path: Path) -> None:
    """The loader's cheap ``_values`` writes the same JSON as pydantic's own JSON dump, on
    every row of the demo data and of CORDIS (dates, enums, numbers, extras)."""
    import orjson

    from ingest.generate import write_demo
    from ingest.parse import _values
    from ingest.readers import discover, read_file
    from ingest.rows import RELATION_ROW, ROW_MODELS, row_json

    write_demo(tmp_path / "demo")
    sort = orjson.OPT_SORT_KEYS
    checked = 0
    for folder in (tmp_path / "demo", CORDIS):
        for kind, path in discover(folder):
            for raw in read_file(kind, path, [], {}):
                if raw.kind == "relations":  # a typed dict: validated values are the row
                    values = dict(RELATION_ROW.validate_python(raw.values))
                else:
                    values = _values(ROW_MODELS[raw.kind].model_validate(raw.values))
                pydantic_json = {
                    k: v for k, v in row_json(raw.kind, raw.values).items() if v is not None
                }
                assert orjson.dumps(values, option=sort) == orjson.dumps(pydantic_json, option=sort)
                checked += 1
    assert checked > 20_000
