"""Matching: embedders, indexes, scoring and explanations, the supplier search and its evaluation.

The public entry point is :class:`~matching.engine.MatchingEngine` (see its module docstring for
the API the jobs and the CLI use). The four jobs (consortium, partners, transfers, roadshow)
live in their own modules and call the engine through ``rank_organizations``.
"""

from __future__ import annotations

from matching.embedders import (
    CachedEmbedder,
    E5Embedder,
    Embedder,
    EmbedderUnavailable,
    HashEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from matching.engine import Evidence, Hit, MatchingEngine, OrgSimilarity, SupplierQuery
from matching.index import ExactVectorIndex, LexicalIndex, VectorIndex, top_k_vectors
from matching.scoring import DEFAULT_WEIGHTS, Weights

__all__ = [
    "DEFAULT_WEIGHTS",
    "CachedEmbedder",
    "E5Embedder",
    "Embedder",
    "EmbedderUnavailable",
    "Evidence",
    "ExactVectorIndex",
    "HashEmbedder",
    "Hit",
    "LexicalIndex",
    "MatchingEngine",
    "OrgSimilarity",
    "SentenceTransformerEmbedder",
    "SupplierQuery",
    "VectorIndex",
    "Weights",
    "make_embedder",
    "top_k_vectors",
]
