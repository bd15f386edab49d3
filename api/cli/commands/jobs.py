"""The jobs beyond supplier search: consortium, partners, transfers, shortlist, and their eval and
bench commands."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.common import (
    JsonOpt,
    StoreOpt,
    batch_lines,
    benchmark,
    console,
    emit_json,
    engine_for,
    fail,
    guarded,
    opened_store,
    run_batch,
)
from api.cli.progress import stage_bars
from graph.errors import InvalidRequest
from graph.store import GraphStore
from matching.jobs_common import ModeFit, OrgFit

__all__ = ["make_engine", "make_fit", "register"]

Mode = Literal["hybrid", "dense", "lexical"]

ClearanceOpt = Annotated[
    str, typer.Option("--clearance", help="Caller clearance: public, restricted, secret. 密级")
]
FitOpt = Annotated[
    str,
    typer.Option(
        "--fit",
        help="Text fit: 'engine' (the matching engine, default embedder) or 'lexical' (TF-IDF).",
    ),
]


def make_engine(store: GraphStore, kind: str = "engine") -> tuple[Any, Mode]:
    """The matching engine over ``store`` and the mode to run it in: ``engine`` (the default
    embedder, dense + lexical) or ``lexical`` (TF-IDF only; a hashing embedder stands in, since
    no vector is used)."""
    from api.services import default_engine, plumbing_engine

    if kind == "lexical":
        return plumbing_engine(store), "lexical"
    if kind != "engine":
        raise InvalidRequest("--fit must be 'engine' or 'lexical'", field="fit")
    return default_engine(store), "hybrid"


def make_fit(store: GraphStore, kind: str = "engine") -> OrgFit:
    """The organisation fit the consortium job ranks with (see :func:`make_engine`)."""
    engine, mode = make_engine(store, kind)
    return engine if mode == "hybrid" else ModeFit(engine, mode)


def _parts(parts: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in parts.items() if v)


def consortium(
    project_id: Annotated[str, typer.Argument(help="Project id. 项目编号")],
    roles: Annotated[
        list[str] | None,
        typer.Option("--roles", help="Roles to fill, ROLE or ROLE=N (repeat or comma-separate); default all six."),
    ] = None,
    with_ids: Annotated[
        list[str] | None, typer.Option("--with", help="Organisation already agreed (repeat). 已确定成员")
    ] = None,
    alternatives: Annotated[int, typer.Option("--alternatives", min=1, help="How many different teams.")] = 3,
    local: Annotated[bool, typer.Option("--local", help="Chongqing organisations only. 仅本地")] = False,
    clearance: ClearanceOpt = "public",
    fit: FitOpt = "engine",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Form demonstration consortia for a project. 组建示范应用联合体"""
    from matching.consortium import ConsortiumRequest, form_consortia, parse_roles

    with guarded(as_json), opened_store(store) as s:
        req = ConsortiumRequest(
            project_id,
            parse_roles(roles),
            tuple(with_ids or ()),
            local,
            clearance,
            alternatives,
        )
        result = form_consortia(s, req, fit=make_fit(s, fit))
    if as_json:
        emit_json({"project_id": project_id, "alternatives": [c.to_json() for c in result]})
        return
    for n, c in enumerate(result, 1):
        table = Table(title=f"方案 alternative {n}: score {c.score:.3f} ({_parts(dict(c.parts))})")
        for col in ("role", "id", "name", "fit", "evidence"):
            table.add_column(col)
        for m in c.members:
            ev = "; ".join(str(e.get("text", "")) for e in m.evidence[:2])
            table.add_row(m.role, m.id, escape(m.name), f"{m.fit:.3f}", escape(ev))
        console.print(table)


