"""How the Bolt store (:mod:`graph.neo4j_store`) keeps a node's or relationship's properties on
the server, and how it reads them back.

What a Bolt server stores natively is stored as it is — strings, booleans, 64-bit integers,
floats, byte strings and lists of one of those kinds (empty lists too; not lists of byte
strings), so Cypher users see and query them as usual. Everything else a JSON mapping may hold
(``None``, nested maps, mixed-type or nested lists, integers past 64 bits) and any key named
``id`` or starting with ``_fs_`` is kept as JSON in one string property, :data:`SHADOW`
(``_fs_json``), and merged back on read: an upsert followed by a get returns exactly what was
written, on every server.

Examples
--------
>>> stored = encode({"name": "甲", "kinds": ["user"], "note": None}, node_id="org:1")
>>> stored == {"name": "甲", "kinds": ["user"], "_fs_json": '{"note": null}', "id": "org:1"}
True
>>> decode(stored, is_node=True)
{'name': '甲', 'kinds': ['user'], 'note': None}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from graph.neo4j_cypher import NODE_LABEL

__all__ = ["SHADOW", "canonical", "decode", "encode", "is_native", "main_label"]

SHADOW: Final = "_fs_json"
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def _scalar_kind(value: Any) -> type | None:
    if isinstance(value, bool):
        return bool
    if isinstance(value, int):
        return int if _INT_MIN <= value <= _INT_MAX else None
    for kind in (str, float, bytes):  # subclasses (StrEnum members) count as their base
        if isinstance(value, kind):
            return kind
    return None


def is_native(value: Any) -> bool:
    """True when a Bolt server stores this value as a property as it is.

    >>> is_native(["a", "b"]), is_native([1, "a"]), is_native(2**70), is_native(None)
    (True, False, False, False)
    """
    if isinstance(value, list):
        kinds = {_scalar_kind(v) for v in value}
        return not value or (len(kinds) == 1 and None not in kinds and bytes not in kinds)
    return _scalar_kind(value) is not None


def encode(props: Mapping[str, Any], *, node_id: str | None = None) -> dict[str, Any]:
    """The properties to store: native values as they are, the rest as JSON in ``SHADOW``;
    a node's ``id`` last, over any property of that name (which goes to ``SHADOW``)."""
    native: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in props.items():
        if key == "id" or key.startswith("_fs_") or not is_native(value):
            extra[key] = value
        else:
            native[key] = value
    if extra:
        native[SHADOW] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
    if node_id is not None:
        native["id"] = node_id
    return native


def decode(stored: Mapping[str, Any], *, is_node: bool) -> dict[str, Any]:
    """The properties that were written, from what the server holds (inverse of ``encode``)."""
    props = dict(stored)
    if is_node:
        props.pop("id", None)
    extra = props.pop(SHADOW, None)
    if extra:
        props.update(json.loads(extra))
    return props


def canonical(props: Mapping[str, Any]) -> str:
    """The same canonical text the embedded store compares, so both count changes alike.

    >>> canonical({"b": 1, "a": b"\\x01"})
    '{"a":"01","b":1}'
    """
    return json.dumps(
        props, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def main_label(labels: Iterable[str]) -> str:
    """A node's own label among the labels the server reports (``FsNode`` left out).

    >>> main_label(["FsNode", "Patent"])
    'Patent'
    """
    rest = [label for label in labels if label != NODE_LABEL]
    return rest[0] if rest else NODE_LABEL
