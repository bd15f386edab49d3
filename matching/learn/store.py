"""Learned models kept in the store: one per job, with a version that counts up.

Models live in the store's cache (``store.cache_put`` / ``cache_get``) under namespace
``matching``, key ``ranker:<job>``, as the JSON of :class:`~matching.learn.linear.LinearRanker`.
Every save takes the next version; ``load_model`` returns ``None`` when no model has been
trained, and the job then scores with its documented default weights.
"""

from __future__ import annotations

import json

from graph.store import GraphStore
from matching.learn.linear import LinearRanker

__all__ = ["MODEL_NAMESPACE", "load_model", "model_key", "save_model"]

MODEL_NAMESPACE = "matching"


def model_key(job: str) -> str:
    return f"ranker:{job}"


def load_model(store: GraphStore, job: str) -> LinearRanker | None:
    """The trained model of ``job`` in ``store``, or ``None``."""
    key = model_key(job)
    blob = store.cache_get(MODEL_NAMESPACE, [key]).get(key)
    if not blob:
        return None
    return LinearRanker.from_json(json.loads(blob.decode("utf-8")))


def save_model(store: GraphStore, model: LinearRanker) -> LinearRanker:
    """Keep ``model`` as the next version for its job; returns it with that version."""
    old = load_model(store, model.job)
    saved = model.with_version((old.version if old else 0) + 1)
    store.cache_put(MODEL_NAMESPACE, {model_key(model.job): saved.dumps()})
    return saved
