"""List answers as files: ``?format=xlsx`` (openpyxl) or ``?format=csv`` on every list endpoint.

The rows are the rows of the JSON answer, in its order: one per supplier, partner, transfer
match, pitch or alert, and one per member for consortia. Every ranked row carries its match level,
0–100 score, raw score, one column per score part and the evidence texts, so that what an
official sends on is what the page showed.

CSV is UTF-8 with a byte-order mark (Excel opens Chinese text correctly); a text cell that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) gets a leading ``'``.

Examples
--------
>>> rows = ranked_rows([{"id": "org:1", "name": "甲", "score": 0.5, "parts": {"fit": 0.5},
...                      "evidence": [{"kind": "product", "text": "盾构机"}]}])
>>> rows[0]["名称 name"], rows[0]["得分构成·需求契合 fit"], rows[0]["依据 evidence"]
('甲', 0.5, '盾构机')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

__all__ = [
    "EXPORT_RESPONSES",
    "PART_NAMES",
    "ExportFormat",
    "alert_rows",
    "consortium_rows",
    "export_response",
    "ranked_rows",
    "shortlist_rows",
    "to_csv",
    "to_xlsx",
    "transfer_rows",
]

ExportFormat = Annotated[
    Literal["xlsx", "csv"] | None,
    Query(description="导出为文件 / answer as a file: xlsx or csv (same rows as the JSON)"),
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# For a route's ``responses``: the 200 answer may also be one of these files.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        },
        "description": "JSON，或 ?format= 所选的文件 / JSON, or the file ?format= asks for",
    }
}

# Chinese names of the score parts (the page's table has the same names and one-line meanings).
PART_NAMES: dict[str, str] = {
    "dense_org": "整体语义相似",
    "dense_item": "最佳产品/专利相似",
    "lexical": "关键词匹配",
    "ipc": "IPC 分类相符",
    "field": "领域相符",
    "field_text": "领域名称相符",
    "dense": "语义相似",
    "item": "最佳产品/专利相似",
    "proximity": "与业主的关系",
    "catalogue": "目录内",
    "insured": "首台套保险",
    "local": "本地企业",
    "fit": "需求契合",
    "cohesion": "协作紧密",
    "text": "文本相似",
    "maturity": "成熟度",
    "patents": "专利",
    "products": "产品",
    "technical_level": "技术水平",
    "advancement": "先进性",
    "market_demand": "市场需求",
    "conversion_benefit": "转化效益",
    "coparticipation": "共同参与",
    "similar_projects": "相似项目",
    "name_text": "名称相关",
    "country": "地区",
    "kind": "类型",
    "newcomer": "新单位",
}
LEVEL_NAMES = {"high": "高", "medium": "中", "low": "低"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

RANK, ID, NAME = "序号 rank", "编号 id", "名称 name"
LEVEL, SCORE_100, SCORE = "匹配度 level", "评分 score_100", "原始得分 score"
EVIDENCE = "依据 evidence"


def part_column(part: str) -> str:
    return f"得分构成·{PART_NAMES.get(part, part)} {part}"


def _evidence_text(evidence: Any) -> str:
    if not isinstance(evidence, list):
        return ""
    texts = []
    for e in evidence:
        if isinstance(e, Mapping):
            text = e.get("text")
            if isinstance(text, str) and text:
                texts.append(text)
        elif isinstance(e, str):
            texts.append(e)
    return "；".join(texts)


def _score_100(hit: Mapping[str, Any]) -> Any:
    return hit.get("score_100", "")


def ranked_rows(
    hits: Sequence[Mapping[str, Any]], *, extra: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per ranked result, with a column per score part and the evidence texts."""
    parts: list[str] = []
    for h in hits:
        for p in h.get("parts") or {}:
            if p not in parts:
                parts.append(p)
    out = []
    for i, h in enumerate(hits, 1):
        row: dict[str, Any] = dict(extra or {})
        row[RANK] = i
        row[ID] = h.get("id", "")
        row[NAME] = h.get("name") or h.get("title") or ""
        level = h.get("level")
        row[LEVEL] = LEVEL_NAMES.get(str(level), "") if level else ""
        row[SCORE_100] = _score_100(h)
        row[SCORE] = h.get("score", "")
        for p in parts:
            row[part_column(p)] = (h.get("parts") or {}).get(p, "")
        row[EVIDENCE] = _evidence_text(h.get("evidence"))
        out.append(row)
    return out


