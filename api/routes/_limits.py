"""Bounds every job route applies from the settings (``top``, batch size), and the batch loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from api.settings import Settings
from graph.errors import InvalidRequest

__all__ = ["check_batch", "check_top", "run_batch"]


def check_top(value: int, settings: Settings, field: str = "top") -> None:
    if value > settings.max_top:
        raise InvalidRequest(
            f"{field} 最大为 {settings.max_top} / {field} is at most {settings.max_top}",
            field=field,
        )


def check_batch(items: Sequence[object] | None, settings: Settings) -> None:
    if items is not None and len(items) > settings.max_batch:
        raise InvalidRequest(
            f"批量最多 {settings.max_batch} 条 / at most {settings.max_batch} queries in a batch",
            field="batch",
        )


class _HasTop(Protocol):
    top: int


def run_batch(
    batch: Sequence[_HasTop], settings: Settings, answer: Callable[[Any], list[dict[str, Any]]]
) -> list[list[dict[str, Any]]]:
    """Answer each query of a batch in order; an error names the query (``batch.3.top``)."""
    out: list[list[dict[str, Any]]] = []
    for i, q in enumerate(batch):
        check_top(q.top, settings, f"batch.{i}.top")
        try:
            out.append(answer(q))
        except InvalidRequest as exc:
            raise InvalidRequest(f"batch[{i}]: {exc}", field=f"batch.{i}.{exc.field}") from None
    return out
