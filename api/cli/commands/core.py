"""Core commands: ingest, stats, show, export, demo."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.common import (
    JsonOpt,
    StoreOpt,
    benchmark,
    console,
    emit_json,
    fail,
    guarded,
    opened_store,
)
from api.cli.progress import stage_bars
from graph.errors import NodeNotFound
from graph.export import export_graphml, export_jsonl
from graph.taxonomy import FieldEmbed
from ingest.headers import LIST_KINDS
from ingest.load import LoadReport, load_paths

__all__ = ["DEMO_DIR", "register"]

DEMO_DIR = Path("data/demo")


def _print_load(report: LoadReport, *, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_json())
        return
    w = report.written
    verb = "检查通过（未写入）/ checked, nothing written" if report.dry_run else "已导入 / loaded"
    console.print(
        f"[green]{verb}[/]: {report.rows} 行 rows → {report.nodes} 节点 nodes, {report.edges} 关系 edges"
    )
    if w is not None:
        console.print(
            f"  新建 created {w.nodes_created}+{w.edges_created}, 更新 updated "
            f"{w.nodes_updated}+{w.edges_updated}, 未变 unchanged {w.unchanged}"
        )
    for group in report.merged[:10]:
        console.print(f"  合并 merged: {' = '.join(group)}")
    if report.likely_duplicates:
        console.print(
            f"  [yellow]疑似重复（未合并）likely duplicates, not merged: {len(report.likely_duplicates)}[/]"
        )
        for a, b, score in report.likely_duplicates[:10]:
            console.print(f"    {a} ~ {b} ({score})")
    if report.undescribed_products:
        names = "、".join(escape(n) for n in report.undescribed_examples)
        more = "等" if report.undescribed_products > len(report.undescribed_examples) else ""
        console.print(
            f"  [yellow]{report.undescribed_products} 个产品只有名称和型号，没有产品说明（{names}{more}）："
            "按功能描述的需求难以找到其厂家，建议补充用途和技术指标 / products with only a name and "
            "model number: demands told by function will hardly find their makers[/]"
        )
    if report.rejected:
        console.print(
            f"  [yellow]跳过 {report.rejected} 行无效数据 / skipped invalid rows → {report.rejects_file}[/]"
        )
    _print_lists(report)


def _print_lists(report: LoadReport) -> None:
    """What a load says about the lists: how each table was read, organisations to review,
    field texts resolved and kept as text."""
    for t in report.tables:
        if not report.dry_run and t["how"] == "file name" and t["kind"] not in LIST_KINDS:
            continue  # an interchange file read as named: nothing to tell outside a dry run
        if t.get("skipped"):
            console.print(f"  [yellow]跳过 skipped[/] {escape(t['file'])}: {t['skipped']}")
            continue
        title = f" · {escape(t['title'])}" if t.get("title") else ""
        console.print(
            f"  [bold]{escape(t['file'])}[/] → {t['kind']} (表头第 {t['header_line']} 行 header "
            f"line, {t['how']}){title}"
        )
        if t.get("catalogue"):
            console.print(f"    目录 catalogue: {t['catalogue']['code']}")
        for c in t["columns"]:
            header = escape(c["header"] or "(空 empty)")
            console.print(f"    {c['col']:>2}. {header} → {escape(c['became'])}")
    if report.organizations:
        o = report.organizations
        console.print(
            f"  列表中的组织 organisations named by lists: 已有 known {o['known']}, 新建 new "
            f"{o['new']}, 待核对 review {o['review']}"
        )
    for item in report.review:
        cands = "; ".join(f"{c['name']} ({c['id']}, {c['score']})" for c in item["candidates"])
        console.print(
            f"  [yellow]待核对 review[/] {escape(item['file'])}:{item['line']} "
            f"{escape(item['name'])}: {escape(item['reason'])} → {escape(cands)}"
        )
    for m in report.field_matches:
        console.print(
            f"  领域 field {escape(m['value'])} → {m['field']} ({m['how']}, {m['confidence']}, "
            f"{m['rows']} 行 rows)"
        )
    for w in report.field_warnings:
        close = "、".join(s["name"] for s in w["suggestions"])
        console.print(
            f"  [yellow]领域未识别，按文本保留 / field kept as text[/]: {escape(w['value'])} "
            f"({w['rows']} 行 rows; 相近 close: {escape(close)})"
        )


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Folders, CSV/JSONL files or XLSX workbooks. 数据文件")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check only; write nothing. 仅检查")
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Write valid rows; list rejects in a file beside the input. 跳过无效行",
        ),
    ] = False,
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Header map: FILE.toml, or 表头=列名 (repeat; 列名 - drops the column). 表头映射",
        ),
    ] = None,
    strict_fields: Annotated[
        bool,
        typer.Option(
            "--strict-fields",
            help="Field text that does not resolve is an error, not a warning. 领域须可识别",
        ),
    ] = False,
    field_embedder: Annotated[
        str,
        typer.Option(
            "--field-embedder",
            help="Embedder for field text no rule resolves (e5, hash, none). 领域语义匹配",
        ),
    ] = "e5",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load interchange files, product lists, directories, patent exports: all rows or none.
    导入数据（全部成功或全部不写入）"""
    from ingest.mapping import read_options

    with guarded(as_json), opened_store(store) as s, stage_bars(not as_json) as bars:
        report = load_paths(
            s,
            [str(p) for p in paths],
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            progress=bars,
            options=read_options(maps or []),
            strict_fields=strict_fields,
            field_embed=None if field_embedder == "none" else _lazy_embed(field_embedder),
        )
        from api.information import after_load  # watches (#16): percolate what it brought

        after_load(s, report)
    _print_load(report, as_json=as_json)


