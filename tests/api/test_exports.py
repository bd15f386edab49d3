"""``?format=xlsx`` and ``?format=csv`` on every list endpoint: the same rows as the JSON."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.exports import EVIDENCE, ID, NAME, SCORE, SCORE_100, part_column, to_csv
from api.exports import RANK as RANK_H
from tests.api.conftest import SECRET_NAMES, Keys, h


def _xlsx_rows(content: bytes) -> list[dict[str, Any]]:
    ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(c) for c in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Chinese text as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def _same_ranked(rows: list[dict[str, Any]], hits: list[dict[str, Any]]) -> None:
    assert [r[ID] for r in rows] == [x["id"] for x in hits]
    assert [r[NAME] for r in rows] == [x["name"] for x in hits]
    for row, hit in zip(rows, hits, strict=True):
        assert float(row[SCORE]) == hit["score"]
        assert int(row[SCORE_100]) == hit["score_100"]
        for part, value in hit["parts"].items():
            assert float(row[part_column(part)]) == value
        for e in hit["evidence"]:
            assert e["text"] in (row[EVIDENCE] or "")


def test_suppliers_as_xlsx_and_csv(client: TestClient, keys: Keys) -> None:
    body = {"text": "土压平衡盾构机", "top": 5}
    hits = client.post("/api/suppliers/search", json=body, headers=h(keys.viewer)).json()["results"]
    assert hits
    x = client.post("/api/suppliers/search?format=xlsx", json=body, headers=h(keys.viewer))
    assert x.status_code == 200
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="suppliers.xlsx"' in x.headers["content-disposition"]
    _same_ranked(_xlsx_rows(x.content), hits)
    c = client.post("/api/suppliers/search?format=csv", json=body, headers=h(keys.viewer))
    assert c.headers["content-type"].startswith("text/csv")
    _same_ranked(_csv_rows(c.content), hits)


def test_a_wrong_format_names_the_field(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/api/suppliers/search?format=pdf", json={"text": "盾构机"}, headers=h(keys.viewer)
    )
    assert r.status_code == 422
    assert "format" in r.text


def test_partners_and_batches(client: TestClient, keys: Keys) -> None:
    body = {"project": "proj:metro", "top": 4}
    hits = client.post("/api/partners", json=body, headers=h(keys.viewer)).json()["results"]
    rows = _xlsx_rows(
        client.post("/api/partners?format=xlsx", json=body, headers=h(keys.viewer)).content
    )
    assert [r[ID] for r in rows] == [x["id"] for x in hits]
    batch = {"batch": [{"text": "盾构机", "top": 2}, {"text": "磨齿机", "top": 3}]}
    answers = client.post("/api/suppliers/search", json=batch, headers=h(keys.viewer)).json()
    rows = _csv_rows(
        client.post("/api/suppliers/search?format=csv", json=batch, headers=h(keys.viewer)).content
    )
    want = [(str(i + 1), x["id"]) for i, hits in enumerate(answers["batch"]) for x in hits]
    assert [(r["查询 query"], r[ID]) for r in rows] == want


def test_consortia_one_row_per_member(client: TestClient, keys: Keys) -> None:
    body = {"project": "proj:metro", "alternatives": 2}
    alts = client.post("/api/consortia", json=body, headers=h(keys.viewer)).json()["alternatives"]
    rows = _xlsx_rows(
        client.post("/api/consortia?format=xlsx", json=body, headers=h(keys.viewer)).content
    )
    want = [(i + 1, m["role"], m["id"]) for i, a in enumerate(alts) for m in a["members"]]
    assert [(r["方案 option"], r["角色 role"], r[ID]) for r in rows] == want


def test_transfers_respect_clearance(client: TestClient, keys: Keys) -> None:
    body = {"technology": "tech:restricted"}
    found = client.post("/api/transfers", json=body, headers=h(keys.restricted)).json()
    rows = _csv_rows(
        client.post("/api/transfers?format=csv", json=body, headers=h(keys.restricted)).content
    )
    want = [x["id"] for k in ("demands", "organizations", "technologies") for x in found[k]]
    assert [r[ID] for r in rows] == want
    hidden = client.post("/api/transfers?format=csv", json=body, headers=h(keys.viewer))
    assert hidden.status_code in (404, 422)
    assert not any(w in hidden.text for w in SECRET_NAMES)


def test_shortlist(client: TestClient, keys: Keys) -> None:
    body = {"size": 2}
    pitches = client.post("/api/shortlists", json=body, headers=h(keys.viewer)).json()["pitches"]
    rows = _xlsx_rows(
        client.post("/api/shortlists?format=xlsx", json=body, headers=h(keys.viewer)).content
    )
    assert [r[ID] for r in rows] == [p["id"] for p in pitches]
    assert [r[NAME] for r in rows] == [p["title"] for p in pitches]


def test_overview_list_as_a_file(client: TestClient, keys: Keys) -> None:
    params = {"chart": "org_kind", "key": "manufacturer", "format": "xlsx"}
    r = client.get("/api/overview/list", params=params, headers=h(keys.viewer))
    rows = _xlsx_rows(r.content)
    assert sorted(str(x[ID]) for x in rows) == ["org:cqmt", "org:tbm"]
    assert {x["类别 label"] for x in rows} == {"单位"}


def test_formula_cells_are_defused() -> None:
    text = to_csv([{"名称 name": '=HYPERLINK("x")', "n": -1.5}]).decode("utf-8")
    row = next(csv.DictReader(io.StringIO(text[1:])))
    assert row["名称 name"] == '\'=HYPERLINK("x")'
    assert row["n"] == "-1.5"


def test_alerts_as_a_file(client: TestClient, keys: Keys) -> None:
    text = "土压平衡盾构机 刀盘 盾构施工"
    r = client.post("/api/watches", json={"text": text, "threshold": 1.0}, headers=h(keys.editor))
    assert r.status_code == 201, r.text
    files = {
        "organizations.csv": "id,name,kinds\norg:w1,重庆新盾构公司,manufacturer\n",
        "equipment.csv": f"id,name,maker_ids,description\neq:w1,新型土压平衡盾构机,org:w1,{text}\n",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, body in files.items():
            zf.writestr(f"batch/{name}", body)
    r = client.post(
        "/api/ingest",
        files={"file": ("b.zip", buf.getvalue(), "application/zip")},
        headers=h(keys.editor),
    )
    assert r.status_code == 200, r.text
    alerts = client.get("/api/alerts", headers=h(keys.editor)).json()["alerts"]
    assert alerts, "the new equipment should match the watch"
    x = client.get("/api/alerts", params={"format": "xlsx"}, headers=h(keys.editor))
    assert x.status_code == 200
    rows = _xlsx_rows(x.content)
    assert [r[ID] for r in rows] == [a["item"] for a in alerts]
    assert [r["关注 watch"] for r in rows] == [a["watch"] for a in alerts]
    c = client.get("/api/alerts", params={"format": "csv"}, headers=h(keys.editor))
    assert [r[ID] for r in _csv_rows(c.content)] == [a["item"] for a in alerts]


def test_an_empty_list_is_a_file_with_its_header() -> None:
    from api.exports import to_xlsx

    assert _csv_rows(to_csv([])) == []
    assert to_csv([]).decode("utf-8").startswith(f"\ufeff{RANK_H},{ID},{NAME}")
    ws = load_workbook(io.BytesIO(to_xlsx([])), read_only=True).worksheets[0]
    assert [c for c in next(ws.iter_rows(values_only=True))] == [RANK_H, ID, NAME]
