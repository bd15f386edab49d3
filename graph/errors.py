"""One root error for the whole project, with subclasses by meaning.

The API maps these to HTTP codes in one handler; the CLI prints their message and exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ClearanceDenied",
    "FirstsetError",
    "InfeasibleConsortium",
    "IngestError",
    "InvalidRequest",
    "NodeNotFound",
    "RowError",
    "StoreError",
]


class FirstsetError(Exception):
    """Root of every error firstset raises on purpose."""


class NodeNotFound(FirstsetError, KeyError):
    """No node has this id."""

    def __init__(self, node_id: str) -> None:
        super().__init__(node_id)
        self.node_id = node_id

    def __str__(self) -> str:
        return f"节点不存在 / no node with id {self.node_id!r}"


class StoreError(FirstsetError):
    """The store refused a write or could not be opened; nothing was written."""


class InvalidRequest(FirstsetError):
    """A request parameter is wrong; ``field`` names it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InfeasibleConsortium(FirstsetError):
    """No consortium satisfies the request; the message names the missing role or rule."""


class ClearanceDenied(FirstsetError):
    """The caller's clearance does not allow this call."""


@dataclass(frozen=True)
class RowError:
    """One problem in one input row: where it is and what is wrong."""

    file: str
    line: int
    column: str
    reason: str
    col: int = 0  # 1-based column number where known, else 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.col:
            where += f":{self.col}"
        if self.column:
            where += f" [{self.column}]"
        return f"{where}: {self.reason}"


class IngestError(FirstsetError):
    """A load was refused; ``errors`` holds every bad row found, not just the first."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        head = "\n".join(str(e) for e in errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s), nothing was written:\n{head}{more}")
