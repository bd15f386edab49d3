"""``--map``: header overrides from a TOML file or ``header=column`` pairs.

A map file::

    kind = "product_list"          # optional: read every table as this kind
    [columns]
    "申报单位（盖章）" = "maker"
    "备注" = "-"                    # drop the column
    [catalogue]                     # optional: a product list's catalogue
    name = "重庆市首台（套）重大技术装备产品名单"
    year = 2024
    batch = 1
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph.errors import InvalidRequest
from ingest.headers import LIST_KINDS, TARGETS
from ingest.readers import KINDS, ReadOptions

__all__ = ["read_options"]

_CATALOGUE_KEYS = ("name", "year", "batch", "scope")


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(message, field="map")


def _from_file(path: Path) -> tuple[dict[str, str], str | None, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise _bad(f"--map {path}: 无法读取 / cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _bad(f"--map {path}: TOML 格式错误 / not valid TOML: {exc}") from None
    unknown = set(data) - {"kind", "columns", "catalogue"}
    if unknown:
        raise _bad(
            f"--map {path}: unknown key(s) {', '.join(sorted(unknown))}; "
            "expected kind, [columns], [catalogue]"
        )
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise _bad(f"--map {path}: [columns] must map header text to a column name")
    catalogue = data.get("catalogue", {})
    if not isinstance(catalogue, dict) or set(catalogue) - set(_CATALOGUE_KEYS):
        raise _bad(f"--map {path}: [catalogue] takes {', '.join(_CATALOGUE_KEYS)}")
    kind = data.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise _bad(f"--map {path}: kind must be text")
    return dict(columns), kind, dict(catalogue)


def read_options(maps: Sequence[str]) -> ReadOptions:
    """Options from ``--map`` values: ``FILE.toml`` or ``header=column`` (``-`` drops it).

    >>> read_options(["企业名称=name", "备注=-"]).overrides
    (('企业名称', 'name'), ('备注', '-'))
    """
    columns: dict[str, str] = {}
    kind: str | None = None
    catalogue: dict[str, Any] = {}
    known = {t for targets in TARGETS.values() for t in targets} | {"-"}
    for value in maps:
        if value.lower().endswith(".toml") and "=" not in value:
            more, file_kind, cat = _from_file(Path(value))
            columns.update(more)
            kind = file_kind or kind
            catalogue.update(cat)
            continue
        header, sep, target = value.partition("=")
        if not sep or not header.strip() or not target.strip():
            raise _bad(
                f"--map {value!r}: 应为 表头=列名 或 FILE.toml / expected HEADER=COLUMN "
                "or FILE.toml"
            )
        columns[header.strip()] = target.strip()
    for header, target in columns.items():
        if target not in known:
            raise _bad(f"--map {header}={target}: 未知的列名 / unknown column {target!r}")
    if kind is not None and kind not in (*LIST_KINDS, *KINDS):
        raise _bad(f"--map kind={kind!r}: expected one of {', '.join((*LIST_KINDS, *KINDS))}")
    return ReadOptions(tuple(columns.items()), kind, tuple(catalogue.items()))
