"""Bounds every job route applies from the settings (``top``, batch size)."""

from __future__ import annotations

from collections.abc import Sequence

from api.settings import Settings
from graph.errors import InvalidRequest

__all__ = ["check_batch", "check_top"]


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
