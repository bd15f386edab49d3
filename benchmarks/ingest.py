"""Ingest benchmark: parse + validate + store a generated graph, against a plain csv+sqlite3 peer.

Each measured step runs in its own process so that peak memory is the step's own; the load's
worker processes report their peaks too, and the peak given is the sum of all of them (an
upper bound). Embedding is excluded (the matching benchmark measures it).

Run as ``firstset bench ingest --scale N``; the worker entry point is ``python -m benchmarks.ingest``.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.parse import peak_mb
from ingest.readers import KINDS

__all__ = ["bench_ingest", "peer_load"]


def peer_load(folder: Path, db: Path) -> int:
    """The simple peer: each CSV into a table of text columns, one transaction, no checks."""
    con = sqlite3.connect(db)
    rows = 0
    with con:
        for kind in KINDS:
            path = folder / f"{kind}.csv"
            if not path.exists():
                continue
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                cols = ", ".join(f'"{h}" TEXT' for h in header)
                con.execute(f"CREATE TABLE {kind} ({cols})")
                marks = ", ".join("?" * len(header))
                before = con.total_changes
                con.executemany(f"INSERT INTO {kind} VALUES ({marks})", reader)
                rows += con.total_changes - before
    con.close()
    return rows


def _worker(step: str, folder: Path, db: Path) -> dict[str, Any]:
    from graph.networkx_store import NetworkxStore  # imports are not what we measure
    from ingest.load import load_paths

    start = time.perf_counter()
    worker_mb = 0.0
    if step == "firstset":
        store = NetworkxStore(db)
        report = load_paths(store, [folder])
        store.close()
        worker_mb = report.worker_peak_mb
        out: dict[str, Any] = {
            "rows": report.rows,
            "nodes": report.nodes,
            "edges": report.edges,
            "workers": report.workers,
        }
    elif step == "peer":
        out = {"rows": peer_load(folder, db)}
    elif step == "reopen":
        # open, load the graph, and answer a first read (a node and its neighbourhood two
        # steps out): the store is usable from here on
        with sqlite3.connect(db) as con:
            (first,) = con.execute("SELECT id FROM nodes LIMIT 1").fetchone()
        start = time.perf_counter()
        store = NetworkxStore(db)
        store.load()
        around = store.neighbourhood(first, 2)
        seconds = time.perf_counter() - start
        out = {"around_first": len(around.nodes), "counts": store.counts()}
        out["seconds"] = seconds
    else:
        raise SystemExit(f"unknown step {step}")
    out.setdefault("seconds", time.perf_counter() - start)
    out["main_peak_mb"] = peak_mb()
    out["worker_peak_mb"] = worker_mb
    # every process at its own peak at once: an upper bound of what the machine needed
    out["peak_mb"] = out["main_peak_mb"] + worker_mb
    return out


def _run(step: str, folder: Path, db: Path) -> dict[str, Any]:
    db.unlink(missing_ok=True) if step != "reopen" else None
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True) if step != "reopen" else None
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.ingest", step, str(folder), str(db)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench step {step} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def bench_ingest(
    folder: Path, work: Path, *, runs: int = 3, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Median rows/s and peak memory for firstset and the peer, and the reopen time."""
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, Any]]] = {"firstset": [], "peer": [], "reopen": []}
    for i in range(runs):
        for step, db in (
            ("peer", work / "peer.db"),
            ("firstset", work / "firstset.db"),
            ("reopen", work / "firstset.db"),
        ):
            r = _run(step, folder, db)
            results[step].append(r)
            say(f"run {i + 1}/{runs} {step}: {r['seconds']:.1f} s, peak {r['peak_mb']:.0f} MB")

    def med(step: str, key: str) -> float:
        return float(statistics.median(r[key] for r in results[step]))

    rows = results["firstset"][0]["rows"]
    summary = {
        "rows": rows,
        "runs": runs,
        "firstset_rows_per_s": rows / med("firstset", "seconds"),
        "firstset_peak_mb": med("firstset", "peak_mb"),
        "peer_rows_per_s": results["peer"][0]["rows"] / med("peer", "seconds"),
        "peer_peak_mb": med("peer", "peak_mb"),
        "reopen_s": med("reopen", "seconds"),
        "reopen_peak_mb": med("reopen", "peak_mb"),
        "raw": results,
    }
    summary["ratio_firstset_to_peer"] = summary["firstset_rows_per_s"] / summary["peer_rows_per_s"]
    return summary


if __name__ == "__main__":
    print(json.dumps(_worker(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))))
