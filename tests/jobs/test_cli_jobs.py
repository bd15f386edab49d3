"""The jobs' CLI commands, run as a user would (typer's runner over the real app)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app, build
from tests.jobs.test_consortium import small_store

runner = CliRunner()
build()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_consortium_command(tmp_path: Path) -> None:
    db = small_store(tmp_path).location
    code, out = _run("consortium", "p", "--alternatives", "2", "--with", "m3", "--fit", "lexical",
                     "--store", db, "--json")
    assert code == 0, out
    teams = json.loads(out)["alternatives"]
    assert teams and all("m3" in {m["id"] for m in t["members"]} for t in teams)
    assert set(teams[0]["parts"]) == {"fit", "cohesion"}
    code, out = _run("consortium", "p", "--roles", "design_institute=5", "--fit", "lexical",
                     "--store", db, "--json")
    assert code == 1 and "role design_institute" in json.loads(out)["error"]
    code, out = _run("consortium", "pm", "--fit", "lexical", "--store", db, "--json")
    assert code == 1 and "no node with id 'pm'" in json.loads(out)["error"]


def test_partners_command_and_batch(tmp_path: Path) -> None:
    db = small_store(tmp_path).location
    code, out = _run("partners", "old", "--top", "3", "--kind", "manufacturer", "--store", db, "--json")
    assert code == 0, out
    results = json.loads(out)["results"]
    assert len(results) == 3 and all(set(r) >= {"id", "score", "parts"} for r in results)
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        json.dumps({"project": "old", "members": ["u"]}) + "\n"
        + json.dumps({"project": {"title": "盾构 隧道", "description": ""}, "members": ["d1"], "kind": "research"})
        + "\n",
        encoding="utf-8",
    )
    code, out = _run("partners", "--batch", str(batch), "--top", "2", "--store", db)
    assert code == 0, out
    lines = [json.loads(x) for x in out.splitlines()]
    assert len(lines) == 2 and len(lines[1]["results"]) == 2
    assert set(lines[0]["results"][0]) >= {"id", "score", "parts"}
    # one bad line (a member not in the store, a line that is not JSON) is reported with its
    # line number; the other lines are still answered, and the exit code says something failed
    with batch.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"project": "old", "members": ["no-such-org"]}) + "\n{oops\n")
        fh.write(json.dumps({"project": "old", "members": ["u"]}) + "\n")
    code, out = _run("partners", "--batch", str(batch), "--top", "2", "--store", db)
    assert code != 0
    lines = [json.loads(x) for x in out.splitlines()]
    assert len(lines) == 5
    assert lines[2]["line"] == 3 and "no-such-org" in lines[2]["error"]
    assert lines[3]["line"] == 4 and "JSON" in lines[3]["error"]
    assert lines[4]["results"] == lines[0]["results"]


def test_transfers_and_shortlist_commands(tmp_path: Path) -> None:
    db = small_store(tmp_path).location
    code, out = _run("transfers", "--org", "m1", "--clearance", "secret", "--store", db, "--json")
    assert code == 0, out
    assert json.loads(out)["direction"] == "civil_to_military"
    code, out = _run("transfers", "--technology", "nope", "--store", db, "--json")
    assert code == 1
    code, out = _run("shortlist", "--size", "3", "--quota", "field:power.wind=1", "--store", db, "--json")
    assert code == 0, out
    assert json.loads(out)["pitches"] == []  # no pitches in this store


def test_eval_partners_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "organizations.csv").write_text(
        "id,name,kinds,region\n" + "".join(f"o{i},Org {i},university,IT\n" for i in range(6)), encoding="utf-8"
    )
    (data / "projects.csv").write_text(
        "id,name,owner_id,kind,region,description\np1,wind,o0,demonstration,IT,wind\np2,wind farm,o0,demonstration,IT,x\n",
        encoding="utf-8",
    )
    (data / "relations.csv").write_text(
        "source,type,target,role\n" + "".join(f"o{i},PARTICIPATES_IN,p1,participant\n" for i in range(4))
        + "o1,PARTICIPATES_IN,p2,participant\no2,PARTICIPATES_IN,p2,participant\n",
        encoding="utf-8",
    )
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"project": "p2", "members": ["o1"], "answer": "o2"}) + "\n")
    code, out = _run("eval", "partners", str(tasks), "--data", str(data), "--json")
    assert code == 0, out
    rows = {r["method"]: r for r in json.loads(out)["results"]}
    assert set(rows) == {"firstset", "hand_weights", "coparticipation", "tfidf", "ppr"}
    assert rows["firstset"]["n"] == 1 and rows["firstset"]["recall@10"] == 1.0
