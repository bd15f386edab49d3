"""``POST /api/tender-check`` (JSON text) and ``POST /api/tender-check/upload`` (a .docx or .txt
file): tender clauses that break 渝府办发〔2018〕170号 十四 (``firstset tender-check``).

Each finding quotes the clause, names its kind (``market_share``, ``track_record``,
``tailored_spec``, ``deposit_insured``, ``exclusion``) and the rule, explains why (Chinese
first) and suggests neutral wording. Parameters are compared with the equipment the key may
see, from the engine's read model.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from api.deps import JobsDep, ReaderDep
from api.errors import ERROR_RESPONSES
from graph.errors import InvalidRequest

__all__ = ["MAX_UPLOAD", "TenderBody", "TenderPublic", "router"]

router = APIRouter(
    prefix="/tender-check", tags=["services"],
    responses={k: ERROR_RESPONSES[k] for k in (401, 413, 422)},
)
MAX_UPLOAD = 10 * 2**20  # bytes


class TenderBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(min_length=1, max_length=200_000)] = Field(
        description="招标文件的要求部分 / the tender's requirements, pasted")
    catalogue: bool = Field(default=True,
                            description="与目录产品比对参数 / compare parameters with products")


class TenderPublic(BaseModel):
    """``{"clauses": N, "findings": [{"clause", "kind", "rule", "suggestion", "why", …}]}``."""

    model_config = ConfigDict(extra="allow")
    clauses: int
    findings: list[dict[str, Any]]


def _check(text: str, catalogue: bool, jobs: Any, clearance: str) -> TenderPublic:
    from matching.tender import catalogue_from_engine, check_tender

    products = catalogue_from_engine(jobs.engine, clearance) if catalogue else []
    return TenderPublic.model_validate(check_tender(text, products=products).to_json())


@router.post("", response_model=TenderPublic, summary="招标文件合规提示 / tender check")
def tender_check(body: TenderBody, jobs: JobsDep, who: ReaderDep) -> TenderPublic:
    return _check(body.text, body.catalogue, jobs, who.clearance)


@router.post("/upload", response_model=TenderPublic,
             summary="上传招标文件（.docx/.txt）/ tender check of a file")
def tender_check_upload(file: UploadFile, jobs: JobsDep, who: ReaderDep,
                        catalogue: bool = True) -> TenderPublic:
    from matching.tender import read_tender

    name = Path(file.filename or "tender.txt").name
    suffix = Path(name).suffix.lower()
    if suffix not in (".docx", ".txt"):
        raise InvalidRequest(f"{name}: 仅支持 .docx 与 .txt / only .docx and .txt are read",
                             field="file")
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidRequest(f"{name}: 文件超过 {MAX_UPLOAD // 2**20} MB / file too large",
                             field="file")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            text = read_tender(path)
        except InvalidRequest as exc:  # name the uploaded file, not the temporary one
            raise InvalidRequest(str(exc).replace(str(path), name), field="file") from None
    return _check(text, catalogue, jobs, who.clearance)
