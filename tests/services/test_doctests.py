"""The runnable examples in the services' docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["matching.patent_terms", "matching.ip_risk", "matching.tender"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
