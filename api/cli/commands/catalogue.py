"""``firstset catalogue diff|entries|status``, ``firstset insurance ID`` and
``firstset evaluations``: the catalogue over time, insurance compensation, evaluations."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.common import JsonOpt, StoreOpt, console, emit_json, guarded, opened_store
from api.settings import get_settings
from graph.clearance import check_clearance

__all__ = ["register"]

catalogue_app = typer.Typer(
    help="目录（动态调整）/ the catalogue over time: batches, entries, status.",
    no_args_is_help=True,
)
ClearanceOpt = Annotated[str, typer.Option("--clearance", help="public|restricted|secret")]
OnOpt = Annotated[str | None, typer.Option(
    "--on", help="ISO date (default today): in the catalogue on this day. 日期")]


@catalogue_app.command("diff")
def diff(
    a: Annotated[str, typer.Argument(help="Batch A (e.g. national-2023). 批次 A")],
    b: Annotated[str, typer.Argument(help="Batch B. 批次 B")],
    clearance: ClearanceOpt = "public",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """两批目录之间新列入与移出的装备 / what entered and left between two batches."""
    from matching.catalogue import catalogue_diff

    with guarded(as_json), opened_store(store) as st:
        out = catalogue_diff(st, a, b, clearance=check_clearance(clearance))
    if as_json:
        emit_json(out)
        return
    table = Table(title=f"目录变化 catalogue {a} → {b}（保留 kept {out['kept']}）")
    for col in ("变化 change", "装备 equipment", "批次 batch", "日期 date", "原因 reason"):
        table.add_column(col)
    for e in out["entered"]:
        table.add_row("[green]列入 entered[/]", f"{escape(e['name'])} {e['equipment']}",
                      e["batch"], e["entered"], "")
    for e in out["left"]:
        table.add_row("[red]移出 left[/]", f"{escape(e['name'])} {e['equipment']}", e["batch"],
                      e["exited"] or "", escape(e["exit_reason"] or ""))
    console.print(table)


@catalogue_app.command("entries")
def entries(
    equipment: Annotated[str | None, typer.Option("--equipment", help="Equipment id. 装备")
                         ] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="One batch. 批次")] = None,
    on: OnOpt = None,
    clearance: ClearanceOpt = "public",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """目录条目及其在某日是否有效 / catalogue entries, and whether each is in force on a day."""
    from matching.catalogue import catalogue_entries, parse_day

    with guarded(as_json), opened_store(store) as st:
        day = parse_day(on)
        found = catalogue_entries(st, clearance=check_clearance(clearance), equipment=equipment,
                                  batch=batch)
    import datetime as dt

    when = day or dt.date.today()
    rows = [e.to_json() | {"active": e.active_on(when)} for e in found]
    if as_json:
        emit_json({"on": when.isoformat(), "entries": rows})
        return
    table = Table(title=f"目录条目 catalogue entries on {when}")
    for col in ("id", "装备 equipment", "批次 batch", "列入 entered", "移出 exited", "有效 active"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], f"{escape(r['name'])} {r['equipment']}", r["batch"],
                      r["entered"], r["exited"] or "", "✓" if r["active"] else "")
    console.print(table)


@catalogue_app.command("status")
def status(
    equipment: Annotated[str, typer.Argument(help="Equipment id. 装备编号")],
    on: OnOpt = None,
    clearance: ClearanceOpt = "public",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """装备状态（目录、评价、保险）/ an equipment's status with its history."""
    from matching.catalogue import parse_day
    from matching.evaluations import equipment_status

    with guarded(as_json), opened_store(store) as st:
        out = equipment_status(st, equipment, clearance=check_clearance(clearance),
                               day=parse_day(on))
    if as_json:
        emit_json(out)
        return
    console.print(f"[bold]{escape(out['name'])}[/] {equipment}: {out['status']} ({out['on']})")
    for r in out["reasons"]:
        console.print(f"  · {escape(r)}")


def insurance(
    node_id: Annotated[str, typer.Argument(help="Catalogue entry or equipment id. 条目或装备编号")],
    clearance: ClearanceOpt = "public",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """首台套保险补偿测算 / insurance compensation the policy allows, with each condition."""
    from matching.insurance import InsuranceRule, insurance_for

    s = get_settings()
    rule = InsuranceRule(max_rate=s.insurance_max_rate, share=s.insurance_share,
                         max_years=s.insurance_max_years)
    with guarded(as_json), opened_store(store) as st:
        answer = insurance_for(st, node_id, rule, clearance=check_clearance(clearance))
    out = answer.to_json()
    if as_json:
        emit_json(out)
        return
    verdict = "[green]可补偿 eligible[/]" if answer.eligible else "[red]不适用 not eligible[/]"
    console.print(f"{verdict}: {answer.compensation_wan:g} 万元 (entry {answer.entry})")
    for c in answer.conditions:
        console.print(f"  {'✓' if c.ok else '✗'} {c.name}: {escape(c.detail)}")


def evaluations_cmd(
    equipment: Annotated[str | None, typer.Option("--equipment", help="Equipment id. 装备")
                         ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Maker id. 制造单位")] = None,
    clearance: ClearanceOpt = "public",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """示范效果评价 / demonstration evaluations (shown, never ranked on)."""
    from matching.evaluations import evaluations

    with guarded(as_json), opened_store(store) as st:
        found = evaluations(st, clearance=check_clearance(clearance), equipment=equipment,
                            org=org)
    if as_json:
        emit_json({"evaluations": [e.to_json() for e in found]})
        return
    table = Table(title="示范效果评价 evaluations")
    for col in ("id", "装备 equipment", "评价单位 body", "日期 date", "结论 verdict", "独立 independent"):
        table.add_column(col)
    for e in found:
        table.add_row(e.id, escape(e.equipment_name), escape(e.body_name), e.date.isoformat(),
                      e.verdict, "✓" if e.independent else "✗ " + escape("; ".join(e.problems)))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(catalogue_app, name="catalogue")
    app.command("insurance")(insurance)
    app.command("evaluations")(evaluations_cmd)
