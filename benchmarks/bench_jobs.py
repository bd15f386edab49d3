"""Benchmarks of the jobs, runnable without the CLI: ``python benchmarks/bench_jobs.py``.

The same code backs ``firstset bench consortium`` and ``firstset bench partners``; see
``benchmarks/jobs.py`` for what is measured and the peers measured beside it.
"""

from __future__ import annotations

import json

from benchmarks.jobs import bench_consortium, bench_partners

if __name__ == "__main__":
    print(json.dumps({"consortium": bench_consortium(), "partners": bench_partners()}, indent=2))
