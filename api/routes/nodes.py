"""``GET /api/nodes/{id}`` and ``GET /api/nodes/{id}/neighbourhood``: the graph, as far as the
caller's clearance allows; a hidden node answers exactly like a missing one (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ReaderDep, SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.models import EdgePublic, GraphPublic, NodePublic
from api.visibility import filter_payload, visible_get, visible_neighbourhood
from graph.errors import InvalidRequest

__all__ = ["router"]

router = APIRouter(
    prefix="/nodes",
    tags=["graph"],
    responses={401: ERROR_RESPONSES[401], 404: ERROR_RESPONSES[404]},
)

NodeId = Annotated[str, Path(min_length=1, max_length=300, description="节点 id / node id")]


@router.get("/{id}", response_model=NodePublic, summary="节点 / one node")
def get_node(id: NodeId, store: StoreDep, who: ReaderDep) -> NodePublic:
    node = NodePublic.of(visible_get(store, id, who.clearance))
    return NodePublic.model_validate(filter_payload(store, node.model_dump(), who.clearance))


@router.get(
    "/{id}/neighbourhood", response_model=GraphPublic, summary="邻域子图 / graph around a node"
)
def neighbourhood(
    id: NodeId,
    store: StoreDep,
    who: ReaderDep,
    settings: SettingsDep,
    depth: Annotated[int, Query(ge=1, le=6, description="跳数 / hops")] = 1,
    limit: Annotated[int | None, Query(ge=1, le=5000, description="最多节点 / most nodes")] = None,
) -> GraphPublic:
    if depth > settings.max_depth:
        raise InvalidRequest(
            f"depth 最大为 {settings.max_depth} / depth is at most {settings.max_depth}",
            field="depth",
        )
    cap = min(limit or settings.max_graph_nodes, settings.max_graph_nodes)
    sub, cut = visible_neighbourhood(store, id, depth, who.clearance, limit=cap)
    view = GraphPublic(
        center=id,
        depth=depth,
        nodes=[NodePublic.of(n) for n in sub.nodes],
        edges=[EdgePublic.of(e) for e in sub.edges],
        truncated=cut,
    )
    # properties (such as a derived edge's evidence) may name hidden nodes: blank them
    return GraphPublic.model_validate(filter_payload(store, view.model_dump(), who.clearance))
