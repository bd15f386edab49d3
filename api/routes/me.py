"""``GET /api/me``: what the caller's key allows (the web page asks this to show its tabs)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReaderDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.models import MePublic

__all__ = ["router"]

router = APIRouter(tags=["auth"], responses={401: ERROR_RESPONSES[401]})


@router.get("/me", response_model=MePublic, summary="当前密钥 / who am I")
def me(who: ReaderDep, settings: SettingsDep) -> MePublic:
    return MePublic(
        authenticated=who.key_id is not None,
        key_id=who.key_id,
        role=who.role,
        clearance=who.clearance,
        reads_open=settings.reads_open,
    )
