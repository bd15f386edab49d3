"""The seam between the HTTP routes and the matching jobs.

Builds the engine once (lazily: loading the model takes seconds), keeps per-version caches, and
calls each job with the caller's clearance. Every result then passes ``filter_payload`` as a
second line of defence, so nothing above the caller's clearance leaves the service even if a job
forgot to filter it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson

from api.visibility import filter_payload, visible_get
from graph.errors import InvalidRequest, NodeNotFound
from graph.store import GraphStore

__all__ = ["ANSWER_CACHE_BYTES", "Jobs", "default_engine", "plumbing_engine"]

ANSWER_CACHE_BYTES = 8 << 20  # supplier answers kept as JSON: 8 MiB (~2,000 answers of 10 hits)


def default_engine(store: GraphStore) -> Any:
    """The matching engine over ``store`` with the embedder ``FIRSTSET_EMBEDDER`` names (the
    CLI's ``--embedder`` specs), by default e5 and USE fused (offline)."""
    import os

    from matching.embedders import make_embedder
    from matching.engine import MatchingEngine

    return MatchingEngine(store, make_embedder(os.environ.get("FIRSTSET_EMBEDDER") or None))


def plumbing_engine(store: GraphStore) -> Any:
    """The engine over a deterministic hashing embedder: for tests of plumbing, not quality."""
    from matching.embedders import HashEmbedder
    from matching.engine import MatchingEngine

    return MatchingEngine(store, HashEmbedder())


def _not_found_as(field: str, exc: NodeNotFound) -> InvalidRequest:
    return InvalidRequest(f"节点不存在 / no node with id {exc.node_id!r}", field=field)


class Jobs:
    """The four jobs for one store, as one caller of a given clearance sees them."""

    def __init__(
        self,
        store: GraphStore,
        engine: Any,
        *,
        cache_size: int = 1024,
        cache_bytes: int = ANSWER_CACHE_BYTES,
    ) -> None:
        self.store = store
        self.engine = engine
        self._lock = threading.Lock()
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes
        self._answers: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._answer_bytes = 0

    def _remember(self, key: tuple[Any, ...], value: list[dict[str, Any]] | None = None) -> Any:
        """An LRU of supplier answers keyed by store version, clearance and the query: a repeated
        search (the same demand asked again) costs no query embedding.

        Bounded by entries (``cache_size``) and by bytes (``cache_bytes``): answers are kept as
        compact JSON, so the memory they hold is what is counted, and each hit is a fresh copy.
        """
        with self._lock:
            if value is None:
                blob = self._answers.get(key)
                if blob is None:
                    return None
                self._answers.move_to_end(key)
                return orjson.loads(blob)
            blob = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
            old = self._answers.pop(key, None)
            self._answer_bytes -= len(old) + len(key[-1]) if old is not None else 0
            if len(blob) > self._cache_bytes:
                return value
            self._answers[key] = blob
            self._answer_bytes += len(blob) + len(key[-1])
            while len(self._answers) > self._cache_size or self._answer_bytes > self._cache_bytes:
                k, b = self._answers.popitem(last=False)
                self._answer_bytes -= len(b) + len(k[-1])
            return value

    def cache_stats(self) -> dict[str, int]:
        """Entries and bytes held by the answer cache, and its limits."""
        with self._lock:
            return {
                "entries": len(self._answers),
                "bytes": self._answer_bytes,
                "max_entries": self._cache_size,
                "max_bytes": self._cache_bytes,
            }

    # ---- suppliers ---------------------------------------------------------------------------

    def suppliers(self, query: dict[str, Any], clearance: str) -> list[dict[str, Any]]:
        from matching.engine import SupplierQuery

        key = (self.store.version(), clearance, json.dumps(query, sort_keys=True, default=str))
        cached: list[dict[str, Any]] | None = self._remember(key)
        if cached is not None:
            return cached
        demand = query.get("demand")
        if demand:
            try:
                visible_get(self.store, demand, clearance)
            except NodeNotFound as exc:
                raise _not_found_as("demand", exc) from None
        hits = self.engine.suppliers(
            SupplierQuery(
                text=query.get("text"),
                demand_id=demand,
                field=query.get("field"),
                region=query.get("region"),
                local=bool(query.get("local")),
                catalogued=bool(query.get("catalogued")),
                insured=bool(query.get("insured")),
                evaluated=bool(query.get("evaluated")),
                on=query.get("on"),
                top=int(query.get("top", 10)),
            ),
            clearance=clearance,
        )
        if query.get("ip_risk"):
            from matching.ip_risk import hits_with_ip_warnings

            hits = hits_with_ip_warnings(self.engine, hits, text=query.get("text"),
                                         demand=demand, clearance=clearance)
        out: list[dict[str, Any]] = filter_payload(
            self.store, [h.to_json() for h in hits], clearance)
        self._remember(key, out)
        return out

    def supplier_query_terms(self, query: dict[str, Any], clearance: str) -> list[str]:
        """The Chinese words an English supplier query also searched with (its text, else its
        demand's); empty for a Chinese one."""
        text = query.get("text")
        if not text and query.get("demand"):
            text = visible_get(self.store, query["demand"], clearance).get("text")
        return self.engine.query_terms(str(text)) if text else []

    # ---- consortia ---------------------------------------------------------------------------

    def consortia(
        self,
        project: str,
        *,
        roles: Sequence[str] | None,
        pinned: Sequence[str],
        alternatives: int,
        local: bool,
        clearance: str,
        ip_risk: bool = False,
    ) -> list[dict[str, Any]]:
        from matching.consortium import ConsortiumRequest, form_consortia, parse_roles

        visible_get(self.store, project, clearance)
        for org in pinned:
            try:
                visible_get(self.store, org, clearance)
            except NodeNotFound as exc:
                raise _not_found_as("with", exc) from None
        request = ConsortiumRequest(
            project_id=project,
            roles=parse_roles(roles),
            pinned=tuple(pinned),
            local_only=local,
            clearance=clearance,
            alternatives=alternatives,
        )
        found = form_consortia(self.store, request, fit=self.engine)
        teams = [c.to_json() for c in found]
        if ip_risk:
            from matching.consortium import project_text_with_demands
            from matching.ip_risk import with_ip_warnings

            text = project_text_with_demands(self.store, self.store.get(project))
            for team in teams:
                ids = [str(m["id"]) for m in team["members"]]
                makers = [m for m in team["members"] if m["role"] == "manufacturer"]
                with_ip_warnings(self.engine, text, makers, clearance=clearance, partners=ids)
        out: list[dict[str, Any]] = filter_payload(self.store, teams, clearance)
        return out

    # ---- partners ----------------------------------------------------------------------------

    def partners(self, query: dict[str, Any], clearance: str) -> list[dict[str, Any]]:
        from matching.partners import PartnerQuery

        project = query["project"]
        if isinstance(project, str):
            try:
                visible_get(self.store, project, clearance)
            except NodeNotFound as exc:
                raise _not_found_as("project", exc) from None
        for member in query.get("members") or ():
            try:
                visible_get(self.store, member, clearance)
            except NodeNotFound as exc:
                raise _not_found_as("members", exc) from None
        top = int(query.get("top", 10))
        from matching.partners import partner_ranker

        # Cached per store version and clearance: restricted projects never reach a public ranker.
        ranker = partner_ranker(self.store, clearance=clearance)
        try:
            hits = ranker.rank(PartnerQuery.from_json(query), top=top * 2 + 10)
        except NodeNotFound as exc:
            raise _not_found_as("members", exc) from None
        keep = [h.to_json() for h in hits]
        visible = {n.id for n in self.store.get_many([h["id"] for h in keep])}
        keep = [h for h in keep if h["id"] in visible]
        out: list[dict[str, Any]] = filter_payload(self.store, keep, clearance)
        return out[:top]

    # ---- transfers ---------------------------------------------------------------------------

    def transfers(self, query: dict[str, Any], clearance: str) -> dict[str, Any]:
        from matching.transfers import find_transfers

        result = find_transfers(
            self.engine,
            technology=query.get("technology"),
            demand=query.get("demand"),
            org=query.get("org"),
            clearance=clearance,
            top=int(query.get("top", 10)),
        )
        out: dict[str, Any] = filter_payload(self.store, result.to_json(), clearance)
        return out

    # ---- shortlists --------------------------------------------------------------------------

    def shortlist(
        self, size: int, quota: dict[str, int], diversity: float, clearance: str
    ) -> dict[str, Any]:
        from matching.roadshow import parse_quotas, shortlist

        quotas = parse_quotas([f"{name}={n}" for name, n in quota.items()])
        result = shortlist(
            self.engine, size=size, quotas=quotas, diversity=diversity, clearance=clearance
        )
        out: dict[str, Any] = filter_payload(self.store, result.to_json(), clearance)
        return out
