"""No result ever exceeds the caller's clearance, at every entry point of the jobs: results,
counts, evidence and error messages. A hidden id fails exactly like an id that exists nowhere."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.visibility import is_visible
from graph.errors import FirstsetError, InfeasibleConsortium, NodeNotFound
from graph.model import CLEARANCE_ORDER
from graph.networkx_store import NetworkxStore
from matching.consortium import ConsortiumRequest, form_consortia
from matching.partners import PartnerQuery, PartnerRanker
from matching.roadshow import shortlist
from matching.transfers import find_transfers
from tests.jobs.graphs import random_store
from tests.jobs.plumbing import plumbing

LEVELS = list(CLEARANCE_ORDER)


def hidden_ids(store: NetworkxStore, clearance: str) -> set[str]:
    out = set()
    for label in ("Technology", "Project", "Demand"):
        for n in store.nodes(label):
            if not is_visible(store, n, clearance):
                out.add(n.id)
    return out


def strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from strings(v)


def assert_clean(payload: Any, hidden: set[str]) -> None:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    for s in strings(json.loads(text)):
        for h in hidden:
            assert s != h and h + " " not in s and not s.endswith(h) and f"{h}," not in s, (h, s)


def same_error(call: Any, hidden_id: str) -> None:
    with pytest.raises(FirstsetError) as hidden:
        call(hidden_id)
    with pytest.raises(FirstsetError) as missing:
        call("no-such-id")
    assert type(hidden.value) is type(missing.value) is NodeNotFound
    assert str(hidden.value).replace(hidden_id, "ID") == str(missing.value).replace("no-such-id", "ID")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), clearance=st.sampled_from(LEVELS))
def test_no_entry_point_shows_anything_above_clearance(seed: int, clearance: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = random_store(Path(tmp), seed, n_orgs=40, n_projects=6)
        try:
            hidden = hidden_ids(store, clearance)
            # transfers: every technology, demand and organisation as the source
            for t in store.nodes("Technology"):
                if t.id in hidden:
                    same_error(lambda i: find_transfers(plumbing(store), technology=i, clearance=clearance), t.id)
                elif t.props.get("origin") == "military":
                    assert_clean(find_transfers(plumbing(store), technology=t.id, clearance=clearance).to_json(), hidden)
            for d in store.nodes("Demand"):
                if d.id in hidden:
                    same_error(lambda i: find_transfers(plumbing(store), demand=i, clearance=clearance), d.id)
                else:
                    assert_clean(find_transfers(plumbing(store), demand=d.id, clearance=clearance).to_json(), hidden)
            for o in list(store.nodes("Organization"))[:4]:
                assert_clean(find_transfers(plumbing(store), org=o.id, clearance=clearance).to_json(), hidden)
            # roadshow
            assert_clean(shortlist(plumbing(store), size=5, clearance=clearance).to_json(), hidden)
            # consortia
            for p in store.nodes("Project"):
                call = lambda i: form_consortia(store, ConsortiumRequest(i, clearance=clearance), fit=plumbing(store))  # noqa: E731
                if p.id in hidden:
                    same_error(call, p.id)
                    continue
                try:
                    teams = call(p.id)
                except InfeasibleConsortium as exc:
                    assert_clean(str(exc), hidden)
                    continue
                assert_clean([t.to_json() for t in teams], hidden)
            # partners
            ranker = PartnerRanker.from_store(store, clearance=clearance)
            for p in store.nodes("Project"):
                q = lambda i: ranker.rank(PartnerQuery(i), top=10)  # noqa: E731
                if p.id in hidden:
                    same_error(q, p.id)
                else:
                    assert_clean([h.to_json() for h in q(p.id)], hidden)
        finally:
            store.close()
