"""IP early warning quality on real Chinese patent titles (../shared/data/cn_patents) with the
product's models (multilingual-e5-small and USE fused): for a product text, patents of the
product's IPC group (subclass: the data's finest level) rank above those of other groups.

A deterministic sample of the 9,740 titles — 60 of each of eight subclasses and 520 others —
is owned by 40 fictional organisations; each product text is run through ``ip_risk`` (top 10)
and through the full scan (all patents) for the ROC AUC. Precision@10 is printed."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from graph.model import Edge, Node
from graph.networkx_store import NetworkxStore
from matching.ip_risk import IpRiskQuery, ip_risk, scan_patents_vectors

from .conftest import SHARED_PATENTS

PRODUCTS = {
    "H02S": "光伏发电组件及太阳能电池板安装支架系统",
    "H01M": "锂离子动力电池包及电池模组结构",
    "B23K": "自动化焊接设备，激光焊接与焊缝跟踪",
    "B25J": "工业机器人机械臂及末端夹爪",
    "B02C": "矿石破碎机与物料粉碎研磨设备",
    "C02F": "工业废水处理与污水净化装置",
    "B24B": "精密工件磨削与抛光机床",
    "B60L": "电动汽车充电桩与充电控制装置",
}
PER_GROUP = 60
OTHERS = 520


def _sample() -> list[dict[str, str]]:
    rows = list(csv.DictReader(SHARED_PATENTS.open(encoding="utf-8")))
    rng = random.Random(15)
    rng.shuffle(rows)
    chosen: dict[str, dict[str, str]] = {}
    for group in PRODUCTS:
        members = [r for r in rows if group in r["ipc"].split(";") and r["id"] not in chosen]
        chosen.update({r["id"]: r for r in members[:PER_GROUP]})
    others = [r for r in rows if r["id"] not in chosen
              and not set(r["ipc"].split(";")) & set(PRODUCTS)]
    chosen.update({r["id"]: r for r in others[:OTHERS]})
    return list(chosen.values())


@pytest.fixture(scope="module")
def real_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[dict[str, str]]]]:
    from matching.embedders import default_embedder
    from matching.engine import MatchingEngine

    rows = _sample()
    store = NetworkxStore(tmp_path_factory.mktemp("cnpat") / "p.db")
    nodes = [Node(f"org:{i}", "Organization", {"name": f"单位{i}", "kinds": ["manufacturer"]})
             for i in range(40)]
    edges = []
    for n, r in enumerate(rows):
        nodes.append(Node(r["id"], "Patent", {"title": r["title"], "ipc": r["ipc"].split(";")}))
        edges.append(Edge(f"org:{n % 40}", "OWNS", r["id"]))
    store.upsert(nodes, edges)
    engine = MatchingEngine(store, default_embedder())
    engine.refresh()
    try:
        yield engine, rows
    finally:
        store.close()


def test_same_ipc_group_ranks_above_others(real_engine: tuple[Any, list[dict[str, str]]]) -> None:
    engine, rows = real_engine
    ipc_of = {r["id"]: set(r["ipc"].split(";")) for r in rows}
    p = engine.profiles("public")
    is_patent = np.array([it.kind == "patent" for it in p.corpus.items])
    precisions: dict[str, float] = {}
    aucs: dict[str, float] = {}
    for group, text in PRODUCTS.items():
        report = ip_risk(engine, IpRiskQuery(text=text, top=10), clearance="public")
        top = [r.patent for r in report.risks]
        assert len(top) == 10
        precisions[group] = sum(group in ipc_of[x] for x in top) / 10
        rows_, sims, _, _ = scan_patents_vectors(p.item_vectors, is_patent,
                                                 engine.embed_query(text), int(is_patent.sum()))
        same = np.array([group in ipc_of[p.corpus.items[r].id] for r in rows_.tolist()])
        pos, neg = sims[same], sims[~same]
        aucs[group] = float((pos[:, None] > neg[None, :]).mean())
    mean_p = float(np.mean(list(precisions.values())))
    mean_auc = float(np.mean(list(aucs.values())))
    print(f"\nprecision@10 by group: {precisions}\nmean precision@10 = {mean_p:.3f}; "
          f"ROC AUC by group: { {k: round(v, 3) for k, v in aucs.items()} }; mean AUC = "
          f"{mean_auc:.3f} (random: P@10 ≈ {PER_GROUP / len(rows):.3f}, AUC 0.5)")
    assert mean_p >= 0.8
    assert min(aucs.values()) > 0.8
    assert mean_auc >= 0.85
