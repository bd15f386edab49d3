"""``POST /api/ingest``: load one uploaded file (CSV, JSONL, XLSX, or a zip of a folder).

All or nothing, as the ``ingest`` command: any bad row and nothing is written; the error lists
every bad row with its file, line and column. Uploads and zip contents are size-limited, and a
zip may not write outside its own folder.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from api.deps import EditorDep, SettingsDep, StateDep
from api.errors import ERROR_RESPONSES
from api.information import after_load
from api.models import IngestPublic
from api.settings import Settings
from graph.errors import IngestError, InvalidRequest, RowError
from ingest.load import load_paths
from ingest.mapping import read_options
from ingest.readers import ReadOptions

__all__ = ["router"]

router = APIRouter(
    tags=["ingest"],
    responses={k: ERROR_RESPONSES[k] for k in (401, 403, 413, 422)},
)

_PLAIN = (".csv", ".jsonl")
_CHUNK = 1 << 20


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(message, field="file")


def _save(upload: UploadFile, target: Path, limit: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise _bad(f"文件过大（上限 {limit} 字节）/ file over {limit} bytes")
            out.write(chunk)
    if written == 0:
        raise _bad("文件为空 / the file is empty")


def _unzip(archive: Path, into: Path, settings: Settings) -> Path:
    """Extract safely; the folder that holds the interchange files."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise _bad("不是有效的 zip 文件 / not a valid zip file") from exc
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > settings.max_zip_members:
            raise _bad(
                f"zip 内文件过多（上限 {settings.max_zip_members}）/ too many files in the zip"
            )
        total = 0
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or not name.parts:
                raise _bad(f"zip 中的路径不安全 / unsafe path in zip: {member.filename}")
            if (member.external_attr >> 16) & 0o170000 == 0o120000:
                raise _bad(f"zip 中不允许符号链接 / symlink in zip: {member.filename}")
            if name.parts[0] == "__MACOSX" or name.name.startswith("."):
                continue
            dest = into.joinpath(*name.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, dest.open("wb") as out:
                while chunk := src.read(_CHUNK):
                    total += len(chunk)
                    if total > settings.max_unzipped_bytes:
                        raise _bad(
                            f"解压后过大（上限 {settings.max_unzipped_bytes} 字节）"
                            f"/ zip contents over {settings.max_unzipped_bytes} bytes"
                        )
                    out.write(chunk)
    folders = sorted(
        {
            p.parent
            for p in into.rglob("*")
            if p.is_file()
            and p.suffix.lower() in (*_PLAIN, ".xlsx")
            and not p.name.startswith((".", "~$"))
            and "__MACOSX" not in p.parts
        }
    )  # interchange files, workbooks and lists alike: the folder that holds them is read
    if len(folders) != 1:
        raise _bad(
            "zip 中应恰有一个数据文件夹（CSV、JSONL 或 XLSX）/ the zip should hold one folder "
            "of data files (CSV, JSONL or XLSX)"
            if not folders
            else "zip 中有多个数据文件夹 / the zip holds more than one data folder"
        )
    return folders[0]


def _map_options(maps: list[str]) -> ReadOptions:
    """The read options of ``map=表头=列名`` pairs; only pairs: a map file on the server is not
    the caller's to name."""
    for value in maps:
        if "=" not in value:
            raise InvalidRequest(
                f"map {value!r}: 应为 表头=列名 / expected HEADER=COLUMN", field="map"
            )
    try:
        return read_options(maps)
    except InvalidRequest as exc:
        raise InvalidRequest(str(exc), field="map") from None


def _rel(file: str, root: Path) -> str:
    return file.replace(str(root) + "/", "")


def _relative(errors: list[RowError], root: Path) -> list[RowError]:
    out = []
    for e in errors:
        file = e.file
        with contextlib.suppress(ValueError):
            file = str(Path(e.file).relative_to(root))
        out.append(RowError(file, e.line, e.column, e.reason.replace(str(root) + "/", ""), e.col))
    return out


@router.post(
    "/ingest",
    response_model=IngestPublic,
    summary="导入数据 / load data (editor)",
    description=(
        "上传 CSV、JSONL、XLSX 或数据文件夹的 zip；有任何错误则不写入。"
        " Upload an interchange CSV/JSONL file (organizations.csv, …), an XLSX workbook, a "
        "product list, enterprise directory or patent export (recognised by its header; "
        "`map=表头=列名` names other columns), or a zip of a folder of them. The answer shows "
        "how each table was read, organisations to review and field warnings. Any bad row and "
        "nothing is written."
    ),
)
def ingest(
    state: StateDep,
    settings: SettingsDep,
    who: EditorDep,
    file: Annotated[UploadFile, File(description="CSV / JSONL / XLSX / zip")],
    dry_run: Annotated[bool, Query(description="只校验不写入 / validate only")] = False,
    maps: Annotated[
        list[str] | None,
        Query(
            alias="map",
            description="表头映射 表头=列名（可重复；列名为 - 时忽略该列）/ header map HEADER=COLUMN "
            "(repeat; - drops the column)",
        ),
    ] = None,
    strict_fields: Annotated[
        bool,
        Query(description="领域无法识别即报错 / field text that does not resolve is an error"),
    ] = False,
) -> IngestPublic:
    name = PurePosixPath((file.filename or "").replace("\\", "/")).name
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in (*_PLAIN, ".xlsx", ".zip"):
        raise _bad(
            "只接受 .csv / .jsonl / .xlsx / .zip 文件 / only .csv, .jsonl, .xlsx or .zip files"
        )
    options = _map_options(maps or [])  # a file not named after a kind: read by its header
    root = Path(tempfile.mkdtemp(prefix="firstset-upload-"))
    try:
        saved = root / ("upload.zip" if suffix == ".zip" else name)
        _save(file, saved, settings.max_upload_bytes)
        target = _unzip(saved, root / "unzipped", settings) if suffix == ".zip" else saved
        base = root / "unzipped" if suffix == ".zip" else root
        try:
            report = load_paths(
                state.store,
                [target],
                dry_run=dry_run,
                options=options,
                strict_fields=strict_fields,
                field_embed=lambda texts: state.jobs().engine.embedder.embed_queries(list(texts)),
            )
        except IngestError as exc:
            raise IngestError(_relative(exc.errors, base)) from None
        after_load(state.store, report, engine=lambda: state.jobs().engine, settings=settings)
        written = report.written
        return IngestPublic(
            files=[
                str(Path(f).relative_to(base)) if f.startswith(str(base)) else f
                for f in report.files
            ],
            rows=report.rows,
            nodes=report.nodes,
            edges=report.edges,
            created=(written.nodes_created + written.edges_created) if written else 0,
            updated=(written.nodes_updated + written.edges_updated) if written else 0,
            unchanged=written.unchanged if written else 0,
            dry_run=report.dry_run,
            merged=report.merged,
            likely_duplicates=[list(d) for d in report.likely_duplicates],
            tables=[{**t, "file": _rel(t["file"], base)} for t in report.tables],
            organizations=report.organizations,
            review=[{**r, "file": _rel(r["file"], base)} for r in report.review],
            field_matches=report.field_matches,
            field_warnings=[
                {
                    **w,
                    "files": {_rel(f, base): n for f, n in w["files"].items()},
                    "lines": [_rel(x, base) for x in w["lines"]],
                }
                for w in report.field_warnings
            ],
            undescribed_products=report.undescribed_products,
            undescribed_examples=report.undescribed_examples,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
