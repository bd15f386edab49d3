"""Secrets never reach a log line: query values named like a key, and anything shaped like one.

A key belongs in the ``X-API-Key`` header; one sent in a URL by mistake (``?api_key=fs_…``) is
not accepted as a key, and with :class:`RedactSecrets` on uvicorn's access logger it is not
printed either — the access line shows ``?api_key=***``.

>>> redact_url("/api/overview?api_key=fs_1a2b_c3d4&lang=zh")
'/api/overview?api_key=***&lang=zh'
>>> redact_url("/api/nodes/fs_1a2b3c4d_s3cr3tvalue")
'/api/nodes/***'
>>> redact_url("/api/search?q=%E7%9B%BE%E6%9E%84&top=5")
'/api/search?q=%E7%9B%BE%E6%9E%84&top=5'
"""

from __future__ import annotations

import logging
import re

__all__ = ["SECRET_PARAMS", "RedactSecrets", "install_access_log_redaction", "redact_url"]

SECRET_PARAMS = frozenset(
    {
        "api_key", "apikey", "api-key", "x-api-key", "key", "token", "access_token",
        "refresh_token", "id_token", "auth", "authorization", "bearer", "secret",
        "client_secret", "password", "passwd", "pwd", "signature", "sig", "session",
        "sessionid", "code",
    }
)  # fmt: skip
_PARAM = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")
_KEY_SHAPE = re.compile(r"fs_[A-Za-z0-9]+_[A-Za-z0-9_-]+")  # this service's keys (api/auth.py)
MASK = "***"


def _param(m: re.Match[str]) -> str:
    sep, name, value = m.group(1), m.group(2), m.group(3)
    plain = name.replace("%5F", "_").replace("%2D", "-").casefold()
    if plain in SECRET_PARAMS and value:
        return f"{sep}{name}={MASK}"
    return m.group(0)


def redact_url(path: str) -> str:
    """``path`` (with its query) with secret query values and key-shaped text masked."""
    return _KEY_SHAPE.sub(MASK, _PARAM.sub(_param, path))


class RedactSecrets(logging.Filter):
    """Masks secrets in uvicorn's access records (their third argument is the full path) and in
    any other record's message arguments that are strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(redact_url(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str) and ("?" in record.msg or "fs_" in record.msg):
            record.msg = redact_url(record.msg)
        return True


def install_access_log_redaction() -> None:
    """Add :class:`RedactSecrets` to uvicorn's access logger, once per process."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