def _lazy_embed(name: str) -> FieldEmbed:
    """An embedding function that loads its model on first use (most loads never need it)."""
    held: list[Any] = []

    def embed(texts: Sequence[str]) -> Any:
        if not held:
            from matching.embedders import make_embedder

            held.append(make_embedder(name))
        return held[0].embed_queries(list(texts))

    return embed


def stats(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Node and relationship counts. 统计"""
    with guarded(as_json), opened_store(store) as s:
        counts = s.counts()
        where = s.location
    if as_json:
        emit_json({"store": where, "counts": counts})
        return
    table = Table(title=f"firstset — {where}")
    table.add_column("类型 kind")
    table.add_column("数量 count", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)


def show(
    node_id: Annotated[str, typer.Argument(help="Node id. 节点编号")],
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One node, its properties and its relationships. 查看节点"""
    with guarded(as_json), opened_store(store) as s:
        try:
            node = s.get(node_id)
        except NodeNotFound as exc:
            raise fail(str(exc), as_json=as_json) from exc
        edges = s.edges_of(node_id)
        names = {
            n.id: n.title for n in s.get_many({e.source for e in edges} | {e.target for e in edges})
        }
    if as_json:
        emit_json(
            {
                "id": node.id,
                "label": node.label,
                "props": dict(node.props),
                "edges": [
                    {"source": e.source, "type": e.type, "target": e.target, "props": dict(e.props)}
                    for e in edges
                ],
            }
        )
        return
    console.print(f"[bold]{node.title}[/] ({node.label}, {node.id})")
    for key, value in node.props.items():
        console.print(f"  {key}: {escape(str(value))}")
    for e in edges:
        arrow = (
            f"-[{e.type}]-> {names.get(e.target, e.target)}"
            if e.source == node_id
            else f"<-[{e.type}]- {names.get(e.source, e.source)}"
        )
        console.print(f"  {escape(arrow)} {escape(str(dict(e.props) or ''))}")


def export(
    fmt: Annotated[str, typer.Option("--format", help="graphml or jsonl")] = "jsonl",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output file (jsonl: default stdout)")
    ] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the whole graph. 导出图谱"""
    if fmt not in ("graphml", "jsonl"):
        raise fail(f"--format must be graphml or jsonl, not {fmt!r}", as_json=as_json)
    with guarded(as_json), opened_store(store) as s:
        if fmt == "graphml":
            target = out or Path("firstset.graphml")
            n_nodes, n_edges = export_graphml(s, target)
            summary = {"format": fmt, "file": str(target), "nodes": n_nodes, "edges": n_edges}
        elif out is None:
            export_jsonl(s, sys.stdout)
            return
        else:
            with out.open("w", encoding="utf-8") as fh:
                summary = {"format": fmt, "file": str(out), "lines": export_jsonl(s, fh)}
    if as_json:
        emit_json(summary)
    else:
        console.print(f"[green]已导出 exported[/] {summary}")


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Where the demo files are written. 演示数据目录")
    ] = DEMO_DIR,
    scale: Annotated[float, typer.Option("--scale", help="Size multiplier. 规模倍数")] = 1.0,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    regenerate: Annotated[
        bool, typer.Option("--regenerate", help="Write the files again even if present.")
    ] = False,
    index: Annotated[
        bool,
        typer.Option(
            "--index/--no-index",
            help="Embed the texts for matching now, so the first search is fast. 预建匹配索引",
        ),
    ] = True,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate (if needed) and load the Chongqing demo ecosystem. 加载演示数据"""
    from ingest.generate.demo import write_demo
    from matching.engine import MatchingEngine

    with guarded(as_json):
        if regenerate or not (out / "organizations.csv").exists():
            with stage_bars(not as_json) as bars:
                write_demo(
                    out, scale=scale, seed=seed, progress=lambda stage, n: bars(stage, n, None)
                )
        with opened_store(store) as s:
            with stage_bars(not as_json) as bars:
                report = load_paths(s, [str(out)], progress=bars)
            _print_load(report, as_json=as_json)
            from api.information import after_load  # watches (#16)

            after_load(s, report)
            if index:  # vectors are cached in the store: a second run embeds nothing
                if not as_json:
                    console.print("向量化 embedding texts for matching (multilingual-e5-small)…")
                MatchingEngine(s, progress=not as_json).refresh()


def bench_ingest_cmd(
    scale: Annotated[
        float, typer.Option("--scale", help="Demo generator scale (333 ≈ 100k orgs, 1M patents).")
    ] = 10.0,
    runs: Annotated[int, typer.Option("--runs", min=1)] = 3,
    work: Annotated[
        Path, typer.Option("--work", help="Scratch folder for data and stores.")
    ] = Path(".cache/bench"),
    as_json: JsonOpt = False,
) -> None:
    """Ingest speed and memory against a plain csv+sqlite3 peer. 导入性能基准"""
    bench_ingest = benchmark("ingest").bench_ingest
    from ingest.generate.demo import write_demo

    folder = work / f"data-scale{scale:g}"
    if not (folder / "relations.csv").exists():
        console.print(f"生成数据 generating scale {scale:g} → {folder}")
        write_demo(folder, scale=scale)
    summary = bench_ingest(folder, work, runs=runs, say=lambda m: console.print(m))
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"rows {summary['rows']:,}: firstset {summary['firstset_rows_per_s']:,.0f} rows/s "
        f"(peak {summary['firstset_peak_mb']:,.0f} MB) · peer csv+sqlite3 {summary['peer_rows_per_s']:,.0f} rows/s "
        f"(peak {summary['peer_peak_mb']:,.0f} MB) · ratio {summary['ratio_firstset_to_peer']:.2f} · "
        f"reopen {summary['reopen_s']:.1f} s (peak {summary['reopen_peak_mb']:,.0f} MB)"
    )


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(stats)
    app.command()(show)
    app.command()(export)
    app.command()(demo)
    from api.cli import bench_app

    bench_app.command("ingest")(bench_ingest_cmd)
