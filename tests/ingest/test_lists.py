"""The lists people have: product lists, enterprise directories, patent exports (tests/data)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from graph.errors import IngestError
from graph.model import Label
from graph.networkx_store import NetworkxStore
from graph.taxonomy import match_field
from ingest.lists import application_kind, list_date, split_ipc
from ingest.load import load_paths
from ingest.readers import ReadOptions

LISTS = Path(__file__).resolve().parent.parent / "data" / "ingest" / "lists"
ECOSYSTEM = LISTS / "ecosystem"
PRODUCTS = ECOSYSTEM / "首台套产品名单2023第二批.xlsx"
DIRECTORY = ECOSYSTEM / "企业名录.xlsx"
PATENTS = ECOSYSTEM / "专利检索导出.csv"


def _store(tmp_path: Path) -> NetworkxStore:
    return NetworkxStore(tmp_path / "s.db")


def _by_name(store: NetworkxStore, label: Label) -> dict[str, dict[str, object]]:
    return {str(n.get("name") or n.get("title")): dict(n.props) for n in store.find(label)}


def test_a_folder_of_lists_loads_and_shows_its_mapping(tmp_path: Path) -> None:
    store = _store(tmp_path)
    report = load_paths(store, [ECOSYSTEM], dry_run=True)
    assert store.counts().get(Label.EQUIPMENT, 0) == 0  # a dry run writes nothing
    kinds = {Path(t["file"].split("#")[0]).name: t["kind"] for t in report.tables}
    assert kinds == {
        PRODUCTS.name: "product_list",
        DIRECTORY.name: "directory",
        PATENTS.name: "patent_export",
    }
    product = next(t for t in report.tables if t["kind"] == "product_list")
    assert product["header_line"] == 2 and "第二批" in product["title"]
    became = {c["header"]: c["became"] for c in product["columns"]}
    assert became["序号"] == "ignored" and became["企业名称"] == "maker"
    assert became["所属领域"] == "field" and became["规格型号"] == "model"
    assert product["catalogue"]["code"] == "chongqing-2023-2"
    directory = next(t for t in report.tables if t["kind"] == "directory")
    assert {c["header"]: c["became"] for c in directory["columns"]}["法定代表人"].startswith("kept")


def test_product_list_rows_become_makers_and_catalogued_equipment(tmp_path: Path) -> None:
    store = _store(tmp_path)
    report = load_paths(store, [PRODUCTS])
    equipment = _by_name(store, Label.EQUIPMENT)
    assert len(equipment) == 8  # the notes row and the empty sheet are not rows
    press = equipment["智能分拣压缩站"]  # its maker cell is merged with the row above
    assert press["catalogue"] == "chongqing-2023-2" and press["status"] == "catalogued"
    assert press["catalogue_year"] == 2023 and press["catalogue_batch"] == 2
    assert press["field"] == "field:environment" and press["field_text"] == "环保装备"
    assert equipment["高速干切滚齿机"]["field"] == "field:machine_tool"
    makers = {e.source for e in store.edges() if e.type == "MAKES"}
    names = {store.get(m).get("name") for m in makers}
    assert "耐德新明和" in names and len(makers) == 7
    # the one category nothing resolves is kept as text, with its row count
    assert [(w["value"], w["rows"]) for w in report.field_warnings] == [("石墨烯新材料", 1)]
    assert "field" not in equipment["石墨烯导热膜生产线"]
    assert equipment["石墨烯导热膜生产线"]["field_text"] == "石墨烯新材料"


def test_strict_fields_turns_the_warning_into_an_error_at_its_line(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(IngestError) as info:
        load_paths(store, [PRODUCTS], strict_fields=True)
    assert [(e.line, e.column, e.col) for e in info.value.errors] == [(10, "所属领域", 5)]
    assert "石墨烯新材料" in info.value.errors[0].reason
    assert store.counts().get(Label.EQUIPMENT, 0) == 0


def test_short_name_finds_the_stored_organisation(tmp_path: Path) -> None:
    store = _store(tmp_path)
    orgs = tmp_path / "organizations.csv"
    orgs.write_text("id,name,kinds\norg:nd,重庆耐德新明和工业有限公司,other\n", encoding="utf-8")
    load_paths(store, [orgs])
    full = store.get("org:nd")
    report = load_paths(store, [PRODUCTS])
    makers = {
        e.source
        for e in store.edges()
        if e.type == "MAKES" and store.get(e.target).get("name") == "垃圾转运压缩设备"
    }
    assert makers == {full.id}
    assert "耐德新明和" in store.get(full.id).get("aliases")
    assert "manufacturer" in store.get(full.id).get("kinds")
    how = {r["name"]: r["how"] for r in report.resolved}
    assert how["耐德新明和"] == "short_name"
    assert not report.review
    assert store.get(full.id).get("kinds") == ["manufacturer"]  # "other" gives way


def test_directory_alias_and_credit_code_resolve(tmp_path: Path) -> None:
    store = _store(tmp_path)
    load_paths(store, [DIRECTORY])
    report = load_paths(store, [PRODUCTS])
    how = {r["name"]: r["how"] for r in report.resolved}
    assert how["耐德新明和"] == "alias" and how["重庆华数机器人有限公司"] == "name"
    assert report.organizations["known"] == 3


def test_patent_export_applicants_resolve_like_makers(tmp_path: Path) -> None:
    store = _store(tmp_path)
    load_paths(store, [DIRECTORY])
    load_paths(store, [PATENTS])
    patents = {n.id: dict(n.props) for n in store.find(Label.PATENT)}
    assert set(patents) == {
        "patent:CN202010123456",
        "patent:CN201821234567",
        "patent:CN202230123456",
    }
    reducer = patents["patent:CN201821234567"]
    assert reducer["patent_type"] == "utility_model" and reducer["filed"] == "2018-07-30"
    assert reducer["granted"] == "2019-03-15" and reducer["ipc"] == ["B25J9/10", "F16H1/32"]
    assert reducer["legal_status"] == "有权"
    assert patents["patent:CN202230123456"]["patent_type"] == "design"
    owners = {
        store.get(e.source).get("name")
        for e in store.edges()
        if e.type == "OWNS" and e.target == "patent:CN201821234567"
    }
    assert owners == {"重庆华数机器人有限公司", "华中科技大学"}
    stored_robot = [
        n for n in store.find(Label.ORGANIZATION) if n.get("name") == "重庆华数机器人有限公司"
    ]
    assert len(stored_robot) == 1  # the applicant is the directory's organisation


def test_an_uncertain_short_name_is_listed_for_review_not_merged(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    with (folder / "organizations.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "kinds"])
        w.writerow(["org:a", "重庆长江电工工业集团有限公司", "manufacturer"])
        w.writerow(["org:b", "重庆长江电工科技有限公司", "manufacturer"])
    load_paths(_store(tmp_path), [folder])  # sanity: the two load
    store = _store(tmp_path / "x")
    load_paths(store, [folder])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["企业名称", "产品名称", "所属领域"])
    sheet.append(["长江电工", "智能配电柜", "输变电装备"])
    book.save(tmp_path / "名单.xlsx")
    report = load_paths(store, [tmp_path / "名单.xlsx"])
    assert len(report.review) == 1
    item = report.review[0]
    assert item["name"] == "长江电工" and item["line"] == 2
    assert {c["id"] for c in item["candidates"]} == {"org:a", "org:b"}
    assert all(0 < c["score"] <= 100 for c in item["candidates"])
    maker = next(e.source for e in store.edges() if e.type == "MAKES")
    assert maker not in ("org:a", "org:b")  # not guessed


@pytest.mark.parametrize("name", ["products_gbk.csv", "products_bom.csv"])
def test_csv_variants_load_alike(tmp_path: Path, name: str) -> None:
    store = _store(tmp_path)
    shutil.copy(LISTS / name, tmp_path / name)
    report = load_paths(store, [tmp_path / name])
    names = set(_by_name(store, Label.EQUIPMENT))
    assert len(names) == 8 and "高速干切滚齿机" in names
    assert report.tables[0]["header_line"] == 2 and report.tables[0]["kind"] == "product_list"


def test_the_report_counts_products_that_only_name_themselves(tmp_path: Path) -> None:
    """A list row gives a product's name and model number and no description: the load report
    counts such products and names the first of them (demands told by function hardly find
    their makers); a product with a sentence is not counted."""
    store = _store(tmp_path)
    report = load_paths(store, [LISTS / "products_gbk.csv"], dry_run=True)
    assert report.undescribed_products == 8
    assert "高速干切滚齿机" in report.undescribed_examples
    assert report.to_json()["undescribed_products"] == 8
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "organizations.jsonl").write_text(
        '{"id": "org:m", "name": "某重工", "kinds": ["manufacturer"]}\n', encoding="utf-8")
    (folder / "equipment.jsonl").write_text(
        '{"id": "eq:a", "name": "旋挖钻机", "maker_ids": ["org:m"], "description": "规格型号：XR550D"}\n'
        '{"id": "eq:b", "name": "干化机", "maker_ids": ["org:m"], '
        '"description": "热泵除湿，含水率由80%降至30%"}\n', encoding="utf-8")
    report = load_paths(store, [folder])
    assert (report.undescribed_products, report.undescribed_examples) == (1, ["旋挖钻机"])


def test_gbk_patent_export(tmp_path: Path) -> None:
    store = _store(tmp_path)
    load_paths(store, [LISTS / "patents_gbk.csv"])
    assert store.counts()[Label.PATENT] == 3


def test_reloading_a_list_changes_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    load_paths(store, [ECOSYSTEM])
    again = load_paths(store, [ECOSYSTEM])
    assert again.written is not None
    assert again.written.nodes_created == again.written.nodes_updated == 0
    assert again.written.edges_created == 0 and again.written.unchanged > 0


def test_bad_rows_fail_at_their_line_with_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "专利.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["申请号", "发明名称", "申请人", "申请日"])
        w.writerow(["CN202010000001.1", "一种阀门", "重庆某阀门有限公司", "2020-01-02"])
        w.writerow(["CN202010000002.1", "一种泵", "重庆某泵业有限公司", "明年"])
        w.writerow(["CN202010000003.1", "", "重庆某泵业有限公司", "2020-01-03"])
    store = _store(tmp_path)
    with pytest.raises(IngestError) as info:
        load_paths(store, [path])
    where = sorted((e.line, e.column, e.col) for e in info.value.errors)
    assert where == [(3, "申请日", 4), (4, "发明名称", 2)]
    assert not store.counts().get(Label.PATENT)


def test_a_header_that_cannot_be_placed_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("企业名称,单位名称,产品名称\n甲,乙,丙\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_paths(_store(tmp_path), [path])
    assert info.value.errors[0].column == "单位名称" and info.value.errors[0].col == 2


def test_map_overrides_name_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "厂商,装置,门类\n重庆某重工有限公司,大型盾构机,隧道掘进装备\n", encoding="utf-8"
    )
    with pytest.raises(IngestError):
        load_paths(_store(tmp_path), [path])
    options = ReadOptions(
        overrides=(("厂商", "maker"), ("装置", "name"), ("门类", "field")), kind="product_list"
    )
    store = _store(tmp_path / "m")
    report = load_paths(store, [path], options=options)
    assert report.tables[0]["how"] == "--map"
    (eq,) = store.find(Label.EQUIPMENT)
    assert eq.get("field") == "field:construction.tunnel"


def test_a_workbook_alone_in_a_folder_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(LISTS / "ecosystem_single.xlsx", folder / "ecosystem.xlsx")
    report = load_paths(_store(tmp_path), [folder])
    assert report.nodes > 0 and not report.errors


def test_embedder_step_resolves_what_rules_cannot(tmp_path: Path) -> None:
    """Plumbing only: a stand-in embedder that knows one answer."""
    import numpy as np

    from graph.taxonomy import _field_texts

    texts, ids = _field_texts()

    def embed(batch: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(batch), len(texts) + 1), np.float32)
        for i, t in enumerate(batch):
            j = (
                ids.index("field:aviation")
                if t == "飞行器整机"
                else (texts.index(t) if t in texts else len(texts))
            )
            out[i, j] = 1.0
        return out

    assert match_field("飞行器整机") is None
    found = match_field("飞行器整机", embed=embed)
    assert found is not None and found.field == "field:aviation" and found.how == "embedding"
    path = tmp_path / "l.csv"
    path.write_text(
        "企业名称,产品名称,所属领域\n重庆某航空有限公司,无人直升机,飞行器整机\n", "utf-8"
    )
    store = _store(tmp_path)
    report = load_paths(store, [path], field_embed=embed)
    (eq,) = store.find(Label.EQUIPMENT)
    assert eq.get("field") == "field:aviation" and not report.field_warnings
    assert report.field_matches[0]["how"] == "embedding"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("环保装备", "field:environment"),
        ("检测装备", "field:instrument"),
        ("机械加工辅助装备", "field:machine_tool"),
        ("汽车零部件", "field:vehicle"),
        ("智能制造装备", "field:intelligent"),
        ("高档数控机床", "field:machine_tool"),
        ("数控机床", "field:machine_tool.cnc"),
        ("五轴数控机床", "field:machine_tool.cnc"),
        ("Rail vehicles", "field:rail.vehicle"),
        ("节能环保装备类", "field:environment"),
    ],
)
def test_field_names_of_real_lists_resolve(text: str, field: str) -> None:
    found = match_field(text)
    assert found is not None and found.field == field


def test_helpers() -> None:
    assert application_kind("CN202010123456.7") == ("CN202010123456", "invention")
    assert application_kind("2019 2 0123456.1")[1] == "utility_model"
    assert list_date("2021/12/1") == "2021-12-01" and list_date("2021.13.01") is None
    assert split_ipc("A61B 5/00 A61B5/01") == ["A61B5/00", "A61B5/01"]


def _big_export(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["导出时间：2026-11-30"])  # a title row above the header
        w.writerow(["申请号", "发明名称", "申请（专利权）人", "IPC分类号", "申请日", "法律状态"])
        for i in range(rows):
            owner = "重庆华数机器人有限公司" if i % 50 == 0 else f"重庆第{i % 97}机械有限公司"
            if i % 40 == 0:
                owner += ";华中科技大学"
            w.writerow(
                [
                    f"CN2020{1 + i % 2}{i:07d}.{i % 10}",
                    f"一种装置{i}",
                    owner,
                    "B23Q 1/00;F16H1/32",
                    f"2020.{1 + i % 12:02d}.{1 + i % 28:02d}",
                    "授权",
                ]
            )


def _graph(store: NetworkxStore) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    nodes = sorted((n.id, str(sorted(dict(n.props).items()))) for n in store.nodes())
    return nodes, sorted(e.key for e in store.edges())


def test_a_large_export_streams_in_parts_and_builds_the_same_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in parts, a large export's applicants are resolved part by part as the parts
    stream; the graph is the one a single read builds, in one process or with workers."""
    import ingest.readers

    export = tmp_path / "export.csv"
    _big_export(export, 3000)
    graphs = []
    for part_bytes, workers in ((10_000_000, 1), (20_000, 1), (20_000, 2)):
        monkeypatch.setattr(ingest.readers, "PART_BYTES", part_bytes)
        store = NetworkxStore(tmp_path / f"{part_bytes}-{workers}.db")
        load_paths(store, [DIRECTORY])
        report = load_paths(store, [export], workers=workers)
        assert report.rows == 3000 and not report.errors
        assert report.organizations["known"] >= 1  # the directory's 华数
        graphs.append(_graph(store))
        store.close()
    assert graphs[0] == graphs[1] == graphs[2]
    nodes, edges = graphs[0]
    assert sum(1 for n, _ in nodes if n.startswith("patent:")) == 3000
    owners = [e for e in edges if e[1] == "OWNS"]
    assert len(owners) == 3000 + 75


