"""Shared fixtures. ``store`` is parametrised over every backend so one suite runs on each.

The Bolt backend joins when ``FIRSTSET_TEST_BOLT`` names a running server (``make test`` starts
one); without it those cases fail loudly under ``make test`` rather than being skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.networkx_store import NetworkxStore
from graph.store import GraphStore

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def _backends() -> list[str]:
    names = ["networkx"]
    if os.environ.get("FIRSTSET_TEST_BOLT") or os.environ.get("FIRSTSET_REQUIRE_BOLT"):
        names.append("bolt")
    return names


def make_store(kind: str, tmp_path: Path) -> GraphStore:
    if kind == "networkx":
        return NetworkxStore(tmp_path / f"{uuid.uuid4().hex}.db")
    url = os.environ.get("FIRSTSET_TEST_BOLT")
    if not url:
        raise RuntimeError("FIRSTSET_REQUIRE_BOLT is set but no FIRSTSET_TEST_BOLT server URL")
    from graph.neo4j_store import Neo4jStore

    store = Neo4jStore.from_url(url)
    store.clear()  # each test starts from an empty database
    return store


@pytest.fixture(params=_backends())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    s = make_store(request.param, tmp_path)
    try:
        yield s
    finally:
        s.close()
