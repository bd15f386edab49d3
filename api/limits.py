"""A pure ASGI middleware that refuses request bodies over a limit with 413, before reading them.

Uploads to ``/api/ingest`` get their own, larger limit. The check uses Content-Length when it is
sent and counts the streamed bytes when it is not.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

__all__ = ["BodyLimit"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(HTTPException):
    """Raised from ``receive``; the app's HTTP error handler turns it into the 413 body."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求过大 / request body over {limit} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, default: int, uploads: int, upload_paths: tuple[str, ...]):
        self.app = app
        self.default = default
        self.uploads = uploads
        self.upload_paths = upload_paths

    def _limit(self, path: str) -> int:
        return self.uploads if path in self.upload_paths else self.default

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "error": f"请求过大 / request body over {limit} bytes",
                "field": "body",
                "detail": None,
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._refuse(send, limit)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit)
