"""``POST /api/suppliers/search``: manufacturers for an equipment demand, with score parts and
evidence (``firstset suppliers``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import JobsDep, ReaderDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.exports import EXPORT_RESPONSES, ExportFormat, export_response, ranked_rows
from api.job_models import RankedPublic, SupplierSearch, SuppliersPublic
from api.routes._limits import check_batch, check_top, run_batch

__all__ = ["router"]

router = APIRouter(
    prefix="/suppliers",
    tags=["matching"],
    responses={**EXPORT_RESPONSES, **{k: ERROR_RESPONSES[k] for k in (401, 413, 422)}},
)


@router.post("/search", response_model=SuppliersPublic, summary="找供应商 / find suppliers")
def search_suppliers(
    body: SupplierSearch,
    jobs: JobsDep,
    who: ReaderDep,
    settings: SettingsDep,
    format: ExportFormat = None,
) -> SuppliersPublic | Response:
    check_batch(body.batch, settings)
    if body.batch:
        answers = run_batch(
            body.batch, settings, lambda q: jobs.suppliers(q.model_dump(), who.clearance)
        )
        if format:
            rows = [
                r
                for i, hits in enumerate(answers)
                for r in ranked_rows(hits, extra={"查询 query": i + 1})
            ]
            return export_response(rows, format, "suppliers")
        out = [[RankedPublic.model_validate(h) for h in hits] for hits in answers]
        return SuppliersPublic(results=[], batch=out)
    check_top(body.top, settings)
    hits = jobs.suppliers(body.model_dump(exclude={"batch"}), who.clearance)
    if format:
        return export_response(ranked_rows(hits), format, "suppliers")
    return SuppliersPublic(results=[RankedPublic.model_validate(h) for h in hits],
                           query_terms=jobs.supplier_query_terms(body.model_dump(), who.clearance))
