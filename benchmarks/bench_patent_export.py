"""Benchmark: load a patent export (CNIPA-style Chinese header) of N rows.

``python -P benchmarks/bench_patent_export.py --rows 1000000`` (``-P``: ``benchmarks/ingest.py``
would shadow the ``ingest`` package)
writes the export once (deterministic), loads it into a fresh embedded store and prints rows/s
and the peak memory. Applicants repeat (about one per 10 rows), as in real exports.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import time
from pathlib import Path

from graph.networkx_store import NetworkxStore
from ingest.load import load_paths

HEADER = [
    "序号",
    "申请号",
    "发明名称",
    "摘要",
    "申请（专利权）人",
    "IPC主分类号",
    "IPC分类号",
    "申请日",
    "公开（公告）日",
    "授权公告日",
    "法律状态",
]
_WORDS = [
    "盾构",
    "数控",
    "机床",
    "减速器",
    "压缩",
    "转运",
    "流量计",
    "机器人",
    "齿轮",
    "液压",
    "阀门",
    "传感器",
    "控制",
    "装置",
    "系统",
    "方法",
    "轴承",
    "焊接",
    "检测",
    "叶片",
]
_IPCS = [
    "B23Q 1/00",
    "B25J 9/10",
    "F16H 1/32",
    "G01F 1/58",
    "B65F 3/00",
    "E21D 9/06",
    "G05B 19/18",
    "F15B 15/14",
    "B23K 37/02",
    "F16C 19/06",
]


def write_export(path: Path, rows: int, seed: int = 14) -> None:
    rng = random.Random(seed)
    applicants = [
        f"重庆{rng.choice(_WORDS)}{rng.choice(_WORDS)}{i}有限公司" for i in range(rows // 10 + 1)
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(rows):
            year = 2010 + i % 14
            kind = "12"[i % 2]
            number = f"CN{year}{kind}{i:07d}.{i % 10}"
            title = "一种" + "".join(rng.choices(_WORDS, k=3))
            owners = rng.choice(applicants)
            if i % 7 == 0:
                owners += ";" + rng.choice(applicants)
            ipcs = rng.sample(_IPCS, 2)
            out.writerow(
                [
                    i + 1,
                    number,
                    title,
                    title + "，涉及" + "、".join(rng.choices(_WORDS, k=6)) + "。",
                    owners,
                    ipcs[0],
                    ";".join(ipcs),
                    f"{year}.{1 + i % 12:02d}.{1 + i % 28:02d}",
                    f"{year + 1}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    "",
                    "授权" if i % 3 else "审中",
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path(".cache/bench-patents"))
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    export = args.work / f"专利导出-{args.rows}.csv"
    if not export.exists():
        write_export(export, args.rows)
    db = args.work / "store.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    store = NetworkxStore(db)
    start = time.perf_counter()
    report = load_paths(store, [export], field_embed=None, workers=args.workers)
    seconds = time.perf_counter() - start
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": report.rows,
                "seconds": round(seconds, 1),
                "rows_per_s": round(report.rows / seconds),
                "nodes": report.nodes,
                "edges": report.edges,
                "workers": report.workers,
                "loader_peak_mb": round(peak),
                "worker_peak_mb": round(report.worker_peak_mb),
                "organizations": report.organizations,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
