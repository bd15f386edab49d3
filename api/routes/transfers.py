"""``POST /api/transfers``: 军转民 / 民参军 matches (``firstset transfers``). What lies above the
key's clearance does not exist here: not in results, counts, evidence or errors."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import JobsDep, ReaderDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.exports import EXPORT_RESPONSES, ExportFormat, export_response, transfer_rows
from api.job_models import TransferPublic, TransferQuery
from api.routes._limits import check_top

__all__ = ["router"]

router = APIRouter(
    tags=["matching"],
    responses={**EXPORT_RESPONSES, **{k: ERROR_RESPONSES[k] for k in (401, 404, 413, 422)}},
)


@router.post("/transfers", response_model=TransferPublic, summary="军民技术匹配 / military–civil")
def match_transfers(
    body: TransferQuery,
    jobs: JobsDep,
    who: ReaderDep,
    settings: SettingsDep,
    format: ExportFormat = None,
) -> TransferPublic | Response:
    check_top(body.top, settings)
    found = jobs.transfers(body.model_dump(), who.clearance)
    if format:
        return export_response(transfer_rows(found), format, "transfers")
    return TransferPublic.model_validate(found)
