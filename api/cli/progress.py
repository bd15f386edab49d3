"""Rich progress bars for long CLI work, fed by the ``(stage, done, total)`` callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from api.cli.common import console

__all__ = ["StageBars", "stage_bars"]

STAGE_NAMES = {
    "read": "读取 reading",
    "validate": "校验 validating",
    "write": "写入 writing",
    "embed": "向量化 embedding",
    "generate": "生成 generating",
    "copy": "复制 copying",
    "evaluate": "评估 evaluating",
}


class StageBars:
    """One bar per stage; call with (stage, done, total)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(STAGE_NAMES.get(stage, stage), total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)


@contextmanager
def stage_bars(enabled: bool = True) -> Iterator[StageBars]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled or not console.is_terminal,
        transient=False,
    )
    with progress:
        yield StageBars(progress)
