"""Request dependencies: the service state, the caller, and role checks.

Keys travel in the ``X-API-Key`` header (or ``Authorization: Bearer``), never in the URL, so
they never reach an access log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.auth import ANONYMOUS, KeyStore, Principal, Role
from api.name_index import NameIndex
from api.services import Jobs, default_engine
from api.settings import Settings
from graph.store import GraphStore

__all__ = [
    "AdminDep",
    "EditorDep",
    "JobsDep",
    "ReaderDep",
    "ServiceState",
    "SettingsDep",
    "StateDep",
    "StoreDep",
]

log = logging.getLogger("firstset.api")


@dataclass
class ServiceState:
    """What lives as long as the app: settings, the store, the keys, lazily built engines."""

    settings: Settings
    store: GraphStore
    keys: KeyStore
    names: NameIndex
    engine_factory: Callable[[GraphStore], Any] | None = None
    _jobs: Jobs | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def jobs(self) -> Jobs:
        """The matching jobs, with the engine built on first use (the model takes seconds)."""
        with self._lock:
            if self._jobs is None:
                factory = self.engine_factory or default_engine
                self._jobs = Jobs(self.store, factory(self.store))
            return self._jobs


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.firstset
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_store(state: StateDep) -> GraphStore:
    return state.store


def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


StoreDep = Annotated[GraphStore, Depends(get_store)]


def get_jobs(state: StateDep) -> Jobs:
    return state.jobs()


JobsDep = Annotated[Jobs, Depends(get_jobs)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]

_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API 密钥 / API key (fs_...)"
)
_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def get_principal(
    state: StateDep,
    key: Annotated[str | None, Security(_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> Principal | None:
    """The caller, or None when no key was sent. A key that was sent but is wrong is a 401."""
    presented = key or (bearer.credentials if bearer else None)
    if not presented:
        return None
    record = state.keys.verify(presented)
    if record is None:
        log.info("rejected an unknown API key")
        raise _unauthorized("API 密钥无效 / invalid API key")
    return Principal(key_id=record.id, role=record.role, clearance=record.clearance)


_MaybePrincipal = Annotated[Principal | None, Depends(get_principal)]


def require_reader(state: StateDep, principal: _MaybePrincipal) -> Principal:
    if principal is not None:
        return principal
    if state.settings.reads_open:
        return ANONYMOUS
    raise _unauthorized("需要 API 密钥 / an API key is required")


def _require(role: str) -> Callable[[Principal | None], Principal]:
    def check(principal: _MaybePrincipal) -> Principal:
        if principal is None:
            raise _unauthorized("写操作需要 API 密钥 / writes need an API key")
        if not principal.can(role):
            raise HTTPException(403, f"需要 {role} 角色 / this needs the {role} role")
        return principal

    return check


ReaderDep = Annotated[Principal, Depends(require_reader)]
EditorDep = Annotated[Principal, Depends(_require(Role.EDITOR))]
AdminDep = Annotated[Principal, Depends(_require(Role.ADMIN))]
