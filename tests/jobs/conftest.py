from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.networkx_store import NetworkxStore
from tests.jobs.graphs import random_store


@pytest.fixture
def rstore(tmp_path: Path) -> Iterator[NetworkxStore]:
    s = random_store(tmp_path, 7, n_orgs=80, n_projects=10)
    try:
        yield s
    finally:
        s.close()
