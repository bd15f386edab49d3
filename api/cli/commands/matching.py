"""Supplier search and its tooling: ``suppliers``, ``train``, ``eval suppliers``, ``bench suppliers``."""

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
    batch_lines,
    benchmark,
    console,
    emit_json,
    engine_for,
    guarded,
    opened_store,
    run_batch,
)
from graph.errors import InvalidRequest
from graph.store import GraphStore

__all__ = ["register"]

PART_ZH = {
    "dense_org": "语义·整体",
    "dense_item": "语义·最佳条目",
    "lexical": "字面",
    "field": "领域",
    "field_text": "领域(语义)",
    "ipc": "IPC",
    "proximity": "图谱关系",
    "catalogue": "目录",
    "insured": "保险",
    "local": "本地优先",
}
EVIDENCE_ZH = {
    "description": "简介",
    "equipment": "产品",
    "patent": "专利",
    "technology": "技术",
    "path": "关系路径",
    "catalogue": "目录",
    "insured": "保险补偿",
    "track_record": "业绩(仅展示)",
    "evaluation": "示范评价",
    "profile_note": "资料提示",
}

DeviceOpt = Annotated[
    str | None, typer.Option("--device", help="Device for st: models (cpu, cuda). 计算设备")
]


def _hits_table(title: str, hits: list[Any]) -> Table:
    table = Table(title=title, show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("单位 organisation")
    table.add_column("得分 score", justify="right")
    table.add_column("得分构成 parts")
    table.add_column("依据 evidence")
    for rank, h in enumerate(hits, 1):
        parts = "\n".join(
            f"{PART_ZH.get(k, k)} {v:+.3f}" for k, v in sorted(h.parts.items(), key=lambda p: -p[1])
            if abs(v) >= 0.0005
        )
        ev = "\n".join(
            f"{EVIDENCE_ZH.get(e.kind, e.kind)}：{escape(e.text)}"
            + (f"（{e.score:.2f}）" if e.kind in ("description", "equipment", "patent",
                                                  "technology") else "")
            for e in h.evidence
        )
        table.add_row(str(rank), f"{escape(h.name)}\n[dim]{escape(h.id)}[/]", f"{h.score:.3f}",
                      parts, ev)
    return table


def suppliers(
    text: Annotated[str | None, typer.Argument(help="需求描述 demand text (Chinese or English)")] = None,
    demand: Annotated[str | None, typer.Option("--demand", help="Demand id. 需求编号")] = None,
    batch: Annotated[Path | None, typer.Option(
        "--batch", help='JSONL: one {"text": ...} or {"demand": ...} per line. 批量')] = None,
    field: Annotated[str | None, typer.Option("--field", help="Field id or name. 领域")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Region filter. 地区")] = None,
    local: Annotated[bool, typer.Option(
        "--local", help="Prefer Chongqing organisations (a named score part). 本地优先")] = False,
    catalogued: Annotated[bool, typer.Option(
        "--catalogued", help="Only organisations with catalogued equipment. 仅目录内")] = False,
    insured: Annotated[bool, typer.Option(
        "--insured", help="Only organisations with insured equipment. 仅已投保")] = False,
    ip_risk: Annotated[bool, typer.Option(
        "--ip-risk", help="Add IP warnings to each result's evidence (never to its score). "
        "附知识产权预警")] = False,
    evaluated: Annotated[bool, typer.Option(
        "--evaluated", help="Only makers of independently evaluated equipment. 仅已评价")] = False,
    on: Annotated[str | None, typer.Option(
        "--on", help="The day --catalogued asks about (YYYY-MM-DD; default today). 目录日期")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="Organisation kinds (default manufacturer). 单位类型")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="How many. 数量")] = 10,
    clearance: Annotated[str, typer.Option("--clearance", help="public|restricted|secret")] = "public",
    embedder: EmbedderOpt = None,
    device: DeviceOpt = None,
    weights: Annotated[Path | None, typer.Option("--weights", help="Weights JSON. 权重")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """推荐供应商 / rank suppliers for an equipment demand, with score parts and evidence."""
    from matching.engine import SupplierQuery

    as_json = as_json or batch is not None
    with guarded(as_json):
        if sum(x is not None for x in (text, demand, batch)) != 1:
            raise InvalidRequest("give exactly one of TEXT, --demand or --batch", field="text")
        kinds = tuple(kind) if kind else ("manufacturer",)
        base = dict(kinds=kinds, field=field, region=region, local=local, catalogued=catalogued,
                    insured=insured, evaluated=evaluated, on=on, top=top)
        with opened_store(store) as st:
            engine = engine_for(st, embedder, device, weights=weights, progress=not as_json)
            if batch is not None:
                lines = batch_lines(batch)
                engine.prime_queries([str(x["text"]) for _, x in lines
                                      if isinstance(x, dict) and x.get("text")])

                def answer(rec: dict[str, Any]) -> dict[str, Any]:
                    q = SupplierQuery(text=rec.get("text"), demand_id=rec.get("demand"),
                                      **base)  # type: ignore[arg-type]
                    hits = engine.suppliers(q, clearance=clearance)
                    return {"results": [h.to_json() for h in hits]}

                if run_batch(lines, answer):
                    raise typer.Exit(code=2)
                return
            q = SupplierQuery(text=text, demand_id=demand, **base)  # type: ignore[arg-type]
            hits = engine.suppliers(q, clearance=clearance)
            if ip_risk:
                from matching.ip_risk import hits_with_ip_warnings

                hits = hits_with_ip_warnings(engine, hits, text=text, demand=demand,
                                             clearance=clearance)
            if as_json:
                emit_json({"results": [h.to_json() for h in hits]})
                return
            title = f"供应商推荐：{escape(text or demand or '')}"
            if local:
                title += "（本地优先）"
            if not hits:
                console.print("[yellow]没有符合条件的单位 / no organisation matches the filters[/]")
                return
            console.print(_hits_table(title, hits))


def train(
    feedback: Annotated[Path | None, typer.Argument(
        help="CSV: text or demand, org, label (accepted/rejected). 反馈数据")] = None,
    from_graph: Annotated[bool, typer.Option(
        "--from-graph", help="Learn from the graph itself: hide an edge, recover it. 从图谱自学习")
    ] = False,
    job: Annotated[list[str] | None, typer.Option(
        "--job", help="suppliers, partners, consortium, transfers (default: every job the graph "
        "has data for). 任务")
    ] = None,
    tasks: Annotated[Path | None, typer.Option(
        "--tasks", help="Partner tasks JSONL (CORDIS tasks_dev.jsonl): left out of training, "
        "reported on. 伙伴评估任务")] = None,
    transfer_labels: Annotated[Path | None, typer.Option(
        "--transfer-labels", help="Labelled transfer cases (JSONL, tests/data/transfers/"
        "labels.jsonl): fit on split a, report split b. 军民融合标注")] = None,
    max_queries: Annotated[int, typer.Option(
        "--max-queries", min=4, help="Hidden edges per job. 每个任务的样本数")] = 2000,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the weights here.")] = None,
    embedder: EmbedderOpt = None,
    device: DeviceOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """训练排序模型 / fit the rankers from the graph (--from-graph) and/or from feedback.

    Reports a held-out split per job: the learned model beside the default weights and the
    single signals, measured in the same run. Models are kept in the store with a version;
    until one is trained every job scores with its documented default weights."""
    with guarded(as_json):
        if feedback is None and not from_graph and transfer_labels is None:
            raise InvalidRequest("give FEEDBACK.csv and/or --from-graph / 请给出反馈文件或 "
                                 "--from-graph", field="feedback")
        jobs = set(job or TRAIN_JOBS)
        unknown = jobs - set(TRAIN_JOBS)
        if unknown:
            raise InvalidRequest(f"unknown job(s) {', '.join(sorted(unknown))} / 未知任务 "
                                 f"({', '.join(TRAIN_JOBS)})", field="job")
        if job and "transfers" in jobs and transfer_labels is None:
            raise InvalidRequest("--job transfers learns from labelled cases: give "
                                 "--transfer-labels / 请给出军民融合标注", field="transfer_labels")
        payload: dict[str, Any] = {"jobs": {}}
        with opened_store(store) as st:
            engine = engine_for(st, embedder, device, progress=not as_json)
            fb_set = None
            if feedback is not None:
                payload.update(_train_feedback(st, engine, feedback, out))
                from matching.learn.suppliers import feedback_set
                from matching.scoring import read_feedback

                fb_set = feedback_set(engine, read_feedback(feedback))
            if from_graph:
                if "suppliers" in jobs and _has(st, "MAKES"):
                    payload["jobs"]["suppliers"] = _train_suppliers(
                        st, engine, max_queries=max_queries, feedback=fb_set)
                if "partners" in jobs and _has(st, "PARTICIPATES_IN"):
                    payload["jobs"]["partners"] = _train_partners(
                        st, tasks, max_queries=max_queries)
                if "consortium" in jobs and _has(st, "PARTICIPATES_IN"):
                    got = _train_consortium(st, engine, max_queries=max_queries,
                                            asked=bool(job))
                    if got:
                        payload["jobs"]["consortium"] = got
            if "transfers" in jobs and transfer_labels is not None:
                payload["jobs"].update(_train_transfers(st, engine, transfer_labels))
            if from_graph and not payload["jobs"]:
                raise InvalidRequest("the graph has no MAKES or PARTICIPATES_IN edges to "
                                     "learn from / 图谱中没有可学习的关系", field="store")
        if as_json:
            emit_json(payload)
            return
        if "weights" in payload:
            table = Table(title=f"新权重 / fitted weights ({payload['pairs']} pairs, saved in "
                          "the store)")
            table.add_column("part")
            table.add_column("weight", justify="right")
            for k, v in payload["weights"].items():
                table.add_row(f"{PART_ZH.get(k, k)} ({k})", f"{v:.4f}")
            console.print(table)
        for name, rep in payload["jobs"].items():
            table = Table(title=f"{name}: model v{rep['version']} — held-out "
                          f"{rep['report_on']} ({rep['n']} queries) 留出集")
            for col in ("method", "MRR", "R@10", "newcomers MRR", "with history MRR"):
                table.add_column(col)
            for method, m in rep["methods"].items():
                table.add_row(method, f"{m['mrr']:.4f}", f"{m['recall@10']:.4f}",
                              *(f"{m[k]['mrr']:.4f} (n={m[k]['n']})" if k in m else "—"
                                for k in ("newcomers", "with_history")))
            console.print(table)


# Up to this many organisations every manufacturer is ranked per training query, in 4 folds;
# above it, the engine's top 200 candidates and the hidden maker (hard negatives), in one fold
# (every example's edge hidden at once: a few thousand of a large graph's edges, and one index
# build instead of four).
SUPPLIER_ALL_CANDIDATES = 5000


TRAIN_JOBS = ("suppliers", "partners", "consortium", "transfers")


def _train_consortium(st: GraphStore, engine: Any, *, max_queries: int, asked: bool
                      ) -> dict[str, Any] | None:
    """The consortium member fit from hidden participations; ``None`` when the graph has too
    few projects with text and a non-owner member and the job was not asked for by name."""
    from matching.learn import save_model
    from matching.learn.consortium import train_consortium

    try:
        model, report = train_consortium(st, engine.embedder, max_queries=max_queries)
    except InvalidRequest:
        if asked:
            raise
        return None
    saved = save_model(st, model)
    return {"version": saved.version, "weights": dict(saved.weights),
            "calibration": saved.calibration.to_json(), "learner": report["learner"],
            "examples": report["examples"],
            "report_on": "every hidden PARTICIPATES_IN edge, scored by a model trained on the "
                         "other folds' projects (4 folds)",
            "n": report["held_out"], "methods": report["methods"]}


def _train_transfers(st: GraphStore, engine: Any, labels: Path) -> dict[str, Any]:
    """One entry per direction (``transfers:<direction>``), the same model version in each:
    the held-out figures of split b over every candidate, then (``… paraphrased``) on the
    paraphrased demands alone."""
    from matching.learn import save_model
    from matching.learn.transfers import train_transfers
    from matching.transfers_eval import read_transfer_labels

    model, report = train_transfers(engine, read_transfer_labels(labels))
    saved = save_model(st, model)
    out: dict[str, Any] = {}
    for direction, rep in report["directions"].items():
        methods = dict(rep.get("methods", {}))
        methods.update({f"{k} paraphrased": v for k, v in rep.get("paraphrased", {}).items()})
        prefix = direction + "."
        out[f"transfers:{direction}"] = {
            "version": saved.version,
            "weights": {k[len(prefix):]: v for k, v in saved.weights.items()
                        if k.startswith(prefix)},
            "calibration": saved.info["calibrations"][direction],
            "learner": rep["learner"], "examples": rep["train_queries"],
            "report_on": f"{labels} split b", "n": next(iter(methods.values()))["n"]
            if methods else 0, "methods": methods}
    return out


def _has(st: GraphStore, rel: str) -> bool:
    return next(iter(st.edges(rel)), None) is not None


def _train_feedback(st: GraphStore, engine: Any, feedback: Path, out: Path | None
                    ) -> dict[str, Any]:
    """Weights from accepted/rejected pairs (logistic regression), kept in the store as the
    supplier model (calibrated on the same rows: there is no held-out split of feedback)."""
    import numpy as np

    from matching.engine import WEIGHTS_CACHE
    from matching.learn import LinearRanker, fit_calibration, save_model
    from matching.scoring import FEATURES, fit_weights, read_feedback

    rows = read_feedback(feedback)
    xs: list[list[float]] = []
    ys: list[int] = []
    for row in rows:
        text, field, project = row.text, None, None
        if row.demand:
            node = st.get(row.demand)
            text = text or str(node.get("text") or "")
            field = node.get("field")
            project = next((e.source for e in st.edges_of(row.demand, rel="NEEDS",
                                                           direction="in")), None)
        feats = engine.features(str(text), [row.org], field=field, project_id=project)
        xs.append([float(feats[n][0]) for n in FEATURES])
        ys.append(int(row.accepted))
    x = np.array(xs)
    weights = fit_weights(x, np.array(ys), FEATURES, base=engine.weights)
    ns, key = WEIGHTS_CACHE
    st.cache_put(ns, {key: weights.to_json().encode("utf-8")})
    learnt = {k: v for k, v in weights.as_dict().items() if k != "local"}
    scores = x[:, [FEATURES.index(k) for k in learnt]] @ np.array(list(learnt.values()))
    model = save_model(st, LinearRanker("suppliers", learnt, fit_calibration(scores, np.array(ys)),
                                        info={"source": "feedback", "pairs": len(rows)}))
    if out:
        out.write_text(weights.to_json(), encoding="utf-8")
    return {"pairs": len(rows), "weights": weights.as_dict(), "model_version": model.version}


def _train_suppliers(st: GraphStore, engine: Any, *, max_queries: int, feedback: Any
                     ) -> dict[str, Any]:
    from matching.learn import save_model
    from matching.learn.suppliers import train_suppliers

    big = len(engine.profiles().corpus.orgs) > SUPPLIER_ALL_CANDIDATES
    model, report = train_suppliers(st, engine.embedder, max_queries=max_queries,
                                    feedback=feedback, candidates=200 if big else 0,
                                    folds=1 if big else 4)
    saved = save_model(st, model)
    return {"version": saved.version, "weights": dict(saved.weights),
            "calibration": saved.calibration.to_json(), "learner": report["chosen"],
            "examples": report["examples"], "report_on": "hidden MAKES edges",
            "n": report["held_out"], "methods": report["methods"]}


def _train_partners(st: GraphStore, tasks: Path | None, *, max_queries: int) -> dict[str, Any]:
    """The model kept is trained on every project; with ``tasks`` the report is cross-fitted
    (each half of the tasks measured with a model trained without its projects)."""
    from matching.learn import save_model
    from matching.learn.partners import cross_fitted_partner_report, train_partners
    from matching.partners import PartnerRanker
    from matching.partners_eval import load_partner_tasks

    base = PartnerRanker.from_store(st)
    items = load_partner_tasks(tasks) if tasks else []
    folds = 1 if len(base.org_ids) > SUPPLIER_ALL_CANDIDATES else 4
    model, info = train_partners(base, max_queries=max_queries, folds=folds)
    saved = save_model(st, model)
    out: dict[str, Any] = {"version": saved.version, "weights": dict(saved.weights),
                           "calibration": saved.calibration.to_json(),
                           "examples": info["examples"]}
    if items:
        rows = cross_fitted_partner_report(base, items, max_queries=max_queries, folds=folds,
                                           progress=lambda msg: console.print(escape(msg)))
        out.update(report_on=f"{tasks} (cross-fitted: each half by a model trained without "
                             "its projects)", n=rows[0]["n"] if rows else 0,
                   methods={r.pop("method"): r for r in rows})
    else:
        tried = info["tried"]
        out.update(report_on="hidden PARTICIPATES_IN edges", n=info["validation"],
                   methods={"learned": info["kept"], **tried})
    out["learner"] = info["learner"]
    return out


def eval_suppliers(
    labels: Annotated[Path, typer.Argument(help="Labelled demands (JSONL). 标注数据")],
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="Load this supplier corpus folder into a fresh store first "
        "(default: the folder of LABELS when it holds organizations.jsonl).")] = None,
    embedder: EmbedderOpt = None,
    device: DeviceOpt = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """评估供应商排序 / MRR, Recall@1/5/10, nDCG@10 for hybrid, lexical-only and dense-only
    (and hybrid and dense without the English queries' Chinese terms, when some query is
    English; and each model of the fused embedder alone: dense_e5, dense_use), for all demands,
    each kind and language, and, where the corpus holds both, answers whose profile only names
    its products (profile:names_only) apart from the others (profile:described)."""
    import tempfile

    from graph.networkx_store import NetworkxStore
    from matching.evaluate import evaluate, load_corpus, read_labels, single_model_peers

    with guarded(as_json):
        cases = read_labels(labels)
        folder = corpus or (labels.parent if (labels.parent / "organizations.jsonl").exists()
                            and store is None else None)
        if folder is not None:
            tmp = tempfile.mkdtemp(prefix="firstset-eval-")
            st: GraphStore = NetworkxStore(Path(tmp) / "eval.db")
            load_corpus(st, folder)
        else:
            st = _open(store)
        try:
            engine = engine_for(st, embedder, device, progress=not as_json)
            engine.refresh()
            result = evaluate(engine, cases)
            if any(engine.query_terms(c.text) for c in cases):
                # peers of the English queries' Chinese terms: hybrid and dense (e5 alone)
                # without them
                engine.translate = False
                plain = evaluate(engine, cases, modes=("hybrid", "dense"))
                result.update({f"{mode}_untranslated": v for mode, v in plain.items()})
            result.update(single_model_peers(st, engine, cases))
        finally:
            st.close()
        payload = {mode: {name: m.to_json() for name, m in slices.items()}
                   for mode, slices in result.items()}
        if as_json:
            emit_json({"labels": str(labels), "embedder": engine.embedder.name, "modes": payload})
            return
        slices = list(result["hybrid"])
        for name in slices:
            table = Table(title=f"{name}（{result['hybrid'][name].queries} 条需求 queries）")
            table.add_column("mode")
            for col in ("MRR", "R@1", "R@5", "R@10", "nDCG@10"):
                table.add_column(col, justify="right")
            for mode, per in result.items():
                m = per[name]
                table.add_row(mode, *(f"{v:.4f}" for v in (m.mrr, m.recall_1, m.recall_5,
                                                           m.recall_10, m.ndcg_10)))
            console.print(table)


def _open(location: str | None) -> GraphStore:
    from graph.open_store import open_store

    return open_store(location)


def bench_suppliers(
    orgs: Annotated[int, typer.Option("--orgs", help="Organisations.")] = 100_000,
    patents: Annotated[int, typer.Option("--patents", help="Patents.")] = 1_000_000,
    queries: Annotated[int, typer.Option("--queries", help="Timed queries.")] = 200,
    as_json: JsonOpt = False,
) -> None:
    """基准测试 / supplier search latency and memory at scale, against brute-force numpy."""
    run_bench = benchmark("suppliers").run_bench

    with guarded(as_json):
        result = run_bench(n_orgs=orgs, n_patents=patents, n_queries=queries,
                           progress=None if as_json else console.print)
        if as_json:
            emit_json(result)
            return
        table = Table(title="bench suppliers")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for k, v in result.items():
            table.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
        console.print(table)


def register(app: typer.Typer) -> None:
    from api.cli import bench_app, eval_app

    app.command("suppliers")(suppliers)
    app.command("train")(train)
    eval_app.command("suppliers")(eval_suppliers)
    bench_app.command("suppliers")(bench_suppliers)

