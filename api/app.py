"""The FastAPI application: ``create_app(settings)`` wires the store, keys, routers and page."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.auth import KeyStore
from api.deps import ServiceState
from api.errors import install_handlers
from api.limits import BodyLimit
from api.name_index import NameIndex
from api.redact import install_access_log_redaction
from api.routes import api_router
from api.settings import Settings, get_settings
from graph.open_store import open_store
from graph.store import GraphStore

__all__ = ["WEB_DIR", "create_app"]

log = logging.getLogger("firstset.api")

WEB_DIR = Path(__file__).resolve().parent / "web"

DESCRIPTION = """
首台（套）重大技术装备 知识图谱与供需匹配服务。

Knowledge graph and matching for first-of-a-kind major technical equipment: supplier search,
demonstration consortia, partner recovery, military–civil transfers and roadshow shortlists.

Send an API key in the `X-API-Key` header. Writes (`/api/ingest`, `/api/feedback`) need the
`editor` role; the key's clearance decides which technologies and projects exist for you.
"""


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    engine_factory: Callable[[GraphStore], Any] | None = None,
) -> FastAPI:
    """The app. ``store`` and ``engine_factory`` let tests pass their own (the store is then
    theirs to close); otherwise the store named in the settings is opened at startup."""
    settings = settings or get_settings()
    owned = store is None
    the_store = store if store is not None else open_store(settings.store)
    state = ServiceState(
        settings=settings,
        store=the_store,
        keys=KeyStore(settings.keys_file, secret=settings.secret_key),
        names=NameIndex(the_store),
        engine_factory=engine_factory,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_up:
            threading.Thread(target=_warm_up, args=(state,), daemon=True).start()
        stop = threading.Event()
        if settings.delivery_interval_s > 0:
            threading.Thread(target=_deliver_loop, args=(settings, stop), daemon=True,
                             name="firstset-delivery").start()
        yield
        stop.set()
        if owned:
            the_store.close()

    app = FastAPI(
        title="firstset",
        summary="首台（套）重大技术装备 知识图谱与供需匹配 / first-set equipment matching",
        description=DESCRIPTION,
        version=_version(),
        lifespan=lifespan,
    )
    app.state.firstset = state
    install_handlers(app)
    install_access_log_redaction()  # a key sent in a URL by mistake is never logged
    app.include_router(api_router)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type"],
        )
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        uploads=settings.max_upload_bytes,
        upload_paths=("/api/ingest",),
    )

    if WEB_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

        @app.get("/", include_in_schema=False)
        def index() -> FileResponse:
            return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    else:  # pragma: no cover - a wheel built without the page

        @app.get("/", include_in_schema=False)
        def index_redirect() -> RedirectResponse:
            return RedirectResponse("/docs")

    return app


def _warm_up(state: ServiceState) -> None:
    """Build the engine and its public indexes now, so the first search does not wait for them
    (embedding a new store takes minutes on 2 cores; vectors are cached in the store after)."""
    try:
        engine = state.jobs().engine
        refresh = getattr(engine, "refresh", None)
        if callable(refresh):
            refresh()
        log.info("matching indexes ready")
        from api.routes.overview import cached_overview

        cached_overview(state, "public")  # the page opens on it: one supplier search per demand
        log.info("public overview ready")
    except Exception:  # a broken store shows up on the first request, with its own error
        log.exception("warm-up failed")


def _deliver_loop(settings: Settings, stop: threading.Event) -> None:
    """Webhook retries and daily/weekly digests between loads: every
    ``delivery_interval_s`` seconds, send what the outbox holds that is due (a failed delivery
    stays in the outbox for the next round; see ``api/delivery.py``)."""
    from api.delivery import deliver_due
    from api.information import open_watch_store, watches_path

    while not stop.wait(settings.delivery_interval_s):
        if not watches_path(settings).exists():
            continue
        try:
            db = open_watch_store(settings)
            try:
                report = deliver_due(db)
            finally:
                db.close()
            log.debug("delivery round: %s", report.to_json())
        except Exception:  # the next round tries again; nothing is lost from the outbox
            log.exception("delivery round failed")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("firstset")
    except PackageNotFoundError:  # pragma: no cover
        return "0"
