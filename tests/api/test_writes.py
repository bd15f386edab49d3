"""Ingest uploads (all or nothing, size-limited) and feedback rows for ``firstset train``."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.store import GraphStore
from tests.api.conftest import Keys, h, make_settings

ORGS = (
    "id,name,kinds,region\n"
    "org:new1,重庆新材料科技有限公司,manufacturer,渝北区\n"
    "org:new2,西南检测中心,testing_body,\n"
)
EQUIP = "id,name,maker_ids,field\neq:new,碳纤维缠绕机,org:new1,\n"


def _zip(files: dict[str, str], folder: str = "data") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"{folder}/{name}", text)
    return buf.getvalue()


def test_ingest_csv(client: TestClient, keys: Keys, store: GraphStore) -> None:
    r = client.post(
        "/api/ingest",
        files={"file": ("organizations.csv", ORGS.encode(), "text/csv")},
        headers=h(keys.editor),
    )
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 2
    assert store.get("org:new1").title == "重庆新材料科技有限公司"
    found = client.get("/api/search", params={"q": "重庆新材料"}, headers=h(keys.viewer)).json()
    assert found["results"][0]["id"] == "org:new1"


def test_ingest_zip_of_a_folder(client: TestClient, keys: Keys, store: GraphStore) -> None:
    blob = _zip({"organizations.csv": ORGS, "equipment.csv": EQUIP})
    r = client.post(
        "/api/ingest", files={"file": ("demo.zip", blob, "application/zip")}, headers=h(keys.editor)
    )
    assert r.status_code == 200, r.text
    assert sorted(r.json()["files"]) == ["data/equipment.csv", "data/organizations.csv"]
    assert store.get("eq:new").title == "碳纤维缠绕机"
    assert [n.id for n in store.neighbours("eq:new")] == ["org:new1"]


def test_ingest_names_products_that_only_name_themselves(
        client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/ingest",
        params={"dry_run": True},
        files={"file": ("data.zip", _zip({"organizations.csv": ORGS, "equipment.csv": EQUIP}),
                        "application/zip")},
        headers=h(keys.editor),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["undescribed_products"], body["undescribed_examples"]) == (1, ["碳纤维缠绕机"])


def test_ingest_dry_run_writes_nothing(client: TestClient, keys: Keys, store: GraphStore) -> None:
    before = store.version()
    r = client.post(
        "/api/ingest",
        params={"dry_run": True},
        files={"file": ("organizations.csv", ORGS.encode(), "text/csv")},
        headers=h(keys.editor),
    )
    assert r.status_code == 200
    assert r.json()["dry_run"] is True
    assert store.version() == before
    assert not store.has("org:new1")


def test_malformed_upload_is_refused_with_rows_and_nothing_written(
    client: TestClient, keys: Keys, store: GraphStore
) -> None:
    bad = EQUIP.replace("org:new1", "org:ghost")
    blob = _zip({"organizations.csv": ORGS, "equipment.csv": bad})
    before = store.version()
    r = client.post(
        "/api/ingest", files={"file": ("bad.zip", blob, "application/zip")}, headers=h(keys.editor)
    )
    assert r.status_code == 422
    body = r.json()
    assert "nothing was written" in body["error"]
    assert body["field"] == "maker_ids"
    loc = body["detail"][0]["loc"]
    assert loc[0] == "data/equipment.csv" and loc[1] == 2
    assert "/tmp" not in r.text
    assert store.version() == before
    assert not store.has("org:new1")


def test_upload_names_and_kinds_are_checked(client: TestClient, keys: Keys) -> None:
    for name, data in [
        ("notes.txt", b"hello"),
        ("organizations.csv", b""),
        ("broken.zip", b"PK\x03\x04 not really"),
        ("empty.zip", _zip({"readme.md": "x"})),
    ]:
        r = client.post("/api/ingest", files={"file": (name, data)}, headers=h(keys.editor))
        assert r.status_code == 422, (name, r.text)
        assert r.json()["field"] == "file"
        assert r.json()["error"]


def test_zip_slip_is_refused(client: TestClient, keys: Keys, tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../evil/organizations.csv", ORGS)
    r = client.post(
        "/api/ingest", files={"file": ("x.zip", buf.getvalue())}, headers=h(keys.editor)
    )
    assert r.status_code == 422
    assert "unsafe" in r.json()["error"]


def test_upload_over_the_limit_is_413_and_writes_nothing(
    tmp_path: Path, store: GraphStore, keys: Keys
) -> None:
    settings = make_settings(tmp_path, max_upload_bytes=2_000)
    app = create_app(settings, store=store)
    big = ORGS + "".join(f"org:x{i},公司{i},manufacturer,\n" for i in range(200))
    before = store.version()
    with TestClient(app) as c:
        r = c.post(
            "/api/ingest",
            files={"file": ("organizations.csv", big.encode())},
            headers=h(keys.editor),
        )
    assert r.status_code == 413
    assert r.json()["field"] == "body"
    assert store.version() == before


def test_zip_bomb_is_refused(tmp_path: Path, store: GraphStore, keys: Keys) -> None:
    settings = make_settings(tmp_path, max_unzipped_bytes=10_000)
    app = create_app(settings, store=store)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("d/organizations.csv", "id,name,kinds\n" + "a" * 1_000_000)
    with TestClient(app) as c:
        r = c.post(
            "/api/ingest", files={"file": ("bomb.zip", buf.getvalue())}, headers=h(keys.editor)
        )
    assert r.status_code == 422
    assert "zip contents over" in r.json()["error"]


def test_json_body_over_the_limit_is_413(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/feedback",
        content=json.dumps({"query": "x" * 2_000_000}),
        headers={**h(keys.editor), "Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_feedback_rows_are_appended(client: TestClient, keys: Keys, settings: Settings) -> None:
    for label in ("accept", "reject"):
        r = client.post(
            "/api/feedback",
            json={
                "query": "盾构机",
                "candidate": "org:tbm",
                "label": label,
                "parts": {"dense": 0.5},
            },
            headers=h(keys.editor),
        )
        assert r.status_code == 201, r.text
    rows = list(csv.DictReader(settings.feedback_file.open(encoding="utf-8")))
    assert [r["label"] for r in rows] == ["accept", "reject"]
    assert rows[0]["org"] == "org:tbm"
    assert json.loads(rows[0]["parts"]) == {"dense": 0.5}
    assert keys.editor not in settings.feedback_file.read_text(encoding="utf-8")
    # the file `firstset train` reads
    from matching.scoring import read_feedback

    judged = read_feedback(settings.feedback_file)
    assert [(r.text, r.org, r.accepted) for r in judged] == [
        ("盾构机", "org:tbm", True),
        ("盾构机", "org:tbm", False),
    ]


def test_feedback_on_other_jobs_goes_beside(
    client: TestClient, keys: Keys, settings: Settings
) -> None:
    body = {"query": "x", "candidate": "org:cqu", "label": "accept", "job": "partners"}
    assert client.post("/api/feedback", json=body, headers=h(keys.editor)).status_code == 201
    assert not settings.feedback_file.exists()
    assert settings.feedback_file.with_name("feedback-partners.csv").exists()


def test_feedback_validates(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/feedback",
        json={"query": "x", "candidate": "org:tbm", "label": "maybe"},
        headers=h(keys.editor),
    )
    assert r.status_code == 422
    assert r.json()["field"] == "label"
    r = client.post(
        "/api/feedback",
        json={"query": "x", "candidate": "org:ghost", "label": "accept"},
        headers=h(keys.editor),
    )
    assert r.status_code == 422
    assert r.json()["field"] == "candidate"
    r = client.post(
        "/api/feedback", json={"candidate": "org:tbm", "label": "accept"}, headers=h(keys.editor)
    )
    assert r.status_code == 422
    assert r.json()["field"] == "query"


def test_ingest_jsonl_and_xlsx(client: TestClient, keys: Keys, store: GraphStore) -> None:
    line = json.dumps({"id": "org:j1", "name": "重庆测试装备有限公司", "kinds": ["manufacturer"]})
    r = client.post(
        "/api/ingest",
        files={"file": ("organizations.jsonl", (line + "\n").encode())},
        headers=h(keys.editor),
    )
    assert r.status_code == 200, r.text
    assert store.has("org:j1")

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "organizations"
    ws.append(["id", "name", "kinds"])
    ws.append(["org:x1", "西南电力装备有限公司", "manufacturer"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(
        "/api/ingest", files={"file": ("book.xlsx", buf.getvalue())}, headers=h(keys.editor)
    )
    assert r.status_code == 200, r.text
    assert store.get("org:x1").title == "西南电力装备有限公司"


def test_ingest_a_product_list_shows_its_mapping(client: TestClient, keys: Keys) -> None:
    """Issue 14: a list not named after a kind is recognised; the answer shows the mapping."""
    from tests.ingest.test_lists import PRODUCTS

    r = client.post(
        "/api/ingest",
        params={"dry_run": True, "strict_fields": False},
        files={"file": ("名单.xlsx", PRODUCTS.read_bytes())},
        headers=h(keys.editor),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    (table,) = [t for t in body["tables"] if t["kind"] == "product_list"]
    assert table["file"].startswith("名单.xlsx#") and table["header_line"] == 2
    assert [w["value"] for w in body["field_warnings"]] == ["石墨烯新材料"]
    r = client.post(
        "/api/ingest",
        params={"strict_fields": True},
        files={"file": ("名单.xlsx", PRODUCTS.read_bytes())},
        headers=h(keys.editor),
    )
    assert r.status_code == 422 and "石墨烯新材料" in r.text
