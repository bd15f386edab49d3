"""One router module per resource; ``api_router`` gathers them under ``/api``."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    alerts,
    catalogue,
    consortia,
    evaluations,
    feedback,
    health,
    ingest,
    ip_risk,
    me,
    nodes,
    overview,
    partners,
    search,
    shortlists,
    suppliers,
    taxonomy,
    tender,
    transfers,
    watches,
)

__all__ = ["api_router"]

api_router = APIRouter(prefix="/api")
for module in (
    health,
    me,
    nodes,
    search,
    suppliers,
    consortia,
    partners,
    transfers,
    shortlists,
    ingest,
    feedback,
    overview,
    taxonomy,
    watches,
    alerts,
    ip_risk,
    tender,
    evaluations,
    catalogue,
):
    api_router.include_router(module.router)
