"""Engines for plumbing tests of the jobs: the real engine over a deterministic hashing
embedder (never for tests that judge quality)."""

from __future__ import annotations

import weakref

from api.services import plumbing_engine
from graph.store import GraphStore
from matching.engine import MatchingEngine
from matching.jobs_common import ModeFit

_ENGINES: weakref.WeakKeyDictionary[GraphStore, MatchingEngine] = weakref.WeakKeyDictionary()


def plumbing(store: GraphStore) -> MatchingEngine:
    """One hashing-embedder engine per store (its read models are shared across calls)."""
    engine = _ENGINES.get(store)
    if engine is None:
        engine = _ENGINES[store] = plumbing_engine(store)
    return engine


def lexical_fit(store: GraphStore) -> ModeFit:
    """The engine's lexical ranking alone: what ``--fit lexical`` uses."""
    return ModeFit(plumbing(store), "lexical")
