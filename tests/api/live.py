"""A real uvicorn server on loopback in a background thread, with every log record kept."""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI

__all__ = ["LiveServer"]


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class LiveServer:
    """``with LiveServer(app) as live: live.url`` — stops by itself on exit."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.logs = _Keep()
        self.logs.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_config=None, access_log=True, log_level="debug")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def log_text(self) -> str:
        return "\n".join(self.logs.lines)

    def __enter__(self) -> LiveServer:
        root = logging.getLogger()
        root.addHandler(self.logs)
        self._level = root.level
        root.setLevel(logging.DEBUG)
        for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
            logging.getLogger(name).setLevel(logging.DEBUG)
            logging.getLogger(name).propagate = True
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        root = logging.getLogger()
        root.removeHandler(self.logs)
        root.setLevel(self._level)