def partners(
    project_id: Annotated[str | None, typer.Argument(help="Project id (omit with --batch). 项目编号")] = None,
    with_ids: Annotated[list[str] | None, typer.Option("--with", help="Member already in (repeat).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this organisation kind (or a role).")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many to list.")] = 10,
    batch: Annotated[
        Path | None,
        typer.Option("--batch", help='JSONL: {"project": ID | {"title","description"}, "members": [...], "kind": K}'),
    ] = None,
    clearance: ClearanceOpt = "public",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rank organisations for the next seat of a consortium. 补全合作伙伴"""
    from matching.partners import PartnerQuery, partner_ranker

    with guarded(as_json), opened_store(store) as s:
        ranker = partner_ranker(s, clearance=clearance)
        if batch is not None:

            def answer(rec: dict[str, Any]) -> dict[str, Any]:
                hits = ranker.rank(PartnerQuery.from_json(rec), top=top)
                return {"results": [h.to_json() for h in hits]}

            if run_batch(batch_lines(batch), answer):
                raise typer.Exit(code=2)
            return
        if project_id is None:
            raise fail("give a PROJECT_ID or --batch FILE", as_json=as_json)
        hits = ranker.rank(PartnerQuery(project_id, members=tuple(with_ids or ()), kind=kind), top=top)
    if as_json:
        emit_json({"results": [h.to_json() for h in hits]})
        return
    table = Table(title=f"partners for {project_id}")
    for col in ("#", "id", "name", "score", "parts"):
        table.add_column(col)
    for i, h in enumerate(hits, 1):
        table.add_row(str(i), h.id, escape(h.name), f"{h.score:.3f}", _parts(h.parts))
    console.print(table)


def transfers(
    technology: Annotated[str | None, typer.Option("--technology", help="Military-origin technology (军转民).")] = None,
    demand: Annotated[str | None, typer.Option("--demand", help="A demand: technologies or suppliers for it.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Civil organisation → military demands (民参军).")] = None,
    clearance: ClearanceOpt = "public",
    top: Annotated[int, typer.Option("--top", min=1)] = 10,
    fit: FitOpt = "engine",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Military–civil transfers, never above the caller's clearance. 军民融合匹配"""
    from matching.transfers import find_transfers

    with guarded(as_json), opened_store(store) as s:
        engine, mode = make_engine(s, fit)
        result = find_transfers(
            engine, technology=technology, demand=demand, org=org, clearance=clearance, top=top,
            mode=mode,
        )
    if as_json:
        emit_json(result.to_json())
        return
    console.print(f"[bold]{result.direction}[/]: {escape(result.source['name'])} ({result.source['id']})")
    for title, hits in (("demands", result.demands), ("organizations", result.organizations),
                        ("technologies", result.technologies)):
        if not hits:
            continue
        table = Table(title=title)
        for col in ("id", "name", "score", "parts", "evidence"):
            table.add_column(col)
        for h in hits:
            ev = "; ".join(str(e["text"]) for e in h.to_json()["evidence"][:2])
            table.add_row(h.id, escape(h.name), f"{h.score:.3f}", _parts(h.parts), escape(ev))
        console.print(table)


def shortlist_cmd(
    size: Annotated[int, typer.Option("--size", min=1, help="Places on the shortlist.")] = 10,
    quota: Annotated[list[str] | None, typer.Option("--quota", help="FIELD=N places for a field (repeat).")] = None,
    diversity: Annotated[float, typer.Option("--diversity", min=0.0, max=1.0, help="MMR weight of diversity.")] = 0.3,
    clearance: ClearanceOpt = "public",
    fit: FitOpt = "engine",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Shortlist roadshow pitches with per-field quotas and diversity. 路演入围"""
    from matching.roadshow import parse_quotas, shortlist

    with guarded(as_json), opened_store(store) as s:
        engine, _ = make_engine(s, fit)
        result = shortlist(engine, size=size, quotas=parse_quotas(quota), diversity=diversity,
                           clearance=clearance)
    if as_json:
        emit_json(result.to_json())
        return
    table = Table(title=f"shortlist ({len(result.pitches)})")
    for col in ("#", "id", "title", "field", "score", "parts", "demands answered"):
        table.add_column(col)
    for i, p in enumerate(result.pitches, 1):
        table.add_row(str(i), p.id, escape(p.name), str(p.extra.get("field") or ""),
                      f"{p.score:.3f}", _parts(p.parts), str(len(p.extra.get("demands", []))))
    console.print(table)
    for q, n in result.unfilled.items():
        console.print(f"[yellow]quota {q}: {n} place(s) left empty (not enough pitches)[/]")


def eval_partners(
    tasks: Annotated[Path, typer.Argument(help="Tasks JSONL (CORDIS tasks_dev.jsonl or generic).")],
    data: Annotated[Path | None, typer.Option("--data", help="Interchange folder to load into a fresh store first.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N tasks.")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Partner recovery, leave-one-out: Recall@10 and MRR beside the peers. 伙伴补全评估

    Rows: the default weights (``firstset``), the store's trained model (``learned``, when
    ``firstset train`` has kept one), the hand-picked weights the defaults replaced
    (``hand_weights``) and the single-signal peers, on the same graphs."""
    import tempfile

    from matching.partners import PartnerRanker
    from matching.partners_eval import evaluate_partners, load_partner_tasks

    with guarded(as_json), tempfile.TemporaryDirectory() as tmp:
        location = store
        if data is not None:
            from graph.networkx_store import NetworkxStore
            from ingest.load import load_paths

            location = str(Path(tmp) / "eval.db")
            with NetworkxStore(location) as fresh:
                load_paths(fresh, [str(data)])
        items = load_partner_tasks(tasks)[:limit]
        with opened_store(location) as s:
            from matching.learn.store import load_model

            base = PartnerRanker.from_store(s)
            with stage_bars(not as_json) as bars:
                rows = evaluate_partners(base, items, model=load_model(s, "partners"),
                                         progress=lambda done: bars("evaluate", done, len(items)))
    if as_json:
        emit_json({"tasks": str(tasks), "results": rows})
        return
    table = Table(title=f"partner recovery — {tasks} (ties: expected rank)")
    for col in ("method", "n", "Recall@10", "MRR", "newcomers R@10", "with history R@10"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["method"], str(r["n"]), f"{r['recall@10']:.4f}", f"{r['mrr']:.4f}",
                      f"{r.get('newcomers', {}).get('recall@10', 0):.4f}",
                      f"{r.get('with_history', {}).get('recall@10', 0):.4f}")
    console.print(table)


def _bench_table(result: dict[str, Any], title: str) -> None:
    table = Table(title=title)
    for col in ("method", "median ms", "p95 ms", "runs"):
        table.add_column(col)
    for name, r in result["timings"].items():
        table.add_row(name, f"{r['median_ms']:.2f}", f"{r['p95_ms']:.2f}", str(r["runs"]))
    console.print(table)
    console.print(result.get("note", ""))


def bench_consortium(
    roles: Annotated[int, typer.Option("--roles", min=2, max=6)] = 6,
    candidates: Annotated[int, typer.Option("--candidates", min=1)] = 50,
    runs: Annotated[int, typer.Option("--runs", min=3)] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Consortium formation: 6 roles × 50 candidates, p50/p95 (goal p95 ≤ 200 ms). 联合体基准"""
    run = benchmark("jobs").bench_consortium

    result = run(n_roles=roles, candidates=candidates, runs=runs)
    if as_json:
        emit_json(result)
    else:
        _bench_table(result, f"consortium: {roles} roles × {candidates} candidates")


def bench_partners(
    orgs: Annotated[int, typer.Option("--orgs", min=100)] = 100_000,
    runs: Annotated[int, typer.Option("--runs", min=3)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Partner ranking over 100k organisations, p50/p95 (goal p95 ≤ 100 ms). 伙伴排序基准"""
    run = benchmark("jobs").bench_partners

    result = run(n_orgs=orgs, runs=runs)
    if as_json:
        emit_json(result)
    else:
        _bench_table(result, f"partners over {orgs:,} organisations")


def eval_transfers(
    labels: Annotated[Path, typer.Argument(help="Labelled transfer cases (JSONL). 标注集")],
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="Interchange folder to load first (default: the labels' folder).")] = None,
    split: Annotated[str, typer.Option(
        "--split", help="all, or one half of the cases: a | b (choose on one, report on the other).")
    ] = "all",
    embedder: Annotated[str | None, typer.Option(
        "--embedder", help="e5+use (default), e5, use, hash, or st:MODEL. 向量模型")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Transfers on labelled cases: hybrid vs dense-only vs lexical-only, same run. 军民融合评估"""
    import tempfile

    from ingest.load import load_paths
    from matching.transfers_eval import evaluate_transfers, read_transfer_labels

    with guarded(as_json):
        if split not in ("all", "a", "b"):
            raise InvalidRequest("--split must be all, a or b", field="split")
        cases = read_transfer_labels(labels)
        with tempfile.TemporaryDirectory() as tmp:
            location = store or str(Path(tmp) / "eval.db")
            with opened_store(location) as s:
                if store is None:
                    load_paths(s, [str(corpus or labels.parent)])
                engine = engine_for(s, embedder, progress=not as_json)
                report = evaluate_transfers(engine, cases, split=split)  # type: ignore[arg-type]
    if as_json:
        emit_json(report)
        return
    for kind, per in report.items():
        table = Table(title=f"{kind} ({per['hybrid']['queries']} cases, split {split})")
        for col in ("ranking", "MRR", "R@1", "R@5", "R@10", "MRR paraphrased"):
            table.add_column(col)
        for mode in ("hybrid", "dense", "lexical"):
            m, para = per[mode], per["paraphrased"].get(mode, {})
            table.add_row(mode, f"{m['mrr']:.3f}", f"{m['recall@1']:.3f}", f"{m['recall@5']:.3f}",
                          f"{m['recall@10']:.3f}", f"{para.get('mrr', 0):.3f}")
        console.print(table)


def _print_timings(title: str, result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    table = Table(title=title)
    for col in ("what", "p50 ms", "p95 ms"):
        table.add_column(col)
    for name, t in result["timings"].items():
        table.add_row(name, f"{t['p50_ms']:.1f}", f"{t['p95_ms']:.1f}")
    console.print(table)
    console.print(result.get("note", ""))


OrgsOpt = Annotated[int, typer.Option("--orgs", min=10, help="Organisations.")]
DemandsOpt = Annotated[int, typer.Option("--demands", min=10, help="Demands (half military).")]
RunsOpt = Annotated[int, typer.Option("--runs", min=5, help="Timed queries.")]


def bench_transfers(
    orgs: OrgsOpt = 100_000,
    technologies: Annotated[int, typer.Option("--technologies", min=10)] = 10_000,
    demands: DemandsOpt = 10_000,
    runs: RunsOpt = 50,
    as_json: JsonOpt = False,
) -> None:
    """Transfers at scale (synthetic vectors), warm, against a numpy peer. 军民融合基准"""
    with guarded(as_json):
        result = benchmark("transfers").bench_transfers(
            n_orgs=orgs, n_techs=technologies, n_demands=demands, runs=runs)
    _print_timings(f"transfers: {orgs} organisations, {technologies} technologies, "
                   f"{demands} demands", result, as_json)


def bench_shortlist(
    orgs: OrgsOpt = 100_000,
    demands: DemandsOpt = 10_000,
    pitches: Annotated[int, typer.Option("--pitches", min=10)] = 300,
    runs: RunsOpt = 50,
    as_json: JsonOpt = False,
) -> None:
    """Roadshow shortlists at scale (synthetic vectors), warm. 路演入围基准"""
    with guarded(as_json):
        result = benchmark("transfers").bench_shortlist(
            n_orgs=orgs, n_demands=demands, n_pitches=pitches, runs=runs)
    _print_timings(f"shortlist: {orgs} organisations, {demands} demands, {pitches} pitches",
                   result, as_json)


def register(app: typer.Typer) -> None:
    from api.cli import bench_app, eval_app

    app.command("consortium")(consortium)
    app.command("partners")(partners)
    app.command("transfers")(transfers)
    app.command("shortlist")(shortlist_cmd)
    eval_app.command("partners")(eval_partners)
    eval_app.command("transfers")(eval_transfers)
    bench_app.command("consortium")(bench_consortium)
    bench_app.command("partners")(bench_partners)
    bench_app.command("transfers")(bench_transfers)
    bench_app.command("shortlist")(bench_shortlist)
