"""``POST /api/feedback``: accept or reject one result; rows feed ``firstset train``.

Supplier rows are appended to the CSV file named by ``FIRSTSET_FEEDBACK_FILE`` with the columns
in ``FEEDBACK_COLUMNS`` — the file ``firstset train`` reads (``matching.scoring.read_feedback``:
``text`` or ``demand``, ``org``, ``label``). Rows about the other jobs go to
``<name>-<job>.csv`` beside it, so they never mix into the supplier weights.
"""

from __future__ import annotations

import csv
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, status

from api.deps import EditorDep, SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.models import FeedbackCreate, FeedbackPublic
from api.visibility import visible_get
from graph.errors import InvalidRequest, NodeNotFound

__all__ = ["FEEDBACK_COLUMNS", "append_feedback", "router"]

router = APIRouter(
    tags=["feedback"], responses={k: ERROR_RESPONSES[k] for k in (401, 403, 404, 413, 422)}
)

FEEDBACK_COLUMNS = [
    "text",
    "demand",
    "org",
    "label",
    "job",
    "parts",
    "note",
    "recorded",
    "key_id",
]
_lock = threading.Lock()


def append_feedback(path: Path, row: dict[str, str]) -> None:
    """Append one row, writing the header first when the file is new. Safe across threads."""
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists() or path.stat().st_size == 0
        with path.open("a", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=FEEDBACK_COLUMNS)
            if new:
                writer.writeheader()
            writer.writerow(row)


@router.post(
    "/feedback",
    response_model=FeedbackPublic,
    status_code=status.HTTP_201_CREATED,
    summary="反馈：采纳/否决 / accept or reject a result (editor)",
)
def feedback(
    body: FeedbackCreate, store: StoreDep, settings: SettingsDep, who: EditorDep
) -> FeedbackPublic:
    if not body.query.strip() and not body.demand:
        raise InvalidRequest(
            "请给出需求文本或需求 id / give the query text or a demand id", field="query"
        )
    for field, value in (("candidate", body.candidate), ("demand", body.demand)):
        if value:
            try:
                visible_get(store, value, who.clearance)
            except NodeNotFound:
                raise InvalidRequest(
                    f"节点不存在 / no node with id {value!r}", field=field
                ) from None
    recorded = datetime.now(UTC).isoformat(timespec="seconds")
    path = settings.feedback_file
    if body.job != "suppliers":
        path = path.with_name(f"{path.stem}-{body.job}{path.suffix or '.csv'}")
    append_feedback(
        path,
        {
            "text": body.query,
            "demand": body.demand or "",
            "org": body.candidate,
            "label": body.label,
            "job": body.job,
            "parts": json.dumps(body.parts, ensure_ascii=False, sort_keys=True),
            "note": body.note,
            "recorded": recorded,
            "key_id": who.key_id or "",
        },
    )
    return FeedbackPublic(**body.model_dump(), recorded=recorded)
