"""The clearance rule, once: what a caller with a given clearance may see.

Every job, the CLI, the HTTP API and the read model ask here; nothing else decides.

- A caller's clearance is one of ``public`` < ``restricted`` < ``secret``; anything else is a
  request error (:func:`check_clearance`).
- A node's own ``clearance`` mark is the level needed to see it. A mark outside the three
  levels counts as the highest (fail closed: a typo never opens a node to everyone).
- A military project without a mark is ``restricted``.
- A demand needs at least its project's level (:func:`required_level` with ``parent``).
- Organisations are never classified: their ``clearance`` property is the security
  qualification they hold (保密资质), not a level needed to see them.

Examples
--------
>>> from graph.model import Node
>>> required_level(Node("t", "Technology", {"clearance": "top-secret"}))
'secret'
>>> required_level(Node("p", "Project", {"kind": "military"}))
'restricted'
>>> allows("restricted", "secret"), allows("secret", "restricted")
(False, True)
>>> is_visible(Node("d", "Demand", {}), "public",
...            parent=Node("p", "Project", {"kind": "military"}))
False
"""

from __future__ import annotations

from typing import Any

from graph.errors import InvalidRequest
from graph.model import CLEARANCE_ORDER, Label, Node

__all__ = [
    "HIGHEST",
    "LEVELS",
    "allows",
    "check_clearance",
    "is_visible",
    "level_of_mark",
    "required_level",
]

LEVELS: tuple[str, ...] = tuple(CLEARANCE_ORDER)
HIGHEST = LEVELS[-1]


def check_clearance(clearance: Any, *, field: str = "clearance") -> str:
    """The caller's clearance, or ``InvalidRequest`` naming ``field`` when it is not a level."""
    if not isinstance(clearance, str) or clearance not in CLEARANCE_ORDER:
        raise InvalidRequest(f"clearance must be one of {', '.join(LEVELS)}", field=field)
    return clearance


def level_of_mark(mark: Any) -> str:
    """The level a ``clearance`` mark stands for: empty is public, unknown is the highest.

    >>> level_of_mark(None), level_of_mark("restricted"), level_of_mark("机密")
    ('public', 'restricted', 'secret')
    """
    if mark is None or mark == "":
        return LEVELS[0]
    text = str(mark).strip()
    if not text:
        return LEVELS[0]
    return text if text in CLEARANCE_ORDER else HIGHEST


def required_level(node: Node, *, parent: Node | None = None) -> str:
    """The clearance needed to see ``node``; ``parent`` is a demand's project, if any."""
    if node.label == Label.ORGANIZATION:
        return LEVELS[0]
    level = level_of_mark(node.props.get("clearance"))
    if (
        node.label == Label.PROJECT
        and node.props.get("kind") == "military"
        and not node.props.get("clearance")
    ):
        level = "restricted"
    if parent is not None:
        up = required_level(parent)
        if CLEARANCE_ORDER[up] > CLEARANCE_ORDER[level]:
            level = up
    return level


def allows(caller: str, required: str) -> bool:
    """True when a caller with ``caller`` clearance may see what needs ``required``.

    An unknown caller clearance sees only public things; an unknown requirement is the highest.
    """
    have = CLEARANCE_ORDER.get(caller, 0)
    return have >= CLEARANCE_ORDER.get(required, CLEARANCE_ORDER[HIGHEST])


def is_visible(node: Node, clearance: str, *, parent: Node | None = None) -> bool:
    """True when a caller with ``clearance`` may see ``node`` (a demand: with its project)."""
    return allows(clearance, required_level(node, parent=parent))
