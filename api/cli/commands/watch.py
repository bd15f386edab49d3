"""``firstset watch add|list|rm`` and ``firstset alerts``: watched demands and their alerts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.common import (
    JsonOpt,
    StoreOpt,
    console,
    emit_json,
    engine_for,
    fail,
    guarded,
    opened_store,
)
from api.information import CLI_OWNER, add_watch, open_watch_store
from api.settings import get_settings
from api.watch_store import parse_since
from matching.watches import DEFAULT_THRESHOLD

__all__ = ["register"]

watch_app = typer.Typer(
    help="关注需求，新数据命中时报警 / watch a demand; alerts when new data matches.",
    no_args_is_help=True,
)

OwnerOpt = Annotated[str | None, typer.Option(
    "--owner", help="Only this owner's: cli, or key:KEY_ID. 所有者")]
LABEL_ZH = {"Organization": "单位", "Equipment": "装备", "Patent": "专利", "Technology": "技术",
            "Pitch": "路演项目"}


@watch_app.command("add")
def add(
    text: Annotated[str | None, typer.Option("--text", help="需求描述 / demand text")] = None,
    demand: Annotated[str | None, typer.Option("--demand", help="Demand id. 需求编号")] = None,
    technology: Annotated[str | None, typer.Option(
        "--technology", help="Technology id: items like it. 技术编号")] = None,
    threshold: Annotated[float, typer.Option(
        "--threshold", help="Standard deviations above a typical item (default 2). 阈值")
    ] = DEFAULT_THRESHOLD,
    rate: Annotated[str, typer.Option(
        "--rate", help="immediate | daily | weekly (webhook delivery). 推送频率")] = "immediate",
    field: Annotated[str | None, typer.Option("--field", help="Field id or name. 领域")] = None,
    label: Annotated[list[str] | None, typer.Option(
        "--label", help="Equipment, Patent, Technology, Pitch, Organization (default all).")
    ] = None,
    webhook: Annotated[str | None, typer.Option(
        "--webhook", help="POST alerts here (signed). 推送地址")] = None,
    clearance: Annotated[str, typer.Option(
        "--clearance", help="public|restricted|secret: what the watch may see")] = "public",
    embedder: Annotated[str | None, typer.Option(
        "--embedder", envvar="FIRSTSET_EMBEDDER",
        help="e5+use (default), e5, use, hash, st:MODEL")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """保存一个关注 / save a watch (refused if it would alert on nearly everything)."""
    with guarded(as_json), opened_store(store) as st:
        engine = engine_for(st, embedder, progress=not as_json)
        db = open_watch_store()
        try:
            record = add_watch(
                db, st, engine, owner=CLI_OWNER, clearance=clearance, text=text, demand=demand,
                technology=technology, field=field, labels=label, threshold=threshold,
                rate=rate, webhook=webhook, settings=get_settings())
        finally:
            db.close()
    out = record.to_json()
    if record.secret:
        out["secret"] = record.secret  # shown once: it signs the webhook bodies
    if as_json:
        emit_json(out)
        return
    console.print(f"[green]已保存关注 / watch saved[/] {record.id}: {escape(record.query[:80])}")
    if record.secret:
        console.print(f"  webhook 签名密钥（仅显示一次）/ signing secret, shown once: {record.secret}")


@watch_app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Closed ones too. 含已删除")] = False,
    owner: OwnerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """列出关注 / list watches (every owner's unless --owner: the CLI is the operator's)."""
    with guarded(as_json):
        db = open_watch_store()
        try:
            watches = db.watches(owner=owner, open_only=not all_)
        finally:
            db.close()
    if as_json:
        emit_json({"watches": [w.to_json() for w in watches]})
        return
    table = Table(title="关注 watches")
    for col in ("id", "关注内容 query", "阈值 threshold", "频率 rate", "所有者 owner"):
        table.add_column(col)
    for w in watches:
        table.add_row(w.id, escape(w.query[:60]), f"{w.threshold:g}", w.rate, w.owner)
    console.print(table)


@watch_app.command("rm")
def rm(
    watch_id: Annotated[str, typer.Argument(help="Watch id. 关注编号")],
    as_json: JsonOpt = False,
) -> None:
    """删除关注 / remove a watch (its alerts stay listed)."""
    with guarded(as_json):
        db = open_watch_store()
        try:
            done = db.close_watch(watch_id, owner=None)
        finally:
            db.close()
    if not done:
        raise fail(f"没有该关注 / no open watch {watch_id!r}", as_json=as_json)
    if as_json:
        emit_json({"id": watch_id, "removed": True})
    else:
        console.print(f"已删除 / removed {watch_id}")


def alerts(
    since: Annotated[str | None, typer.Option(
        "--since", help="ISO date-time: only alerts after it. 起始时间")] = None,
    watch: Annotated[str | None, typer.Option("--watch", help="One watch's alerts. 关注编号")
                     ] = None,
    deliver: Annotated[bool, typer.Option(
        "--deliver", help="Send the webhook deliveries that are due first. 先推送")] = False,
    owner: OwnerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """列出报警 / list alerts, oldest first (every owner's unless --owner)."""
    from api.delivery import deliver_due

    with guarded(as_json):
        after = parse_since(since)
        db = open_watch_store()
        try:
            sent = deliver_due(db).to_json() if deliver else None
            found = db.alerts(owner=owner, since=after, watch=watch)
        finally:
            db.close()
    if as_json:
        payload: dict[str, object] = {"alerts": [a.to_json() for a in found]}
        if sent is not None:
            payload["delivery"] = sent
        emit_json(payload)
        return
    table = Table(title="报警 alerts", show_lines=True)
    for col in ("id", "关注 watch", "命中 item", "得分 score", "依据 evidence", "批次 load"):
        table.add_column(col)
    for a in found:
        ev = "\n".join(escape(str(e.get("text", ""))) for e in a.evidence)
        table.add_row(a.id, a.watch, f"{LABEL_ZH.get(a.label, a.label)} {escape(a.name)}\n"
                      f"[dim]{escape(a.item)}[/]", f"{a.score:.2f}", ev, a.load)
    console.print(table)
    if sent is not None:
        console.print(f"推送 delivered {sent['sent']}, 失败 failed {sent['failed']}")


def register(app: typer.Typer) -> None:
    app.add_typer(watch_app, name="watch")
    app.command("alerts")(alerts)
