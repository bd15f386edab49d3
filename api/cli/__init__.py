"""The ``firstset`` command line. Each command group lives in its own module under ``commands``."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="firstset",
    help="首台（套）重大技术装备 知识图谱与供需匹配 / first-set equipment knowledge graph and matching.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Sub-command groups that several modules add to.
bench_app = typer.Typer(
    help="Benchmarks: medians and ratios against a simple peer. 性能基准", no_args_is_help=True
)
eval_app = typer.Typer(
    help="Evaluate ranking quality on labelled cases. 效果评估", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")

# Modules under api/cli/commands that each define ``register(app)``; they may add to the groups above.
COMMAND_MODULES = ["core", "keys", "serve", "jobs", "migrate", "matching", "watch", "services_ip", "catalogue"]


_built: list[bool] = []


def build() -> typer.Typer:
    """Register every command module once; later calls return the same app."""
    if not _built:
        for name in COMMAND_MODULES:
            importlib.import_module(f"api.cli.commands.{name}").register(app)
        _built.append(True)
    return app


def main() -> None:
    build()()
