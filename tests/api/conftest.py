"""Fixtures for the HTTP API tests: a small graph with public and cleared items, keys of every
role and clearance, and apps over it (reads open or closed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import KeyStore
from api.settings import Settings
from graph.model import Edge, Label, Node, Rel
from graph.networkx_store import NetworkxStore
from graph.store import GraphStore

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SECRET_NAMES = ("隐身涂层", "高超声速", "Stealth")  # words that appear only in cleared items
HIDDEN_IDS = ("tech:secret", "tech:restricted", "proj:mil", "dem:mil")
CHROMIUM = "/usr/bin/chromium"  # Debian's: the browser tests fail, never skip, without it
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def small_graph(store: GraphStore) -> None:
    org = Label.ORGANIZATION
    nodes = [
        Node(
            "org:cqmt",
            org,
            {
                "name": "重庆机床（集团）有限责任公司",
                "kinds": ["manufacturer"],
                "region": "南岸区",
                "aliases": ["Chongqing Machine Tool Group"],
                "description": "数控滚齿机、磨齿机等齿轮加工机床",
            },
        ),
        Node(
            "org:tbm",
            org,
            {
                "name": "中铁隧道装备（重庆）有限公司",
                "kinds": ["manufacturer"],
                "region": "渝北区",
                "description": "土压平衡盾构机、硬岩掘进机",
            },
        ),
        Node(
            "org:metro",
            org,
            {"name": "重庆市轨道交通（集团）有限公司", "kinds": ["user"], "region": "渝中区"},
        ),
        Node(
            "org:design", org, {"name": "重庆市轨道交通设计研究院", "kinds": ["design_institute"]}
        ),
        Node("org:test", org, {"name": "国家机床质量监督检验中心", "kinds": ["testing_body"]}),
        Node(
            "org:integ",
            org,
            {
                "name": "重庆机电系统集成有限公司",
                "kinds": ["integrator"],
                "description": "盾构施工系统集成",
            },
        ),
        Node("org:cqu", org, {"name": "重庆大学", "kinds": ["university"]}),
        Node("org:mil", org, {"name": "某军工研究所", "kinds": ["military_unit"]}),
        Node(
            "eq:tbm",
            Label.EQUIPMENT,
            {
                "name": "土压平衡盾构机",
                "field": "field:construction.tunnel",
                "status": "catalogued",
                "description": "直径 8.8 米",
            },
        ),
        Node("eq:gear", Label.EQUIPMENT, {"name": "数控成形磨齿机", "status": "insured"}),
        Node(
            "tech:public",
            Label.TECHNOLOGY,
            {"name": "高精度齿轮测量技术", "origin": "civil", "clearance": "public", "trl": 7},
        ),
        Node(
            "tech:restricted",
            Label.TECHNOLOGY,
            {
                "name": "高超声速风洞测量技术",
                "origin": "military",
                "clearance": "restricted",
                "trl": 6,
            },
        ),
        Node(
            "tech:secret",
            Label.TECHNOLOGY,
            {
                "name": "雷达隐身涂层 Stealth coating",
                "origin": "military",
                "clearance": "secret",
                "trl": 5,
            },
        ),
        Node(
            "proj:metro",
            Label.PROJECT,
            {
                "name": "重庆轨道交通15号线",
                "kind": "key_project",
                "description": "地铁隧道盾构施工",
            },
        ),
        Node(
            "proj:mil",
            Label.PROJECT,
            {"name": "高超声速试验平台项目", "kind": "military", "clearance": "restricted"},
        ),
        Node("dem:tbm", Label.DEMAND, {"text": "直径 8 米以上土压平衡盾构机 2 台", "quantity": 2}),
        Node("dem:mil", Label.DEMAND, {"text": "隐身涂层喷涂装备"}),
        Node("all:cq", Label.ALLIANCE, {"name": "重庆首台套装备创新联盟", "kind": "innovation"}),
        Node(
            "pitch:1",
            Label.PITCH,
            {
                "title": "齿轮在线检测仪",
                "stage": "prototype",
                "trl": 6,
                "summary": "磨齿机齿轮在线测量",
            },
        ),
        Node(
            "pitch:2",
            Label.PITCH,
            {
                "title": "盾构刀盘磨损监测",
                "stage": "pilot",
                "trl": 7,
                "summary": "土压平衡盾构机刀具磨损在线监测",
            },
        ),
    ]
    edges = [
        Edge("org:tbm", Rel.MAKES, "eq:tbm"),
        Edge("org:cqmt", Rel.MAKES, "eq:gear"),
        Edge("org:cqmt", Rel.OWNS, "tech:public"),
        Edge("org:cqmt", Rel.OWNS, "tech:secret"),
        Edge("org:mil", Rel.OWNS, "tech:restricted"),
        Edge("proj:metro", Rel.OWNED_BY, "org:metro"),
        Edge("proj:metro", Rel.NEEDS, "dem:tbm"),
        Edge("proj:mil", Rel.OWNED_BY, "org:mil"),
        Edge("proj:mil", Rel.NEEDS, "dem:mil"),
        Edge("org:cqmt", Rel.MEMBER_OF, "all:cq", {"role": "member"}),
        Edge("org:tbm", Rel.MEMBER_OF, "all:cq", {"role": "lead"}),
        Edge("org:cqu", Rel.PRESENTS, "pitch:1"),
        Edge("org:integ", Rel.PRESENTS, "pitch:2"),
        Edge("org:design", Rel.PARTICIPATES_IN, "proj:metro", {"role": "design"}),
        Edge("org:cqmt", Rel.PARTICIPATES_IN, "proj:mil", {"role": "manufacturer"}),
    ]
    store.upsert(nodes, edges)


@dataclass
class Keys:
    viewer: str
    editor: str
    admin: str
    restricted: str
    secret: str
    secret_editor: str

    def all(self) -> list[str]:
        return [
            self.viewer,
            self.editor,
            self.admin,
            self.restricted,
            self.secret,
            self.secret_editor,
        ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GraphStore]:
    s = NetworkxStore(tmp_path / "api.db")
    small_graph(s)
    try:
        yield s
    finally:
        s.close()


def make_settings(tmp_path: Path, **over: Any) -> Settings:
    base: dict[str, Any] = {
        "environment": "staging",
        "secret_key": "test-secret-not-default",
        "store": str(tmp_path / "unused.db"),
        "keys_file": tmp_path / "keys.json",
        "feedback_file": tmp_path / "feedback.csv",
        "open_reads": False,
        "warm_up": False,
    }
    base.update(over)
    return Settings(**base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def keys(settings: Settings) -> Keys:
    ks = KeyStore(settings.keys_file, secret=settings.secret_key)
    return Keys(
        viewer=ks.create(role="viewer", clearance="public").key,
        editor=ks.create(role="editor", clearance="public").key,
        admin=ks.create(role="admin", clearance="public").key,
        restricted=ks.create(role="viewer", clearance="restricted").key,
        secret=ks.create(role="viewer", clearance="secret").key,
        secret_editor=ks.create(role="editor", clearance="secret").key,
    )


EngineFactory = Callable[[GraphStore], Any]


def stand_in_engine() -> EngineFactory | None:
    """A matching engine over a deterministic stand-in embedder, once matching has one."""
    try:
        from tests.api.engines import plumbing_engine
    except ImportError:  # pragma: no cover
        return None
    return plumbing_engine


@pytest.fixture
def app(settings: Settings, store: GraphStore, keys: Keys) -> FastAPI:
    return create_app(settings, store=store, engine_factory=stand_in_engine())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium driven by Playwright, one per browser test module."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
