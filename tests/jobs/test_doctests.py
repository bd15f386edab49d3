"""The runnable examples in the jobs' docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "graph.proximity",
    "matching.jobs_common",
    "matching.partners",
    "matching.partners_eval",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
