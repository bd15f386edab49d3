"""Open a store from a location: a file path (embedded) or a ``bolt://`` / ``neo4j://`` URL."""

from __future__ import annotations

import os
from pathlib import Path

from graph.store import GraphStore

__all__ = ["DEFAULT_STORE", "SERVER_SCHEMES", "open_store"]

DEFAULT_STORE = "firstset.db"
SERVER_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def open_store(location: str | os.PathLike[str] | None = None) -> GraphStore:
    """The store at ``location``, else ``$FIRSTSET_STORE``, else ``./firstset.db``."""
    where = str(location or os.environ.get("FIRSTSET_STORE") or DEFAULT_STORE)
    if where.startswith(SERVER_SCHEMES):
        from graph.neo4j_store import Neo4jStore  # optional dependency: the neo4j driver

        return Neo4jStore.from_url(where)
    from graph.networkx_store import NetworkxStore

    return NetworkxStore(Path(where))
