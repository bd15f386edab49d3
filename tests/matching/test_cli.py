"""The CLI contract: ``suppliers`` (text, demand, batch, JSON and table), ``train``,
``eval suppliers`` — with the stand-in embedder so they run fast."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import build
from graph.networkx_store import NetworkxStore
from matching.scoring import Weights, fit_weights, read_feedback

from .conftest import small_graph

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cli.db"
    store = NetworkxStore(path)
    small_graph(store)
    store.close()
    return str(path)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(build(), list(args))
    return result.exit_code, result.stdout


def test_suppliers_json_contract(db: str) -> None:
    code, out = run("suppliers", "泥水平衡盾构机", "--store", db, "--embedder", "hash",
                    "--json", "--top", "3")
    assert code == 0, out
    payload = json.loads(out)
    assert len(payload["results"]) == 3
    hit = payload["results"][0]
    assert set(hit) == {"id", "name", "score", "parts", "evidence", "probability", "score_100",
                        "level"}
    assert sum(hit["parts"].values()) == pytest.approx(hit["score"], abs=1e-4)
    assert all(set(e) == {"kind", "id", "text", "score"} for e in hit["evidence"])


def test_suppliers_filters_and_demand(db: str) -> None:
    code, out = run("suppliers", "--demand", "dm:shield", "--store", db, "--embedder", "hash",
                    "--json", "--catalogued", "--local", "--field", "field:construction.tunnel")
    assert code == 0, out
    results = json.loads(out)["results"]
    assert {r["id"] for r in results} == {"org:shield", "org:tbm"}
    assert all("local" in r["parts"] for r in results)
    code, out = run("suppliers", "盾构", "--store", db, "--embedder", "hash", "--json",
                    "--insured", "--region", "重庆")
    assert [r["id"] for r in json.loads(out)["results"]] == ["org:shield"]


def test_suppliers_batch(db: str, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"text": "海上风电"}\n{"demand": "dm:shield"}\n{"demand": "dm:none"}\n',
                     encoding="utf-8")
    code, out = run("suppliers", "--batch", str(batch), "--store", db, "--embedder", "hash")
    assert code != 0, out  # one line failed: the exit code says so, after every line is answered
    lines = [json.loads(x) for x in out.splitlines()]
    assert len(lines) == 3
    assert lines[0]["results"][0]["id"] == "org:wind"
    assert lines[1]["results"]
    assert lines[2]["line"] == 3 and "dm:none" in lines[2]["error"]


def test_suppliers_table_and_errors(db: str) -> None:
    result = runner.invoke(build(), ["suppliers", "盾构机", "--store", db, "--embedder", "hash"])
    assert result.exit_code == 0
    code, out = run("suppliers", "--store", db, "--embedder", "hash", "--json")
    assert code != 0
    assert "exactly one" in json.loads(out)["error"]
    code, out = run("suppliers", "x", "--field", "nope", "--store", db, "--embedder", "hash",
                    "--json")
    assert code != 0
    assert "unknown field" in json.loads(out)["error"]


def test_train_saves_weights(db: str, tmp_path: Path) -> None:
    fb = tmp_path / "feedback.csv"
    rows = ["text,org,label"]
    for text, good, bad in [("泥水平衡盾构机", "org:shield", "org:wind"),
                            ("海上风电机组", "org:wind", "org:tbm"),
                            ("硬岩掘进机", "org:tbm", "org:wind"),
                            ("盾构机刀盘", "org:shield", "org:tbm")]:
        rows += [f"{text},{good},accepted", f"{text},{bad},rejected"]
    fb.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out_file = tmp_path / "w.json"
    code, out = run("train", str(fb), "--store", db, "--embedder", "hash", "--json",
                    "--out", str(out_file))
    assert code == 0, out
    weights = json.loads(out)["weights"]
    assert Weights.load(out_file).as_dict() == weights
    store = NetworkxStore(db)
    assert store.cache_get("matching", ["weights"])
    store.close()


def test_feedback_errors_are_gathered(tmp_path: Path) -> None:
    fb = tmp_path / "bad.csv"
    fb.write_text("text,org,label\n,org:a,maybe\nx,,yes\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"(?s)needs text.*maybe.*needs org"):
        read_feedback(fb)


def test_fit_weights_orders_by_evidence() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 3))
    y = (x[:, 0] * 2 + x[:, 2] * 0.5 + rng.standard_normal(400) * 0.3 > 0).astype(int)
    w = fit_weights(x, y, ["dense_org", "dense_item", "lexical"])
    assert w.dense_org > w.lexical > abs(w.dense_item) - 0.5
    assert w.dense_org + w.dense_item == pytest.approx(Weights().dense_org + Weights().dense_item)
    assert w.local == Weights().local


@pytest.mark.parametrize(("lines", "untranslated"), [(6, True), (4, False)])
def test_eval_suppliers_runs_three_modes(tmp_path: Path, lines: int, untranslated: bool) -> None:
    from .conftest import SUPPLIERS

    labels = tmp_path / "labels.jsonl"
    rows = (SUPPLIERS / "labels.jsonl").read_text(encoding="utf-8").splitlines()[:lines]
    labels.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out = run("eval", "suppliers", str(labels), "--corpus", str(SUPPLIERS),
                    "--embedder", "hash", "--json")
    assert code == 0, out
    modes = json.loads(out)["modes"]
    # q005 is English: hybrid and dense without its Chinese terms are reported beside it
    extra = {"hybrid_untranslated", "dense_untranslated"} if untranslated else set()
    assert set(modes) == {"hybrid", "dense", "lexical"} | extra
    assert modes["hybrid"]["all"]["queries"] == lines
    assert {"mrr", "recall@1", "recall@5", "recall@10", "ndcg@10"} <= set(modes["lexical"]["all"])

