"""The IP and tender services: ``firstset ip-risk``, ``firstset tender-check`` and
``firstset eval tender``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.common import (
    EmbedderOpt,
    JsonOpt,
    StoreOpt,
    benchmark,
    console,
    emit_json,
    engine_for,
    guarded,
    opened_store,
)

__all__ = ["register", "tender_input"]

ClearanceOpt = Annotated[
    str, typer.Option("--clearance", help="Caller clearance: public, restricted, secret. 密级")
]
LEVEL_STYLE = {"high": "bold red", "medium": "yellow", "low": "green"}


def ip_risk_cmd(
    equipment: Annotated[str | None, typer.Option("--equipment", help="Equipment id. 装备编号")] = None,
    org: Annotated[str | None, typer.Option("--org", help="The maker (with --demand or --text). 制造方")] = None,
    demand: Annotated[str | None, typer.Option("--demand", help="Demand id: the product planned. 需求编号")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Product description. 产品描述")] = None,
    partners: Annotated[list[str] | None, typer.Option("--with", help="Partner to leave out (repeat). 合作方")] = None,
    ipc: Annotated[list[str] | None, typer.Option("--ipc", help="The product's IPC code (repeat).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=200, help="How many patents.")] = 10,
    years: Annotated[int, typer.Option("--years", min=0, max=30, help="Expiring within N years.")] = 3,
    clearance: ClearanceOpt = "public",
    embedder: EmbedderOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """IP early warning: others' patents close to a product. 知识产权预警"""
    from matching.ip_risk import IpRiskQuery, ip_risk

    query = IpRiskQuery(equipment=equipment, org=org, demand=demand, text=text,
                        partners=tuple(partners or ()), ipc=tuple(ipc or ()), top=top,
                        years=years)
    with guarded(as_json), opened_store(store) as s:
        query.check()
        report = ip_risk(engine_for(s, embedder, progress=not as_json), query, clearance=clearance)
    payload = report.to_json()
    if as_json:
        emit_json(payload)
        return
    subj = payload["subject"]
    makers = "、".join(m["name"] for m in subj.get("makers", [])) or "—"
    console.print(f"[bold]{escape(str(subj.get('name')))}[/]  制造方 maker: {escape(makers)}  "
                  f"排除 excluded: {subj['excluded_count']}  IPC: {', '.join(subj['ipc']) or '—'}")
    table = Table(title="相近专利 / close patents of others")
    for col in ("level", "patent", "title", "owner", "sim", "shared IPC", "in force", "expires"):
        table.add_column(col)
    for r in payload["risks"]:
        style = LEVEL_STYLE.get(r["level"], "")
        force = {True: "有效", False: "否", None: "?"}[r["in_force"]]
        table.add_row(f"[{style}]{r['level']}[/]", r["patent"], escape(r["title"]),
                      escape(r["owner"]["name"]), f"{r['similarity']:.3f}",
                      ", ".join(r["shared_ipc"]), force, r["expires"] or "?")
    console.print(table)
    for f in payload["fields"]:
        console.print(f"• {escape(f['name'])}: {escape(f['why'])}")


def tender_input(source: str) -> str:
    """The tender text: ``source`` is a file (.docx, .txt) when it names one, else the text."""
    from graph.errors import InvalidRequest
    from matching.tender import read_tender

    candidate = Path(source) if len(source) < 1024 and "\n" not in source else None
    if candidate is not None and candidate.is_file():
        return read_tender(candidate)
    if candidate is not None and candidate.suffix.lower() in (".docx", ".txt", ".doc", ".pdf"):
        raise InvalidRequest(f"{source}: 文件不存在 / no such file", field="file")
    return source


def _store_exists(location: str | None) -> bool:
    """False for an embedded store file that does not exist (opening it would create it)."""
    where = location or "firstset.db"
    return "://" in where or Path(where).is_file()


def tender_check_cmd(
    source: Annotated[str, typer.Argument(help="A .docx or .txt file, or the text itself. 招标文件或文本")],
    catalogue: Annotated[
        bool, typer.Option("--catalogue/--no-catalogue",
                           help="Compare parameters with the store's equipment (default on). 比对目录产品")
    ] = True,
    clearance: ClearanceOpt = "public",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark tender clauses that break 渝府办发〔2018〕170号 十四. 招标文件合规提示"""
    from matching.tender import catalogue_from_store, check_tender

    with guarded(as_json):
        text = tender_input(source)
        products: list[Any] = []
        if catalogue and _store_exists(store):  # no store yet: nothing to compare with
            with opened_store(store) as s:
                products = catalogue_from_store(s, clearance)
        report = check_tender(text, products=products)
    payload = report.to_json()
    if as_json:
        emit_json(payload)
        return
    console.print(f"{payload['clauses']} 条款 clauses, {len(payload['findings'])} 处提示 findings")
    for f in payload["findings"]:
        console.print(f"[bold red]{f['kind']}[/] [{f['number'] or '#' + str(f['index'] + 1)}] "
                      f"{escape(f['clause'])}\n  依据 rule: {escape(f['rule'])}\n"
                      f"  原因 why: {escape(f['why'])}\n  建议 suggestion: {escape(f['suggestion'])}")


def eval_tender_cmd(
    labels: Annotated[Path, typer.Argument(help='JSONL: {"text": …, "kinds": [...]} per line.')],
    as_json: JsonOpt = False,
) -> None:
    """Precision and recall of the tender check vs a keyword baseline. 招标检查评估"""
    from matching.tender import evaluate_tender

    with guarded(as_json):
        result = evaluate_tender(labels)
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"{result['clauses']} clauses ({result['compliant']} compliant)")
    for col in ("method", "precision", "recall", "f1", "tp", "fp", "fn"):
        table.add_column(col)
    for name in ("rules", "baseline"):
        r = result[name]
        table.add_row(name, f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}",
                      str(r["tp"]), str(r["fp"]), str(r["fn"]))
    console.print(table)
    for e in result["errors"][:20]:
        console.print(f"{e['error']} {e['kind']} (line {e['line']}): {escape(e['text'])}")


def bench_ip_risk_cmd(
    orgs: Annotated[int, typer.Option("--orgs", help="Organisations.")] = 100_000,
    patents: Annotated[int, typer.Option("--patents", help="Patents.")] = 1_000_000,
    queries: Annotated[int, typer.Option("--queries", help="Timed product queries.")] = 100,
    text_queries: Annotated[int, typer.Option("--text-queries", help="Timed text queries.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """基准测试 / ip-risk latency over synthetic patents, against a numpy brute-force peer."""
    with guarded(as_json):
        result = benchmark("bench_ip_risk").run(orgs, patents, queries, text_queries)
    if as_json:
        emit_json(result)
        return
    table = Table(title="bench ip-risk")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for k, v in result.items():
        table.add_row(k, str(v))
    console.print(table)


def register(app: typer.Typer) -> None:
    from api.cli import bench_app, eval_app

    bench_app.command("ip-risk")(bench_ip_risk_cmd)

    app.command("ip-risk")(ip_risk_cmd)
    app.command("tender-check")(tender_check_cmd)
    eval_app.command("tender")(eval_tender_cmd)
