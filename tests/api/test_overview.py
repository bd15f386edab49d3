"""``GET /api/overview``, ``/api/overview/list`` and the taxonomy pickers' routes."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import plumbing_engine
from graph.clearance import is_visible
from graph.model import Label, Rel
from graph.store import GraphStore
from graph.taxonomy import fields, regions
from tests.api.conftest import SECRET_NAMES, Keys, h, make_settings


def _visible_counts(store: GraphStore, clearance: str) -> Counter[str]:
    """Oracle: visible nodes by label, straight from the clearance rule."""
    project_of = {e.target: e.source for e in store.edges(Rel.NEEDS)}
    out: Counter[str] = Counter()
    for node in store.nodes():
        if node.label in (Label.FIELD, Label.REGION):
            continue
        parent = store.get(project_of[node.id]) if node.id in project_of else None
        if is_visible(node, clearance, parent=parent):
            out[str(node.label)] += 1
    return out


@pytest.mark.parametrize("who", ["viewer", "restricted", "secret"])
def test_overview_counts_what_the_caller_may_see(
    client: TestClient, keys: Keys, store: GraphStore, who: str
) -> None:
    r = client.get("/api/overview", headers=h(getattr(keys, who)))
    assert r.status_code == 200, r.text
    data = r.json()
    clearance = {"viewer": "public", "restricted": "restricted", "secret": "secret"}[who]
    assert data["clearance"] == clearance
    assert {t["key"]: t["count"] for t in data["totals"]} == dict(_visible_counts(store, clearance))
    text = json.dumps(data, ensure_ascii=False)
    if clearance == "public":
        for word in SECRET_NAMES:
            assert word not in text
        assert "dem:mil" not in text and "proj:mil" not in text


def test_overview_breakdowns_add_up(client: TestClient, keys: Keys, store: GraphStore) -> None:
    data = client.get("/api/overview", headers=h(keys.viewer)).json()
    orgs = list(store.nodes(Label.ORGANIZATION))
    by_kind = Counter(k for o in orgs for k in o.props.get("kinds") or ["other"])
    assert {r["key"]: r["count"] for r in data["organizations_by_kind"]} == dict(by_kind)
    assert sum(r["count"] for r in data["organizations_by_district"]) == len(orgs)
    names = {r["key"]: r["name"] for r in data["organizations_by_district"]}
    assert names["region:cq-nanan"] == "南岸区"  # 南岸区 written as free text, named from the list
    equipment = list(store.nodes(Label.EQUIPMENT))
    assert sum(r["count"] for r in data["equipment_by_field"]) == len(equipment)
    insured = sum(1 for e in equipment if e.props.get("status") == "insured")
    assert sum(r["insured"] for r in data["equipment_by_field"]) == insured
    assert all(r["catalogued"] >= r["insured"] for r in data["equipment_by_field"])
    stages = Counter(p.props["stage"] for p in store.nodes(Label.PITCH))
    assert {r["key"]: r["count"] for r in data["pitches_by_stage"]} == dict(stages)
    members = Counter(e.target for e in store.edges(Rel.MEMBER_OF))
    assert {a["id"]: a["members"] for a in data["alliances"]} == dict(members)


def test_supply_gaps_are_demands_without_a_good_supplier(client: TestClient, keys: Keys) -> None:
    data = client.get("/api/overview", headers=h(keys.restricted)).json()
    assert data["demands"]["judged"] == data["demands"]["open"]
    assert data["demands"]["judged_all"] is True
    gaps = {g["id"] for g in data["supply_gaps"]}
    well = 0
    for row in data["demands_by_field"]:
        listed = client.get(
            "/api/overview/list",
            params={"chart": "demand_field", "key": row["key"]},
            headers=h(keys.restricted),
        ).json()["items"]
        assert len(listed) == row["count"]
        for item in listed:
            hits = client.post(
                "/api/suppliers/search",
                json={"demand": item["id"], "top": 10},
                headers=h(keys.restricted),
            ).json()["results"]
            good = sum(1 for x in hits if x["level"] in ("high", "medium"))
            assert (item["id"] in gaps) == (good == 0)
            well += good >= 3
    assert data["demands"]["well_supplied"] == well
    assert data["demands"]["open"] == sum(r["count"] for r in data["demands_by_field"])


def test_overview_list_behind_a_bar(client: TestClient, keys: Keys) -> None:
    r = client.get(
        "/api/overview/list",
        params={"chart": "org_kind", "key": "manufacturer"},
        headers=h(keys.viewer),
    )
    assert r.status_code == 200
    ids = {i["id"] for i in r.json()["items"]}
    assert ids == {"org:cqmt", "org:tbm"}
    bad = client.get("/api/overview/list", params={"chart": "nope"}, headers=h(keys.viewer))
    assert bad.status_code == 422
    assert bad.json()["field"] == "chart"


def test_overview_needs_a_key_when_reads_are_closed(client: TestClient) -> None:
    assert client.get("/api/overview").status_code == 401


def test_taxonomy_pickers(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/taxonomy/fields", headers=h(keys.viewer))
    assert r.status_code == 200
    assert [t["id"] for t in r.json()["terms"]] == list(fields())
    tunnel = client.get("/api/taxonomy/fields", params={"q": "tunnel"}, headers=h(keys.viewer))
    assert [t["name"] for t in tunnel.json()["terms"]] == ["隧道掘进装备"]
    assert tunnel.json()["terms"][0]["parent_name"] == "工程机械装备"
    yubei = client.get("/api/taxonomy/regions", params={"q": "渝北"}, headers=h(keys.viewer))
    assert [t["id"] for t in yubei.json()["terms"]] == ["region:cq-yubei"]
    every = client.get("/api/taxonomy/regions", headers=h(keys.viewer)).json()["terms"]
    assert len(every) == len(regions())
    long = client.get("/api/taxonomy/fields", params={"q": "x" * 101}, headers=h(keys.viewer))
    assert long.status_code == 422


def test_judging_is_bounded(store: GraphStore) -> None:
    from api.routes.overview import build_overview

    asked: list[str] = []

    def suppliers(demand_id: str) -> list[dict[str, object]]:
        asked.append(demand_id)
        return []

    full = build_overview(store, "secret", suppliers).figures["demands"]
    assert full["judged"] == full["open"] == 2 and full["judged_all"]
    asked.clear()
    part = build_overview(store, "secret", suppliers, judge_limit=1).figures
    assert asked == ["dem:mil"]  # the first by id, then no more searches
    assert part["demands"]["judged"] == 1 and not part["demands"]["judged_all"]
    assert [g["id"] for g in part["supply_gaps"]] == ["dem:mil"]


def test_warm_up_builds_the_public_overview(tmp_path: Path, store: GraphStore) -> None:
    from api.routes import overview

    app = create_app(
        make_settings(tmp_path, warm_up=True), store=store, engine_factory=plumbing_engine
    )
    with TestClient(app):
        deadline = time.monotonic() + 60
        while not overview._cache.get(store) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert (store.version(), "public") in overview._cache.get(store, {})
