"""The core CLI commands, run as a user would (typer's runner over the real app)."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
from typer.testing import CliRunner

from api.cli import app, build

CORPUS = Path(__file__).resolve().parent.parent / "data" / "ingest"
runner = CliRunner()
build()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_ingest_stats_show_export(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, out = _run("ingest", str(CORPUS / "gbk"), str(CORPUS / "bom"), "--store", db, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["written"]["nodes_created"] > 3 and report["errors"] == []

    code, out = _run("stats", "--store", db, "--json")
    counts = json.loads(out)["counts"]
    assert counts["Organization"] == 3 and counts["MAKES"] == 1

    code, out = _run("show", "org:gbk1", "--store", db, "--json")
    shown = json.loads(out)
    assert shown["props"]["name"] == "重庆渝江重型机械有限公司"
    assert {"source": "org:gbk1", "type": "MAKES", "target": "eq:gbk1", "props": {}} in shown["edges"]

    code, out = _run("show", "org:none", "--store", db, "--json")
    assert code == 1 and "org:none" in json.loads(out)["error"]

    graphml = tmp_path / "g.graphml"
    code, out = _run("export", "--format", "graphml", "--out", str(graphml), "--store", db, "--json")
    assert code == 0
    g = nx.read_graphml(graphml)
    assert g.nodes["org:gbk1"]["name"] == "重庆渝江重型机械有限公司"
    assert json.loads(g.nodes["org:gbk1"]["kinds"]) == ["manufacturer"]

    code, out = _run("export", "--format", "jsonl", "--store", db)
    lines = [json.loads(line) for line in out.splitlines()]
    assert {"kind": "edge", "source": "org:gbk1", "type": "MAKES", "target": "eq:gbk1", "props": {}} in lines


def test_bad_ingest_exits_non_zero_with_every_error(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, out = _run("ingest", str(CORPUS / "dangling"), str(CORPUS / "bad_uscc"), "--store", db, "--json")
    assert code == 2
    payload = json.loads(out)
    places = {(Path(d["file"]).parent.name, d["line"], d["column"]) for d in payload["details"]}
    assert places == {("dangling", 2, "maker_ids"), ("bad_uscc", 3, "uscc")}
    code, out = _run("stats", "--store", db, "--json")
    assert json.loads(out)["counts"] == {}


def test_dry_run_and_unknown_format(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, out = _run("ingest", str(CORPUS / "gbk"), "--dry-run", "--store", db, "--json")
    assert code == 0 and json.loads(out)["dry_run"] is True
    assert json.loads(_run("stats", "--store", db, "--json")[1])["counts"] == {}
    code, out = _run("export", "--format", "csv", "--store", db, "--json")
    assert code == 1 and "graphml or jsonl" in json.loads(out)["error"]


def test_ingest_says_which_products_only_name_themselves(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    path = str(CORPUS / "lists" / "products_gbk.csv")
    code, out = _run("ingest", path, "--store", db, "--dry-run", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["undescribed_products"] == 8
    assert "高速干切滚齿机" in report["undescribed_examples"]
    said = runner.invoke(app, ["ingest", path, "--store", db, "--dry-run"]).stderr
    line = next(x for x in said.splitlines() if "只有名称和型号" in x)
    assert line.strip().startswith("8 个产品") and "高速干切滚齿机" in line
