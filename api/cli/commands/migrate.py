"""``firstset migrate`` (embedded ⇄ Bolt server) and ``firstset bench bolt``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from api.cli.common import JsonOpt, benchmark, console, emit_json, fail, guarded, opened_store
from graph.migrate import copy_store

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    from api.cli import bench_app

    @app.command("migrate")
    def migrate(
        source: Annotated[
            str, typer.Option("--from", help="Source store: a file path or a bolt:// URL. 源")
        ],
        target: Annotated[
            str, typer.Option("--to", help="Target store: a bolt:// URL or a file path. 目标")
        ],
        batch_size: Annotated[
            int, typer.Option("--batch-size", min=1, help="Nodes or edges per transaction.")
        ] = 5000,
        merge: Annotated[
            bool,
            typer.Option(
                "--merge",
                help="Allow a non-empty target; counts must then be at least the source's.",
            ),
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Copy a store into another (embedded → Bolt server, or back) and verify counts. 迁移"""
        with guarded(as_json), opened_store(source) as src, opened_store(target) as dst:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                disable=as_json,
                transient=False,
            ) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(kind: str, done: int, total: int) -> None:
                    if kind not in tasks:
                        label = "节点 nodes" if kind == "nodes" else "关系 edges"
                        tasks[kind] = bar.add_task(label, total=total)
                    bar.update(tasks[kind], completed=done, total=total)

                report = copy_store(src, dst, batch_size=batch_size, merge=merge, progress=progress)
            payload = {
                "source": report.source,
                "target": report.target,
                "nodes": report.nodes,
                "edges": report.edges,
                "nodes_written": report.nodes_written,
                "edges_written": report.edges_written,
                "unchanged": report.unchanged,
                "verified": report.verified,
                "mismatches": {
                    k: {"source": a, "target": b} for k, (a, b) in report.mismatches.items()
                },
                "counts": report.target_counts,
            }
            if not report.verified:
                raise fail(
                    "counts differ after the copy / 迁移后计数不一致",
                    as_json=as_json,
                    details=payload,
                )
            if as_json:
                emit_json(payload)
                return
            table = Table(
                "label / type", "source", "target", title=f"{report.source} → {report.target}"
            )
            for key in sorted(report.source_counts):
                table.add_row(
                    key, str(report.source_counts[key]), str(report.target_counts.get(key, 0))
                )
            console.print(table)
            console.print(
                f"[green]verified[/]: {report.nodes} nodes and {report.edges} edges "
                f"({report.nodes_written + report.edges_written} written, "
                f"{report.unchanged} already there)"
            )

    @bench_app.command("bolt")
    def bench_bolt_cmd(
        url: Annotated[
            str | None,
            typer.Option(
                "--url",
                envvar="FIRSTSET_TEST_BOLT",
                help="Bolt server to measure (its database is cleared!).",
            ),
        ] = None,
        nodes: Annotated[int, typer.Option(help="Nodes to load.")] = 100_000,
        edges: Annotated[int, typer.Option(help="Relationships to load.")] = 500_000,
        queries: Annotated[int, typer.Option(help="2-hop queries to time per store.")] = 30,
        batch_size: Annotated[int, typer.Option("--batch-size", help="Items per upsert.")] = 10_000,
        workdir: Annotated[
            Path | None, typer.Option(help="Folder for the embedded store file.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Bulk load and 2-hop neighbourhood: Bolt server against the embedded store. Bolt 基准"""
        run_bench = benchmark("bolt").run_bench

        if not url:
            raise fail(
                "no Bolt server: pass --url bolt://… or set FIRSTSET_TEST_BOLT", as_json=as_json
            )
        with guarded(as_json):
            result = run_bench(
                url,
                n_nodes=nodes,
                n_edges=edges,
                n_queries=queries,
                batch_size=batch_size,
                workdir=workdir,
                log=None if as_json else (lambda m: console.print(m, highlight=False)),
            )
            if as_json:
                emit_json(result)
                return
            table = Table(
                "measure",
                "embedded (networkx+SQLite)",
                "bolt",
                "bolt / embedded",
                title=f"{nodes} nodes, {edges} relationships",
            )
            for key, label in (
                ("load_s", "bulk load, s"),
                ("two_hop_median_ms", "2-hop neighbourhood median, ms"),
                ("two_hop_p90_ms", "2-hop neighbourhood p90, ms"),
            ):
                a, b = result["embedded"][key], result["bolt"][key]
                table.add_row(label, f"{a:.2f}", f"{b:.2f}", f"{b / a:.1f}×" if a else "–")
            console.print(table)
            console.print(json.dumps(result["setup"], ensure_ascii=False))