def consortium_rows(alternatives: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per member of each alternative: option, role, member, fit and evidence."""
    out = []
    for i, alt in enumerate(alternatives, 1):
        for member in alt.get("members") or []:
            row: dict[str, Any] = {
                "方案 option": i,
                "方案得分 option_score": alt.get("score", ""),
                "方案评分 option_score_100": alt.get("score_100", ""),
                "角色 role": member.get("role", ""),
                ID: member.get("id", ""),
                NAME: member.get("name", ""),
                "契合度 fit": member.get("fit", ""),
                LEVEL: LEVEL_NAMES.get(str(member.get("level")), ""),
                EVIDENCE: _evidence_text(member.get("evidence")),
            }
            out.append(row)
    return out


TRANSFER_GROUPS = {"demands": "需求", "organizations": "单位", "technologies": "技术"}


def transfer_rows(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The matches of a transfer answer, group by group (需求 / 单位 / 技术)."""
    out: list[dict[str, Any]] = []
    for key, name in TRANSFER_GROUPS.items():
        hits = payload.get(key) or []
        out += ranked_rows(hits, extra={"类别 group": f"{name} {key}"})
    return out


def shortlist_rows(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per shortlisted pitch, with its field and the demands it answers."""
    pitches = payload.get("pitches") or []
    rows = ranked_rows(pitches)
    for row, pitch in zip(rows, pitches, strict=True):
        row["领域 field"] = pitch.get("field") or ""
        demands = pitch.get("demands") or []
        row["回应的需求 demands"] = "；".join(
            str(d.get("text") or d.get("id") or "") if isinstance(d, Mapping) else str(d)
            for d in demands
        )
    return rows


def alert_rows(alerts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per alert: the matched item ranked as the watch scored it, which watch, when."""
    hits = [{**a, "id": a.get("item", ""), "name": a.get("name", "")} for a in alerts]
    rows = ranked_rows(hits)
    for row, alert in zip(rows, alerts, strict=True):
        row["类别 label"] = alert.get("label", "")
        row["关注 watch"] = alert.get("watch", "")
        row["时间 created"] = alert.get("created", "")
    return rows


def _columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for k in row:
            if k not in cols:
                cols.append(k)
    return cols or [RANK, ID, NAME]  # an empty answer still says what it would have held


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = "；".join(map(str, value))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """UTF-8 CSV with a BOM, header first."""
    cols = _columns(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([_cell(row.get(c, "")) for c in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Mapping[str, Any]], sheet: str = "results") -> bytes:
    """One sheet, header first, the header row frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cols = _columns(rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31] or "results")
    ws.freeze_panes = "A2"
    for i, c in enumerate(cols):
        letter = _letter(i)
        ws.column_dimensions[letter].width = 60 if c == EVIDENCE else max(10, min(40, len(c) + 2))
    bold = Font(bold=True)
    header = []
    for c in cols:
        cell = WriteOnlyCell(ws, value=c)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([_cell(row.get(c, "")) for c in cols])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i + 1))


def export_response(
    rows: Sequence[Mapping[str, Any]], format: Literal["xlsx", "csv"], name: str
) -> Response:
    """The rows as a download named ``name.xlsx`` / ``name.csv``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name) or "export"
    if format == "csv":
        body, media = to_csv(rows), "text/csv; charset=utf-8"
    else:
        body, media = to_xlsx(rows, safe), XLSX_TYPE
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{safe}.{format}"'},
    )
