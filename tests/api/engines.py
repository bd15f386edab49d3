"""Engines for the API tests: the real engine over a deterministic hashing embedder."""

from __future__ import annotations

from api.services import plumbing_engine

__all__ = ["plumbing_engine"]