def test_header_variants_and_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_text(
        "企业名称（全称）,产品名称（中文）,所属领域\n重庆某重工有限公司,盾构机,隧道掘进装备\n",
        encoding="utf-8",
    )
    report = load_paths(_store(tmp_path), [path], dry_run=True)
    assert [c["to"] for c in report.tables[0]["columns"]] == ["maker", "name", "field"]
    export = tmp_path / "专利.csv"
    export.write_text(
        "申请号,发明名称,摘要,IPC分类号\nCN202010000001.1,一种阀门,……,F16K1/00\n", encoding="utf-8"
    )
    with pytest.raises(IngestError) as info:
        load_paths(_store(tmp_path / "b"), [export])
    (error,) = info.value.errors
    assert error.line == 1 and "applicants" in error.reason


def test_bad_application_number_fails_at_its_line(tmp_path: Path) -> None:
    export = tmp_path / "专利.csv"
    export.write_text(
        "申请号,发明名称,申请人\nCN202010000001.1,一种阀门,甲公司\n见附件,一种泵,乙公司\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as info:
        load_paths(_store(tmp_path), [export])
    assert [(e.line, e.column) for e in info.value.errors] == [(3, "申请号")]


def test_cli_dry_run_json_shows_the_mapping(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from api.cli import build

    result = CliRunner().invoke(
        build(),
        [
            "ingest",
            str(ECOSYSTEM),
            "--dry-run",
            "--json",
            "--field-embedder",
            "none",
            "--store",
            str(tmp_path / "s.db"),
            "--map",
            "法定代表人=-",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    directory = next(t for t in out["tables"] if t["kind"] == "directory")
    assert {c["header"]: c["became"] for c in directory["columns"]}["法定代表人"] == "ignored"
    assert out["dry_run"] is True and out["field_warnings"][0]["value"] == "石墨烯新材料"
    bad = CliRunner().invoke(
        build(),
        [
            "ingest",
            str(ECOSYSTEM),
            "--json",
            "--map",
            "x=nothing",
            "--store",
            str(tmp_path / "s.db"),
        ],
    )
    assert bad.exit_code != 0 and "nothing" in bad.output


def test_formula_in_an_ignored_column_is_harmless_elsewhere_refused(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "企业名称", "产品名称", "所属领域"])
    sheet.append(["=ROW()-1", "重庆某重工有限公司", "大型盾构机", "隧道掘进装备"])
    book.save(tmp_path / "名单.xlsx")
    store = _store(tmp_path)
    load_paths(store, [tmp_path / "名单.xlsx"])
    assert store.counts()[Label.EQUIPMENT] == 1
    sheet.append(["2", "重庆某重工有限公司", '=HYPERLINK("x")', "隧道掘进装备"])
    book.save(tmp_path / "名单.xlsx")
    with pytest.raises(IngestError) as info:
        load_paths(_store(tmp_path / "b"), [tmp_path / "名单.xlsx"])
    assert [(e.line, e.column, e.col) for e in info.value.errors] == [(3, "产品名称", 3)]


def test_e5_step_takes_only_clear_matches(e5: object) -> None:
    """With the real model: a clear near-synonym resolves, and none of the texts it ranks
    wrongly (measured: 风力发电机组 → 水电装备 at 0.946) is resolved at all."""
    embed = e5.embed_queries  # type: ignore[attr-defined]
    found = match_field("污水处理设备", embed=embed)
    assert found is not None and found.field == "field:environment" and found.how == "embedding"
    assert found.confidence >= 0.96
    for text in ("风力发电机组", "工业软件", "核磁共振成像系统", "石墨烯新材料", "蛋糕"):
        wrong = match_field(text, embed=embed)
        assert wrong is None, (text, wrong)


def test_row_order_does_not_change_a_list_graph(tmp_path: Path) -> None:
    import random

    with (LISTS / "products_bom.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    title, header, body = rows[0], rows[1], rows[2:-1]
    graphs = []
    for seed in range(3):
        random.Random(seed).shuffle(body)
        path = tmp_path / f"order{seed}" / "名单.csv"
        path.parent.mkdir()
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([title, header, *body])
        store = _store(path.parent)
        load_paths(store, [DIRECTORY])
        load_paths(store, [path])
        graphs.append(_graph(store))
    assert graphs[0] == graphs[1] == graphs[2]


def test_section_headings_give_their_rows_a_field(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["重庆市2024年度首台（套）重大技术装备名单"])
    sheet.append(["序号", "企业名称", "产品名称", "规格型号"])
    sheet.append(["一、智能制造装备"])
    sheet.append(["1", "重庆某机器人有限公司", "焊接机器人工作站", "HR-1"])
    sheet.append(["二、环保装备"])
    sheet.append(["2", "重庆某环保有限公司", "垃圾焚烧炉排炉", "LP-500"])
    sheet.append(["小计：2项"])
    book.save(tmp_path / "名单.xlsx")
    store = _store(tmp_path)
    report = load_paths(store, [tmp_path / "名单.xlsx"])
    fields = {
        n.get("name"): (n.get("field"), n.get("section")) for n in store.find(Label.EQUIPMENT)
    }
    assert fields == {
        "焊接机器人工作站": ("field:intelligent", "智能制造装备"),
        "垃圾焚烧炉排炉": ("field:environment", "环保装备"),
    }
    assert not report.errors and not report.field_warnings


def test_a_product_row_with_only_its_maker_is_refused_not_a_heading(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_text(
        "序号,企业名称,产品名称\n1,重庆某重工有限公司,盾构机\n2,重庆某机床有限公司,\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as info:
        load_paths(_store(tmp_path), [path])
    assert [(e.line, e.column) for e in info.value.errors] == [(3, "产品名称")]


def test_an_embedder_that_fails_leaves_the_text_as_text(tmp_path: Path) -> None:
    def broken(texts: Sequence[str]) -> object:
        raise RuntimeError("no model here")

    store = _store(tmp_path)
    report = load_paths(store, [PRODUCTS], field_embed=broken)
    assert store.counts()[Label.EQUIPMENT] == 8
    (warning,) = report.field_warnings
    assert warning["value"] == "石墨烯新材料" and "no model here" in warning["embedder"]


def test_skip_invalid_writes_the_good_list_rows_and_lists_the_bad(tmp_path: Path) -> None:
    path = tmp_path / "专利.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["申请号", "发明名称", "申请人", "申请日"])
        w.writerow(["CN202010000001.1", "一种阀门", "重庆某阀门有限公司", "2020-01-02"])
        w.writerow(["CN202010000002.1", "一种泵", "重庆某泵业有限公司", "2020-02-30"])
    store = _store(tmp_path)
    report = load_paths(store, [path], skip_invalid=True)
    assert store.counts()[Label.PATENT] == 1 and report.rejected == 1
    assert report.rejects_file is not None
    rejects = Path(report.rejects_file).read_text(encoding="utf-8")
    assert "专利.csv" in rejects and ",3,申请日," in rejects
    names = {n.get("name") for n in store.find(Label.ORGANIZATION)}
    assert names == {"重庆某阀门有限公司"}  # the refused row's applicant is not written
