"""The page officials work in, on the demo data, in Debian's Chromium (Playwright).

Overview charts drawn with the counts ``/api/overview`` gives; a search with a 0–100 score and
Chinese evidence without raw ids; field and district pickers; an upload with a bad row that
shows the row and writes nothing; exports that openpyxl reads back with the API's rows; pinned
consortium members, the printable proposal and partner recovery; every control labelled, at
1280 and 390 px. Screenshots go to ``FIRSTSET_SCREENSHOTS`` (``make screenshots``).

The engine runs on the hashing stand-in embedder: these tests are about the page, not about the
quality of the matches.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from api.auth import KeyStore
from api.services import plumbing_engine
from graph.networkx_store import NetworkxStore
from ingest.generate.demo import write_demo
from ingest.load import load_paths
from tests.api.conftest import make_settings
from tests.api.live import LiveServer
from tests.api.test_browser import shot, use_key

expect.set_options(timeout=30_000)
RAW_ID = re.compile(r"\b(?:org|prj|proj|dem|eq|tech|al|pitch|field|region):[\w.-]*\w")
CJK = re.compile(r"[\u4e00-\u9fff]")
LISTS = Path(__file__).resolve().parents[1] / "data" / "ingest" / "lists"


class Demo:
    def __init__(self, live: LiveServer, store: NetworkxStore, editor: str) -> None:
        self.live, self.store, self.editor = live, store, editor
        self.url = live.url

    def get(self, path: str, **kw: Any) -> Any:
        r = httpx.get(self.url + path, timeout=60, **kw)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = httpx.post(self.url + path, json=body, timeout=60)
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("workspace")
    write_demo(tmp / "demo", scale=1.0, seed=7)
    store = NetworkxStore(tmp / "demo.db")
    load_paths(store, [tmp / "demo"])
    settings = make_settings(tmp, open_reads=True)
    ks = KeyStore(settings.keys_file, secret=settings.secret_key)
    editor = ks.create(role="editor", clearance="public").key
    app = create_app(settings, store=store, engine_factory=plumbing_engine)
    try:
        with LiveServer(app) as live:
            app.state.firstset.jobs()
            yield Demo(live, store, editor)
    finally:
        store.close()


def _page(browser: Browser, demo: Demo, width: int = 1280) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    pg = context.new_page()
    elsewhere: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: None if r.url.startswith(demo.url) else elsewhere.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(30_000)
    pg.goto(demo.url + "/")
    try:
        yield pg
    finally:
        context.close()
    assert elsewhere == [], f"the page fetched from elsewhere: {elsewhere}"
    assert errors == [], f"script errors: {errors}"


@pytest.fixture
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    yield from _page(browser, demo)


@pytest.fixture
def phone(browser: Browser, demo: Demo) -> Iterator[Page]:
    yield from _page(browser, demo, width=390)


def _search_suppliers(page: Page, text: str) -> None:
    """Describe a demand on the supplier tab and search."""
    page.click("[data-tab=suppliers]")
    page.fill("#demand-text", text)
    page.click("#suppliers-submit")


def _wait_overview(page: Page) -> None:
    page.wait_for_function(
        "window.firstsetCharts && Object.keys(window.firstsetCharts).length >= 7"
    )


# ---- overview ------------------------------------------------------------------------------------


def test_overview_draws_the_api_counts(page: Page, demo: Demo) -> None:
    figures = demo.get("/api/overview")
    _wait_overview(page)
    drawn = page.evaluate("window.firstsetCharts")
    want = {
        "org_kind": figures["organizations_by_kind"],
        "equipment_field": figures["equipment_by_field"],
        "equipment_batch": figures["equipment_by_batch"],
        "demand_field": figures["demands_by_field"],
        "pitch_stage": figures["pitches_by_stage"],
    }
    for chart, rows in want.items():
        assert drawn[chart]["keys"] == [r["key"] for r in rows], chart
        assert drawn[chart]["data"]["count"] == [r["count"] for r in rows], chart
    fields = figures["equipment_by_field"]
    assert drawn["equipment_field"]["data"]["insured"] == [r["insured"] for r in fields]
    demands = figures["demands_by_field"]
    assert drawn["demand_field"]["data"]["well_supplied"] == [r["well_supplied"] for r in demands]
    assert drawn["alliance"]["data"]["members"] == [a["members"] for a in figures["alliances"]]
    top20 = figures["organizations_by_district"][:20]
    assert drawn["org_district"]["data"]["count"] == [r["count"] for r in top20]
    # the canvases are really drawn by the chart library
    assert page.evaluate("document.querySelectorAll('.chart canvas').length") == 7
    assert page.evaluate(
        "[...document.querySelectorAll('.chart canvas')].every(c => c.width > 0 && c.height > 0)"
    )
    for row in figures["totals"]:
        expect(page.locator(f".kpi[data-key={row['key']}]")).to_contain_text(str(row["count"]))
    gaps = figures["supply_gaps"]
    expect(page.locator("#ov-gaps tr[data-id]")).to_have_count(len(gaps))
    shot(page, "overview")


def test_a_chart_links_to_its_list_and_exports_it(page: Page, demo: Demo) -> None:
    figures = demo.get("/api/overview")
    _wait_overview(page)
    kind = figures["organizations_by_kind"][0]
    page.click(".figures summary")
    page.locator(f".figure-table[data-chart=org_kind] tr[data-key={kind['key']}] a").click()
    expect(page.locator("#ov-list-body tr")).to_have_count(kind["count"])
    expect(page.locator("#ov-list-title")).to_contain_text(kind["name"])
    with page.expect_download() as info:
        page.click("#ov-list-export .export-xlsx")
    rows = _xlsx(Path(info.value.path()).read_bytes())
    listed = demo.get(f"/api/overview/list?chart=org_kind&key={kind['key']}")["items"]
    assert [r["id"] for r in rows] == [i["id"] for i in listed]
    # a click on a bar of the chart itself opens the list behind that bar
    batch = figures["equipment_by_batch"][0]
    bar = page.evaluate(
        "(() => { const e = Chart.getChart(document.querySelector('#ch-equipment_batch'))"
        ".getDatasetMeta(0).data[0]; return [e.x, (e.y + e.base) / 2]; })()"
    )
    page.locator("#ch-equipment_batch").click(position={"x": bar[0], "y": bar[1]})
    expect(page.locator("#ov-list-title")).to_contain_text(batch["name"])
    expect(page.locator("#ov-list-body tr")).to_have_count(batch["count"])


# ---- readable results, pickers ---------------------------------------------------------------------


def test_search_shows_a_0_to_100_score_and_chinese_evidence(page: Page, demo: Demo) -> None:
    text = "需要直径 8 米以上的土压平衡盾构机，用于地铁隧道"
    _search_suppliers(page, text)
    cards = page.locator("#suppliers-results .result")
    expect(cards.first).to_be_visible()
    api = demo.post("/api/suppliers/search", {"text": text, "top": 10})["results"]
    expect(cards).to_have_count(len(api))
    scores = cards.locator(".score").evaluate_all(
        "els => els.map(e => [Number(e.dataset.score), e.dataset.level, e.textContent])"
    )
    for (score, level, shown), hit in zip(scores, api, strict=True):
        assert 0 <= score <= 100
        assert score == hit["score_100"] and level == hit["level"]
        assert f"评分 {score}/100" in shown
        assert {"high": "高", "medium": "中", "low": "低"}[level] in shown
    evidence = page.locator("#suppliers-results .evidence").all_inner_texts()
    assert all(CJK.search(e) for e in evidence)
    shown = page.locator("#suppliers-results").inner_text()
    assert not RAW_ID.search(shown), RAW_ID.findall(shown)
    assert "-[" not in shown
    first = cards.first
    expect(first.locator(".parts th").first).to_be_visible()  # the first card shows its parts
    expect(first.locator(".parts th").first).to_have_text(re.compile(CJK.pattern))
    part_names = first.locator(".parts th").all_inner_texts()
    assert part_names and all(CJK.search(n) for n in part_names), part_names  # no raw keys
    expect(first.locator(".parts td.meaning").first).not_to_be_empty()
    expect(cards.nth(1).locator(".parts")).to_be_hidden()  # the others on a click
    expect(page.locator("#parts-help tr")).not_to_have_count(0)
    shot(page, "suppliers")


def test_an_english_search_says_which_chinese_words_it_used(page: Page, demo: Demo) -> None:
    text = "tunnel boring machine for a metro line"
    _search_suppliers(page, text)
    note = page.locator("#suppliers-results .query-terms")
    expect(note).to_be_visible()
    terms = demo.post("/api/suppliers/search", {"text": text, "top": 10})["query_terms"]
    assert "盾构机" in terms
    expect(note).to_have_text("英文需求另以这些中文词检索：" + "、".join(terms))
    _search_suppliers(page, "土压平衡盾构机")  # a Chinese demand: no such line
    expect(page.locator("#suppliers-results .result").first).to_be_visible()
    expect(page.locator("#suppliers-results .query-terms")).to_have_count(0)


def test_field_and_district_from_the_pickers(page: Page) -> None:
    page.click("[data-tab=suppliers]")
    page.fill("#demand-text", "盾构机")
    page.locator("#s-field").press_sequentially("隧道")
    page.locator("#s-field-options li", has_text="隧道掘进装备").click()
    expect(page.locator("#s-field")).to_have_value("隧道掘进装备")
    page.locator("#s-region").press_sequentially("yubei")
    option = page.locator("#s-region-options li").first
    expect(option).to_contain_text("渝北区")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#s-region")).to_have_value("渝北区")
    with page.expect_request("**/api/suppliers/search") as req:
        page.click("#suppliers-submit")
    body = req.value.post_data_json
    assert body is not None
    assert body["field"] == "field:construction.tunnel"
    assert body["region"] == "region:cq-yubei"
    expect(
        page.locator("#suppliers-results .result, #suppliers-results .muted").first
    ).to_be_visible()
    # a name typed but not chosen, matching nothing, is said so, not searched silently
    page.fill("#s-field", "不存在的领域")
    page.click("#suppliers-submit")
    expect(page.locator("#error")).to_contain_text("请从列表中选择")
    expect(page.locator("#error")).to_contain_text("field")


# ---- upload ------------------------------------------------------------------------------------------


BAD_ORGS = (
    "id,name,kinds,region\n"
    "org:new-a,新材料甲公司,manufacturer,渝北区\n"
    "org:new-b,新材料乙公司,not-a-kind,渝北区\n"
)


def test_upload_with_a_bad_row_shows_it_and_writes_nothing(
    page: Page, demo: Demo, tmp_path: Path
) -> None:
    expect(page.locator("#tab-upload")).to_be_hidden()
    use_key(page, demo.editor)
    page.click("#tab-upload")
    before = demo.store.version()
    path = tmp_path / "organizations.csv"
    path.write_text(BAD_ORGS, encoding="utf-8")
    page.set_input_files("#u-file", str(path))
    page.click("#u-check")
    rows = page.locator("#upload-results .bad-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("organizations.csv")
    expect(rows.first).to_contain_text("3")  # the line of the bad row
    expect(page.locator("#u-load")).to_be_disabled()
    assert demo.store.version() == before
    assert not demo.store.has("org:new-a")
    shot(page, "upload")
    # fixed, it passes the check (still nothing written), then loads with progress
    path.write_text(BAD_ORGS.replace("not-a-kind", "manufacturer"), encoding="utf-8")
    page.set_input_files("#u-file", str(path))
    page.click("#u-check")
    expect(page.locator("#upload-results .ok")).to_be_visible()
    expect(page.locator(".upload-summary tr[data-key=rows]")).to_contain_text("2")
    assert not demo.store.has("org:new-a")
    page.click("#u-load")
    expect(page.locator("#u-status")).to_have_text("导入完成。")
    assert page.locator("#u-progress").evaluate("p => p.value") == 100
    assert demo.store.has("org:new-a") and demo.store.has("org:new-b")


def test_checking_a_product_list_names_products_without_a_description(
    page: Page, demo: Demo
) -> None:
    """A first-set list (GBK, a name and a model number per product): the check says how many
    products only name themselves and which, in Chinese, and writes nothing."""
    use_key(page, demo.editor)
    page.click("#tab-upload")
    before = demo.store.version()
    page.set_input_files("#u-file", str(LISTS / "products_gbk.csv"))
    page.click("#u-check")
    note = page.locator("#upload-results .undescribed")
    expect(note).to_be_visible()
    expect(note).to_contain_text("有 8 个产品只有名称和型号")
    expect(note).to_contain_text("高速干切滚齿机")
    assert demo.store.version() == before


# ---- exports -------------------------------------------------------------------------------------------


def _xlsx(content: bytes) -> list[dict[str, Any]]:
    ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(c) for c in rows[0]]
    out = []
    for r in rows[1:]:
        row = dict(zip(header, r, strict=True))
        row["id"] = row.get("编号 id")
        out.append(row)
    return out


def test_export_downloads_an_xlsx_with_the_same_rows(page: Page, demo: Demo) -> None:
    page.click("[data-tab=suppliers]")
    text = "数控机床 齿轮加工"
    page.fill("#demand-text", text)
    page.fill("#s-top", "7")
    page.click("#suppliers-submit")
    expect(page.locator("#suppliers-results .result").first).to_be_visible()
    with page.expect_download() as info:
        page.click("#suppliers-exports .export-xlsx")
    assert info.value.suggested_filename == "suppliers.xlsx"
    rows = _xlsx(Path(info.value.path()).read_bytes())
    api = demo.post("/api/suppliers/search", {"text": text, "top": 7})["results"]
    assert [r["id"] for r in rows] == [h["id"] for h in api]
    assert [r["评分 score_100"] for r in rows] == [h["score_100"] for h in api]
    shown = page.locator("#suppliers-results .result").evaluate_all(
        "els => els.map(e => e.dataset.id)"
    )
    assert shown == [r["id"] for r in rows]
    with page.expect_download() as info:
        page.click("#suppliers-exports .export-csv")
    csv_text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("序号 rank")
    assert len(csv_text.strip().splitlines()) == len(api) + 1


# ---- consortium, proposal, partners ------------------------------------------------------------------


def _pick_project(page: Page, query: str, options: str, demo: Demo) -> dict[str, Any]:
    project = next(p for p in demo.store.nodes("Project") if p.get("name"))
    page.locator(query).press_sequentially(str(project.get("name"))[:8])
    page.locator(f"{options} li").first.click()
    return {"id": project.id, "name": project.get("name")}


def test_consortium_with_a_pinned_member_and_a_printable_proposal(page: Page, demo: Demo) -> None:
    page.click("[data-tab=consortium]")
    _pick_project(page, "#project-query", "#project-options", demo)
    project_id = page.locator("#project-id").input_value()
    assert project_id
    alts = demo.post("/api/consortia", {"project": project_id, "alternatives": 1})["alternatives"]
    pinned = next(m for m in alts[0]["members"] if m["role"] == "research")
    page.locator("#c-with-query").press_sequentially(pinned["name"][:6])
    page.locator("#c-with-options li", has_text=pinned["name"]).first.click()
    expect(page.locator("#c-with li")).to_have_count(1)
    with page.expect_request("**/api/consortia") as req:
        page.click("#consortium-submit")
    sent = req.value.post_data_json
    assert sent is not None and sent["with"] == [pinned["id"]]
    first = page.locator("#consortium-results .result").first
    expect(first).to_be_visible()
    for card in page.locator("#consortium-results .result").all():
        expect(card.locator(f".members tr[data-id='{pinned['id']}']")).to_have_count(1)
    shown = page.locator("#consortium-results").inner_text()
    assert "-[" not in shown and "co-participated" not in shown
    first.locator(".proposal-btn").click()
    expect(page.locator("#proposal")).to_be_visible()
    expect(page.locator("#proposal-title")).to_contain_text("示范应用联合体")
    expect(page.locator("#proposal .roster tbody tr")).to_have_count(
        first.locator(".members tbody tr").count()
    )
    expect(page.locator("#proposal")).to_contain_text("用户（牵头）")
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()
    shot(page, "proposal")
    page.emulate_media(media="screen")
    page.click("#proposal-close")
    expect(page.locator("#panel-consortium")).to_be_visible()
    shot(page, "consortium")


def test_partner_recovery_from_the_page(page: Page, demo: Demo) -> None:
    page.click("[data-tab=partners]")
    _pick_project(page, "#p-project-query", "#p-project-options", demo)
    page.select_option("#p-kind", "manufacturer")
    page.click("#partners-submit")
    cards = page.locator("#partners-results .result")
    expect(cards.first).to_be_visible()
    body = {
        "project": page.locator("#p-project-id").input_value(),
        "kind": "manufacturer",
        "members": [],
        "top": 10,
    }
    api = demo.post("/api/partners", body)["results"]
    assert cards.evaluate_all("els => els.map(e => e.dataset.id)") == [h["id"] for h in api]
    shown = page.locator("#partners-results").inner_text()
    assert "shared project" not in shown and not RAW_ID.search(shown)
    shot(page, "partners")


# ---- accessibility, small screens ----------------------------------------------------------------------

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(e => e.offsetParent !== null || e.closest('[hidden]') === null)
  .filter(e => {
    if (e.getAttribute('aria-label')) return false;
    if (e.tagName === 'BUTTON') return !e.textContent.trim();
    if (e.id && document.querySelector(`label[for="${e.id}"]`)) return false;
    return !e.closest('label');
  }).map(e => e.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("width", [1280, 390])
def test_every_control_has_a_label(browser: Browser, demo: Demo, width: int) -> None:
    for pg in _page(browser, demo, width):
        use_key(pg, demo.editor)
        tabs = ("overview", "suppliers", "consortium", "partners", "shortlist", "services")
        for tab in (*tabs, "catalogue", "watches", "upload"):
            pg.click(f"[data-tab={tab}]")
            assert pg.evaluate(UNLABELLED) == [], tab
            overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{tab} is {overflow}px wider than {width}px"


def test_the_page_works_on_a_phone(phone: Page, demo: Demo) -> None:
    _wait_overview(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    shot(phone, "overview-390")
    _search_suppliers(phone, "土压平衡盾构机")
    expect(phone.locator("#suppliers-results .result").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    shot(phone, "suppliers-390")


# ---- services of issues 15 and 16 --------------------------------------------------------------------


def test_ip_risk_and_tender_check_panels(page: Page, demo: Demo) -> None:
    page.click("[data-tab=services]")
    equipment = next(e for e in demo.store.nodes("Equipment") if e.get("name"))
    page.locator("#ip-query").press_sequentially(str(equipment.get("name"))[:6])
    page.locator("#ip-options li", has_text=str(equipment.get("name"))).first.click()
    page.click("#ip-submit")
    api = demo.post("/api/ip-risk", {"equipment": equipment.id, "top": 10})["risks"]
    expect(page.locator("#ip-results tbody tr")).to_have_count(len(api))
    tender = "投标人须具有近三年同类设备销售业绩不少于5台套。须为本地企业。"
    page.fill("#tender-text", tender)
    page.click("#tender-submit")
    findings = demo.post("/api/tender-check", {"text": tender})["findings"]
    assert findings
    expect(page.locator(".tender-findings tbody tr")).to_have_count(len(findings))
    expect(page.locator(".tender-findings")).to_contain_text("渝府办发〔2018〕170号")
    assert " / " not in page.locator(".tender-findings tbody").inner_text()  # Chinese half only
    shot(page, "services")


def test_catalogue_panel(page: Page, demo: Demo) -> None:
    page.click("[data-tab=catalogue]")
    equipment = next(e for e in demo.store.nodes("Equipment") if e.get("name"))
    page.locator("#cat-query").press_sequentially(str(equipment.get("name"))[:6])
    page.locator("#cat-options li", has_text=str(equipment.get("name"))).first.click()
    page.click("#cat-submit")
    status = demo.get(f"/api/equipment/{equipment.id}/status")
    names = {
        "developing": "研制中",
        "catalogued": "已列入目录",
        "evaluated": "已通过评定",
        "demonstrated": "已示范应用",
        "insured": "已投保",
    }
    expect(page.locator(".cat-status strong")).to_have_text(names[status["status"]])
    expect(page.locator("#cat-results")).to_contain_text("保险补偿测算")
    shot(page, "catalogue")


def test_watches_panel(page: Page, demo: Demo) -> None:
    expect(page.locator("#tab-watches")).to_be_hidden()
    use_key(page, demo.editor)
    page.click("#tab-watches")
    page.fill("#watch-text", "大直径泥水平衡盾构机 关注")
    page.click("#watch-submit")
    expect(page.locator("#watch-list tr", has_text="大直径泥水平衡盾构机 关注")).to_have_count(1)
    expect(page.locator("#alerts-exports .export-xlsx")).to_be_visible()
    shot(page, "watches")
