"""Deterministic generator of the demo ecosystem and of benchmark-sized graphs."""

from __future__ import annotations

from ingest.generate.demo import write_demo

__all__ = ["write_demo"]
