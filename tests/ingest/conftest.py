"""Fixtures of the ingest tests: the real embedding model, loaded once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def e5() -> object:
    from matching.embedders import E5Embedder

    return E5Embedder()
