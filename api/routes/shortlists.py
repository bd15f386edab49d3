"""``POST /api/shortlists``: a roadshow shortlist with per-field quotas (``firstset shortlist``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import JobsDep, ReaderDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.exports import EXPORT_RESPONSES, ExportFormat, export_response, shortlist_rows
from api.job_models import ShortlistCreate, ShortlistPublic
from api.routes._limits import check_top

__all__ = ["router"]

router = APIRouter(
    tags=["matching"],
    responses={**EXPORT_RESPONSES, **{k: ERROR_RESPONSES[k] for k in (401, 413, 422)}},
)


@router.post("/shortlists", response_model=ShortlistPublic, summary="路演遴选 / roadshow shortlist")
def make_shortlist(
    body: ShortlistCreate,
    jobs: JobsDep,
    who: ReaderDep,
    settings: SettingsDep,
    format: ExportFormat = None,
) -> ShortlistPublic | Response:
    check_top(body.size, settings, "size")
    found = jobs.shortlist(body.size, body.quota, body.diversity, who.clearance)
    if format:
        return export_response(shortlist_rows(found), format, "shortlist")
    return ShortlistPublic.model_validate(found)
