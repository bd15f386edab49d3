"""The deterministic demo-data generator: a fictional Chongqing first-set equipment ecosystem.

``write_demo`` writes the nine interchange-format v1 CSV files into a folder. The same seed
and scale give byte-identical files. Scale 1 is the bundled demo (300 organisations, 150
equipment items, 1,000 real patents…); larger scales multiply the counts for benchmarks
(scale 333 ≈ 100k organisations, 1M patents, 3M relationships) and stream rows to disk, keeping
in memory only the organisation index and one integer per patent.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as d:
...     counts = write_demo(Path(d), scale=0.1)
>>> counts["patents"], counts["demands"]
(100, 8)

Notes
-----
Time and memory are linear in ``scale``; scale 333 takes a few minutes on one core.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from ingest.generate.catalog import write_equipment, write_patents, write_technologies
from ingest.generate.common import COLUMNS, Progress, RowWriter
from ingest.generate.orgs import build_orgs
from ingest.generate.patents import DEFAULT_PATENTS
from ingest.generate.projects import (
    plan_demands,
    write_alliances,
    write_pitches,
    write_projects,
)

__all__ = ["DEFAULT_PATENTS", "write_demo"]


def write_demo(
    out_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 7,
    progress: Progress | None = None,
    patents_csv: Path = DEFAULT_PATENTS,
) -> dict[str, int]:
    """Write the demo ecosystem into ``out_dir``; return the number of rows per file.

    ``patents_csv`` is the real-patent table (id,title,ipc) whose titles the demo uses;
    ``progress`` is called as ``progress(file_kind, rows_so_far)`` every 10,000 rows and when
    a file is complete.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if not patents_csv.is_file():
        raise FileNotFoundError(f"real patent table not found: {patents_csv}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        w = {k: stack.enter_context(RowWriter(out_dir, k, progress)) for k in COLUMNS}
        rel = w["relations"]
        plan = plan_demands(scale, seed)
        demanded = Counter(key for _, keys in plan for key in keys)
        eco = build_orgs(w["organizations"], scale, seed, demanded)
        w["organizations"].close()
        eq = write_equipment(w["equipment"], eco, scale, seed, demanded)
        write_patents(w["patents"], rel, eco, scale, seed, patents_csv)
        write_technologies(w["technologies"], eco, scale, seed)
        write_alliances(w["alliances"], rel, eco, scale, seed)
        asked = write_projects(w["projects"], w["demands"], rel, eco, eq, plan, scale, seed)
        write_pitches(w["pitches"], eco, asked, scale, seed)
        counts = {k: writer.count for k, writer in w.items()}
    return counts
