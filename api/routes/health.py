"""``GET /api/health``: the service is up; what the store holds, as far as the caller may see."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

from api.deps import ReaderDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.models import HealthPublic
from graph.model import Label
from graph.open_store import SERVER_SCHEMES
from graph.store import GraphStore

__all__ = ["router", "visible_counts"]

router = APIRouter(tags=["health"], responses={401: ERROR_RESPONSES[401]})


def _version() -> str:
    try:
        return version("firstset")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def visible_counts(store: GraphStore, clearance: str) -> dict[str, int]:
    """Counts per label and relationship, minus whatever lies above the caller's clearance."""
    counts = store.counts()
    if clearance == "secret":
        return counts
    from api.visibility import is_visible

    hidden: set[str] = set()
    for label in (Label.TECHNOLOGY, Label.PROJECT, Label.DEMAND):
        if not counts.get(label):
            continue
        for node in store.nodes(label):
            if not is_visible(store, node, clearance):
                hidden.add(node.id)
    if not hidden:
        return counts
    out = dict(counts)
    removed: set[tuple[str, str, str]] = set()
    for node in store.get_many(sorted(hidden)):
        out[str(node.label)] -= 1
        removed.update(e.key for e in store.edges_of(node.id))
    for _, typ, _ in removed:
        out[typ] -= 1
    return {k: v for k, v in out.items() if v > 0}


@router.get("/health", response_model=HealthPublic, summary="服务状态 / health")
def health(store: StoreDep, who: ReaderDep) -> HealthPublic:
    kind = "bolt" if store.location.startswith(SERVER_SCHEMES) else "embedded"
    return HealthPublic(
        status="ok", version=_version(), store=kind, counts=visible_counts(store, who.clearance)
    )
