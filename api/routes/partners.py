"""``POST /api/partners``: rank organisations for the next seat of a consortium
(``firstset partners``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import JobsDep, ReaderDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.exports import EXPORT_RESPONSES, ExportFormat, export_response, ranked_rows
from api.job_models import PartnerQueryBase, PartnersPublic, PartnersQuery, RankedPublic
from api.routes._limits import check_batch, check_top, run_batch

__all__ = ["router"]

router = APIRouter(
    tags=["matching"],
    responses={**EXPORT_RESPONSES, **{k: ERROR_RESPONSES[k] for k in (401, 413, 422)}},
)


def _query(q: PartnerQueryBase) -> dict[str, object]:
    return q.model_dump(exclude={"batch"})


@router.post("/partners", response_model=PartnersPublic, summary="补全联合体 / partner recovery")
def rank_partners(
    body: PartnersQuery,
    jobs: JobsDep,
    who: ReaderDep,
    settings: SettingsDep,
    format: ExportFormat = None,
) -> PartnersPublic | Response:
    check_batch(body.batch, settings)
    if body.batch:
        answers = run_batch(body.batch, settings, lambda q: jobs.partners(_query(q), who.clearance))
        if format:
            rows = [
                r
                for i, hits in enumerate(answers)
                for r in ranked_rows(hits, extra={"查询 query": i + 1})
            ]
            return export_response(rows, format, "partners")
        out = [[RankedPublic.model_validate(h) for h in hits] for hits in answers]
        return PartnersPublic(results=[], batch=out)
    check_top(body.top, settings)
    hits = jobs.partners(_query(body), who.clearance)
    if format:
        return export_response(ranked_rows(hits), format, "partners")
    return PartnersPublic(results=[RankedPublic.model_validate(h) for h in hits])
