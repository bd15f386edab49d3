"""``firstset serve``: the HTTP API and the web page (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import StoreOpt, console

__all__ = ["register"]


def serve(
    host: Annotated[str, typer.Option(help="listen address / 监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port / 端口")] = 8000,
    store: StoreOpt = None,
    workers: Annotated[int, typer.Option(help="worker processes / 进程数")] = 1,
    access_log: Annotated[bool, typer.Option(help="log each request / 访问日志")] = True,
) -> None:
    """Serve the API (/api, /docs) and the web page (/). 启动服务"""
    import os

    import uvicorn

    if store:
        os.environ["FIRSTSET_STORE"] = store
    from api.settings import Settings

    settings = Settings()  # fail here, clearly, on bad settings
    console.print(
        f"firstset: http://{host}:{port}/  (API /api, docs /docs, store {settings.store}, "
        f"open reads: {settings.reads_open})",
        highlight=False,
    )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
