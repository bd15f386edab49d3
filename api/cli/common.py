"""What every CLI command shares: the store and JSON options, output, and error reporting."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from graph.errors import FirstsetError, IngestError
from graph.open_store import open_store
from graph.store import GraphStore

__all__ = [
    "EmbedderOpt",
    "JsonOpt",
    "StoreOpt",
    "benchmark",
    "console",
    "emit_json",
    "engine_for",
    "fail",
    "guarded",
    "opened_store",
]

console = Console(stderr=True, soft_wrap=True)

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="FIRSTSET_STORE",
        help="Store: a SQLite file path (embedded) or a bolt:// / neo4j:// URL. 存储位置",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table. 输出 JSON")]
EmbedderOpt = Annotated[
    str | None,
    typer.Option("--embedder", envvar="FIRSTSET_EMBEDDER",
                 help="e5+use (default: e5 and USE fused), e5, use, hash, or st:MODEL "
                 "(sentence-transformers). 向量模型"),
]


def engine_for(store: GraphStore, embedder: str | None, device: str | None = None, *,
               weights: Path | None = None, progress: bool = True) -> Any:
    """The matching engine over ``store`` with the ``--embedder`` (and ``--device``) named, and
    the scoring weights of a ``--weights`` file when one is given."""
    from matching.embedders import make_embedder
    from matching.engine import MatchingEngine
    from matching.scoring import Weights

    w = Weights.load(weights) if weights else None
    return MatchingEngine(store, make_embedder(embedder, device=device), weights=w,
                          progress=progress)


def emit_json(payload: Any) -> None:
    """One JSON document on stdout, UTF-8, Chinese kept readable."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


def fail(message: str, *, as_json: bool, code: int = 1, details: Any = None) -> typer.Exit:
    """Report an error (as JSON on stdout with --json, else in red on stderr); return Exit."""
    if as_json:
        emit_json({"error": message, "details": details})
    else:
        console.print(f"[bold red]错误 / error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


@contextmanager
def opened_store(location: str | None) -> Iterator[GraphStore]:
    store = open_store(location)
    try:
        yield store
    finally:
        store.close()


F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def guarded(as_json: bool) -> Iterator[None]:
    """Turn the project's errors into a clear message and a non-zero exit code."""
    try:
        yield
    except IngestError as exc:
        details = [e.__dict__ for e in exc.errors]
        raise fail(str(exc), as_json=as_json, code=2, details=details) from exc
    except FirstsetError as exc:
        raise fail(str(exc), as_json=as_json, code=1) from exc


def benchmark(name: str) -> ModuleType:
    """The benchmark module ``benchmarks/<name>.py`` of the source checkout (benchmark code is
    not part of the installed packages; ``firstset bench`` runs it from the checkout)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / f"{name}.py").is_file():
        raise FirstsetError(f"benchmarks/{name}.py not found: firstset bench runs from a source "
                            "checkout / 基准测试需要源码目录")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(f"benchmarks.{name}")


def batch_lines(path: Path) -> list[tuple[int, dict[str, Any] | str]]:
    """The lines of a JSONL batch file, numbered from 1: each a JSON object, or the reason it
    is not one (blank lines are skipped)."""
    from graph.errors import InvalidRequest

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"{path}: cannot read the batch file: {exc}", field="batch") from exc
    out: list[tuple[int, dict[str, Any] | str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append((n, f"not JSON at column {exc.colno}: {exc.msg} / 不是合法的 JSON"))
            continue
        out.append((n, rec if isinstance(rec, dict) else "not a JSON object / 不是 JSON 对象"))
    return out


def run_batch(
    lines: list[tuple[int, dict[str, Any] | str]],
    answer: Callable[[dict[str, Any]], dict[str, Any]],
) -> int:
    """Answer every line of a batch, one JSON line each, in order. A line that fails writes
    ``{"error": ..., "line": N}`` (and ``"field"`` where the error names one) and the others
    are answered all the same; returns how many lines failed."""
    failed = 0
    for n, rec in lines:
        if isinstance(rec, str):
            emit_json({"error": rec, "line": n, "results": []})
            failed += 1
            continue
        try:
            emit_json(answer(rec))
        except (FirstsetError, KeyError, ValueError, TypeError) as exc:
            failed += 1
            err: dict[str, Any] = {"error": str(exc), "line": n, "results": []}
            field = getattr(exc, "field", None)
            if field:
                err["field"] = field
            emit_json(err)
    return failed
