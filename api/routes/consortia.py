"""``POST /api/consortia``: demonstration consortia for a project, led by its owner
(``firstset consortium``). Several genuinely different alternatives, each valid."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import JobsDep, ReaderDep
from api.errors import ERROR_RESPONSES
from api.exports import EXPORT_RESPONSES, ExportFormat, consortium_rows, export_response
from api.job_models import ConsortiaPublic, ConsortiumCreate, ConsortiumPublic

__all__ = ["router"]

router = APIRouter(
    tags=["matching"],
    responses={**EXPORT_RESPONSES, **{k: ERROR_RESPONSES[k] for k in (401, 404, 413, 422)}},
)


@router.post(
    "/consortia", response_model=ConsortiaPublic, summary="组建联合体 / build a consortium"
)
def build_consortia(
    body: ConsortiumCreate, jobs: JobsDep, who: ReaderDep, format: ExportFormat = None
) -> ConsortiaPublic | Response:
    found = jobs.consortia(
        body.project,
        roles=body.roles,
        pinned=body.with_,
        alternatives=body.alternatives,
        local=body.local,
        clearance=who.clearance,
        ip_risk=body.ip_risk,
    )
    if format:
        return export_response(consortium_rows(found), format, "consortia")
    return ConsortiaPublic(
        project_id=body.project, alternatives=[ConsortiumPublic.model_validate(c) for c in found]
    )
