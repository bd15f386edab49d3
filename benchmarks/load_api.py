"""Load benchmark of the HTTP API: supplier search on the demo data, from a second process, on
loopback only, bounded in time.

    python benchmarks/load_api.py --duration 300 --concurrency 8

It starts the service (``uvicorn api.app:create_app``, one worker) on 127.0.0.1 over a store
with the demo data (made and embedded on first use, then cached in ``--store``), warms it, then
drives ``POST /api/suppliers/search`` from this process with ``--concurrency`` connections for
``--duration`` seconds. It reports requests/s, latency percentiles, errors, and the server's
resident memory sampled every few seconds (first, last, peak: memory should stay flat).
Queries rotate through the demo's demand texts, after one warm pass over them (``--cold`` skips
it); ``--unique`` makes every query text new, so no cache can answer it and every request pays
for its query embedding.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _prepare_store(path: Path, scale: float) -> None:
    from graph.networkx_store import NetworkxStore
    from ingest.generate.demo import write_demo
    from ingest.load import load_paths
    from matching import MatchingEngine

    if path.exists():
        return
    folder = Path(tempfile.mkdtemp(prefix="firstset-bench-"))
    write_demo(folder, scale=scale, seed=7)
    store = NetworkxStore(path)
    try:
        load_paths(store, [folder])
        print("embedding the demo once (cached in the store after)…", file=sys.stderr)
        MatchingEngine(store, progress=True).refresh()
    finally:
        store.close()


def _demand_texts(path: Path) -> list[str]:
    from graph.networkx_store import NetworkxStore

    store = NetworkxStore(path)
    try:
        return [str(d.get("text")) for d in store.nodes("Demand") if d.get("text")]
    finally:
        store.close()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _drive(
    url: str, texts: list[str], *, duration: float, concurrency: int, unique: bool, top: int
) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    sent = 0
    stop = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def worker(w: int) -> None:
            nonlocal errors, sent
            i = w
            while time.perf_counter() < stop:
                text = texts[i % len(texts)]
                if unique:
                    text = f"{text} {i}号"
                i += concurrency
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/suppliers/search", json={"text": text, "top": top})
                    ok = r.status_code == 200 and r.json().get("results")
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                sent += 1
                if not ok:
                    errors += 1

        await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return latencies, errors, sent


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--store", type=Path, default=ROOT / ".cache" / "bench-demo.db")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds (at most 600)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--unique", action="store_true", help="a new query text every request")
    ap.add_argument("--cold", action="store_true", help="skip the warm pass over the demand texts")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.host not in LOOPBACK:
        ap.error("the benchmark only targets loopback (127.0.0.1)")
    duration = min(max(args.duration, 1.0), 600.0)
    args.store.parent.mkdir(parents=True, exist_ok=True)
    _prepare_store(args.store, args.scale)
    texts = _demand_texts(args.store)
    env = {
        **os.environ,
        "FIRSTSET_STORE": str(args.store),
        "FIRSTSET_ENVIRONMENT": "development",
        "FIRSTSET_OPEN_READS": "true",
        "FIRSTSET_KEYS_FILE": str(Path(tempfile.mkdtemp()) / "keys.json"),
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:create_app",
        "--factory",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env)
    url = f"http://{args.host}:{args.port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if (
                    httpx.post(
                        f"{url}/api/suppliers/search", json={"text": texts[0]}, timeout=600
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not come up")
            time.sleep(0.5)
        if not args.cold and not args.unique:
            print(f"warm pass over {len(texts)} demand texts…", file=sys.stderr)
            for text in texts:
                httpx.post(
                    f"{url}/api/suppliers/search", json={"text": text, "top": args.top}, timeout=600
                )
        proc = psutil.Process(server.pid)
        memory: list[float] = []

        async def sample() -> None:
            while True:
                memory.append(proc.memory_info().rss / 2**20)
                await asyncio.sleep(5)

        async def run() -> tuple[list[float], int, int]:
            sampler = asyncio.create_task(sample())
            try:
                return await _drive(
                    url,
                    texts,
                    duration=duration,
                    concurrency=args.concurrency,
                    unique=args.unique,
                    top=args.top,
                )
            finally:
                sampler.cancel()

        t0 = time.perf_counter()
        latencies, errors, sent = asyncio.run(run())
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    ms = [x * 1000 for x in latencies]
    report: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "cores": psutil.cpu_count(),
        "duration_s": round(wall, 1),
        "concurrency": args.concurrency,
        "unique_texts": args.unique,
        "warm_pass": not args.cold and not args.unique,
        "requests": sent,
        "errors": errors,
        "rps": round(sent / wall, 1),
        "latency_ms": {
            "p50": round(_pct(ms, 0.50), 1),
            "p95": round(_pct(ms, 0.95), 1),
            "p99": round(_pct(ms, 0.99), 1),
            "max": round(max(ms), 1) if ms else None,
            "mean": round(statistics.fmean(ms), 1) if ms else None,
        },
        "server_rss_mib": {
            "first": round(memory[0], 1) if memory else None,
            "last": round(memory[-1], 1) if memory else None,
            "peak": round(max(memory), 1) if memory else None,
        },
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for k, v in report.items():
            print(f"{k:16s} {v}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
