"""The supplier answer cache is bounded by entries and by bytes, and hands out fresh copies."""

from __future__ import annotations

from api.services import Jobs, plumbing_engine
from graph.store import GraphStore


def test_answer_cache_stays_within_its_byte_budget(store: GraphStore) -> None:
    jobs = Jobs(store, plumbing_engine(store), cache_size=1000, cache_bytes=20_000)
    sizes = []
    for i in range(60):
        jobs.suppliers({"text": f"土压平衡盾构机 {i}号", "top": 5}, "public")
        sizes.append(jobs.cache_stats()["bytes"])
    stats = jobs.cache_stats()
    assert 0 < stats["bytes"] <= 20_000
    assert stats["entries"] < 60  # old answers were let go
    assert max(sizes) <= 20_000
    assert sizes[-1] >= 20_000 * 0.5  # and the budget is used, not wasted


def test_answer_cache_by_entries_and_fresh_copies(store: GraphStore) -> None:
    jobs = Jobs(store, plumbing_engine(store), cache_size=3)
    for i in range(5):
        jobs.suppliers({"text": f"磨齿机 {i}", "top": 3}, "public")
    assert jobs.cache_stats()["entries"] == 3
    first = jobs.suppliers({"text": "磨齿机 4", "top": 3}, "public")
    first[0]["name"] = "changed by a caller"
    again = jobs.suppliers({"text": "磨齿机 4", "top": 3}, "public")
    assert again[0]["name"] != "changed by a caller"
    engine_calls = jobs.engine.embedder.calls if hasattr(jobs.engine.embedder, "calls") else None
    assert again == jobs.suppliers({"text": "磨齿机 4", "top": 3}, "public")
    if engine_calls is not None:
        assert jobs.engine.embedder.calls == engine_calls  # answered from the cache
