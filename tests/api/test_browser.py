"""The web page in a real browser: Playwright driving Debian's Chromium (``/usr/bin/chromium``).

These tests fail, never skip, when Chromium is missing: ``make test`` installs it
(``apt-get install -y chromium``). `make screenshots` refreshes the pictures in ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from api.auth import KeyStore
from api.services import plumbing_engine
from graph.networkx_store import NetworkxStore
from tests.api.conftest import make_settings, small_graph
from tests.api.live import LiveServer

expect.set_options(timeout=20_000)
# Screenshots go to a scratch folder unless FIRSTSET_SCREENSHOTS names one: `make screenshots`
# points it at docs/screenshots, so a plain test run leaves the working tree clean.
SHOTS = Path(os.environ.get("FIRSTSET_SCREENSHOTS") or tempfile.mkdtemp(prefix="firstset-shots-"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("browser")
    store = NetworkxStore(tmp / "web.db")
    small_graph(store)
    settings = make_settings(tmp, open_reads=True)
    ks = KeyStore(settings.keys_file, secret=settings.secret_key)
    keys = {
        "restricted": ks.create(role="editor", clearance="restricted").key,
        "public": ks.create(role="editor", clearance="public").key,
    }
    app = create_app(settings, store=store, engine_factory=plumbing_engine)
    try:
        with LiveServer(app) as live:
            app.state.firstset.jobs()  # build the engine before the first click
            yield live, keys
    finally:
        store.close()


@pytest.fixture
def page(browser: Browser, server: tuple[LiveServer, dict[str, str]]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    elsewhere: list[str] = []
    pg.on("request", lambda r: None if r.url.startswith(server[0].url) else elsewhere.append(r.url))
    pg.set_default_timeout(20_000)
    pg.goto(server[0].url + "/")
    try:
        yield pg
    finally:
        context.close()
    assert elsewhere == [], f"the page fetched from elsewhere: {elsewhere}"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def use_key(page: Page, key: str) -> None:
    page.fill("#api-key", key)
    page.click("#key-save")
    expect(page.locator("#who")).to_contain_text("editor")


def test_find_suppliers_with_evidence_and_graph(page: Page) -> None:
    expect(page.locator("h1")).to_contain_text("首台（套）")
    page.click("[data-tab=suppliers]")
    page.fill("#demand-text", "需要直径 8 米以上的土压平衡盾构机，用于地铁隧道")
    page.click("#suppliers-submit")
    first = page.locator("#suppliers-results .result").first
    expect(first).to_contain_text("中铁隧道装备")
    expect(first.locator(".parts")).to_be_visible()
    expect(first.locator(".evidence li").first).to_be_visible()
    expect(first.locator(".evidence")).to_contain_text("土压平衡盾构机")
    first.locator(".graph-btn").click()
    expect(page.locator("#graph-box")).to_be_visible()
    page.wait_for_function("document.querySelectorAll('#graph canvas').length > 0")
    count = page.evaluate("window.cyNodes ? window.cyNodes() : 0")
    assert count >= 3
    shot(page, "suppliers")


def test_language_switch(page: Page) -> None:
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("First-set equipment matching")
    expect(page.locator("#suppliers-submit")).to_have_text("Find suppliers")
    page.click("#lang")
    expect(page.locator("#suppliers-submit")).to_have_text("查找供应商")


def test_build_a_consortium(page: Page) -> None:
    page.click("[data-tab=consortium]")
    page.fill("#project-query", "轨道交通15号线")
    page.locator("#project-options li").first.click()
    page.click("#consortium-submit")
    first = page.locator("#consortium-results .result").first
    expect(first).to_contain_text("重庆市轨道交通（集团）有限公司")
    expect(first.locator(".members tbody tr")).to_have_count(6)
    expect(first.locator(".parts")).to_be_visible()
    first.locator(".graph-btn").click()
    page.wait_for_function("document.querySelectorAll('#graph canvas').length > 0")
    shot(page, "consortium")


def test_clear_message_on_errors(page: Page) -> None:
    page.click("[data-tab=suppliers]")
    page.click("#suppliers-submit")  # nothing typed
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("请先描述")
    page.fill("#demand-text", "盾构机")
    page.fill("#s-field", "不存在的领域")
    page.click("#suppliers-submit")
    expect(page.locator("#error")).to_contain_text("输入有误")
    expect(page.locator("#error")).to_contain_text("field")
    page.click("[data-tab=consortium]")
    page.fill("#project-query", "轨道交通15号线")
    page.locator("#project-options li").first.click()
    page.fill("#c-alternatives", "3")
    page.evaluate("document.querySelector('input[value=manufacturer]').checked = true")
    page.click("#consortium-submit")
    expect(page.locator("#consortium-results .result").first).to_be_visible()
    page.fill("#api-key", "fs_00000000_wrong")
    page.click("#key-save")
    expect(page.locator("#error")).to_contain_text("密钥无效")
    shot(page, "error")


def test_shortlist_pitches(page: Page) -> None:
    page.click("[data-tab=shortlist]")
    page.fill("#r-size", "2")
    page.click("#shortlist-submit")
    expect(page.locator("#shortlist-results .result")).to_have_count(2)
    expect(page.locator("#shortlist-results .parts").first).to_be_visible()
    shot(page, "shortlist")


def test_transfers_only_with_clearance(
    page: Page, server: tuple[LiveServer, dict[str, str]]
) -> None:
    expect(page.locator("#tab-transfers")).to_be_hidden()
    use_key(page, server[1]["public"])
    expect(page.locator("#tab-transfers")).to_be_hidden()
    use_key(page, server[1]["restricted"])
    expect(page.locator("#tab-transfers")).to_be_visible()
    page.click("#tab-transfers")
    page.fill("#t-query", "高超声速")
    page.locator("#t-options li").first.click()
    page.click("#transfers-submit")
    expect(page.locator("#transfers-results .result").first).to_be_visible()
    shot(page, "transfers")


def test_feedback_from_the_page(page: Page, server: tuple[LiveServer, dict[str, str]]) -> None:
    use_key(page, server[1]["public"])
    page.click("[data-tab=suppliers]")
    page.fill("#demand-text", "磨齿机")
    page.click("#suppliers-submit")
    first = page.locator("#suppliers-results .result").first
    first.locator(".feedback button").first.click()
    expect(first.locator(".feedback")).to_contain_text("已记录反馈")
