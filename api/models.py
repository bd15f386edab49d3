"""Request and response bodies, in families: ``XBase`` (shared fields), ``XCreate`` / ``XQuery``
(what a caller sends), ``XPublic`` (what the service returns)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from graph.model import Edge, Node

__all__ = [
    "EdgePublic",
    "FeedbackCreate",
    "FeedbackPublic",
    "GraphPublic",
    "HealthPublic",
    "IngestPublic",
    "MePublic",
    "NodePublic",
    "SearchHitPublic",
    "SearchPublic",
]


class NodeBase(BaseModel):
    id: str = Field(examples=["org:cqmt"])
    label: str = Field(examples=["Organization"])


class NodePublic(NodeBase):
    name: str = Field(description="人类可读名称 / display name")
    props: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, node: Node) -> NodePublic:
        return cls(id=node.id, label=str(node.label), name=node.title, props=dict(node.props))


class EdgePublic(BaseModel):
    source: str
    type: str
    target: str
    props: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, edge: Edge) -> EdgePublic:
        return cls(
            source=edge.source, type=str(edge.type), target=edge.target, props=dict(edge.props)
        )


class GraphPublic(BaseModel):
    """Nodes and the edges among them, ready for a graph drawing."""

    center: str
    depth: int
    nodes: list[NodePublic]
    edges: list[EdgePublic]
    truncated: bool = Field(default=False, description="cut at the node limit")


class SearchHitPublic(NodeBase):
    name: str
    matched: str = Field(description="the name or alias that matched")
    score: float = Field(ge=0, le=1)


class SearchPublic(BaseModel):
    query: str
    results: list[SearchHitPublic]


class HealthPublic(BaseModel):
    status: Literal["ok"]
    version: str
    store: str = Field(description="backend kind: embedded or bolt")
    counts: dict[str, int] = Field(
        description="节点与关系数（按调用者密级） / counts the caller may see"
    )


class MePublic(BaseModel):
    authenticated: bool
    key_id: str | None
    role: str
    clearance: str
    reads_open: bool


class IngestPublic(BaseModel):
    files: list[str]
    rows: int
    nodes: int
    edges: int
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    merged: list[list[str]] = Field(default_factory=list)
    likely_duplicates: list[list[Any]] = Field(default_factory=list)
    # issue 14: how each table was read, list organisations and field texts (see LoadReport)
    tables: list[dict[str, Any]] = Field(default_factory=list)
    organizations: dict[str, int] = Field(default_factory=dict)
    review: list[dict[str, Any]] = Field(default_factory=list)
    field_matches: list[dict[str, Any]] = Field(default_factory=list)
    field_warnings: list[dict[str, Any]] = Field(default_factory=list)
    # products whose rows only name them (no description), and the first of their names
    undescribed_products: int = 0
    undescribed_examples: list[str] = Field(default_factory=list)


class FeedbackBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        default="", max_length=4000, description="需求文本 / the demand text that was searched"
    )
    demand: str | None = Field(
        default=None,
        max_length=300,
        description="需求 id（如有）/ the demand id, when one was searched",
    )
    candidate: str = Field(min_length=1, max_length=200, description="被评价的结果 id / result id")
    label: Literal["accept", "reject"]
    job: Literal["suppliers", "partners", "transfers", "consortia", "shortlists"] = "suppliers"
    parts: dict[str, float] = Field(
        default_factory=dict, max_length=64, description="结果的得分项 / the result's score parts"
    )
    note: str = Field(default="", max_length=2000)


class FeedbackCreate(FeedbackBase):
    pass


class FeedbackPublic(FeedbackBase):
    recorded: str = Field(description="UTC time")
