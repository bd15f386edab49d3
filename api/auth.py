"""API keys: a role and a clearance each, stored hashed in a small JSON file.

A key looks like ``fs_<id>_<secret>``. The file keeps the id, an HMAC-SHA256 of the whole key
(peppered with ``FIRSTSET_SECRET_KEY``), the role, the clearance, a label and the creation time;
never the key itself. The key is shown once, when it is made.

>>> import tempfile, pathlib
>>> keys = KeyStore(pathlib.Path(tempfile.mkdtemp()) / "keys.json", secret="s")
>>> made = keys.create(role="editor", clearance="public", label="doc")
>>> keys.verify(made.key).role, keys.verify("fs_nope_nope")
('editor', None)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from graph.clearance import check_clearance
from graph.errors import InvalidRequest
from graph.model import Clearance

__all__ = ["ANONYMOUS", "CreatedKey", "KeyRecord", "KeyStore", "Principal", "Role"]


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


ROLE_ORDER: dict[str, int] = {"viewer": 0, "editor": 1, "admin": 2}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key id (never the key), role and clearance."""

    key_id: str | None
    role: str
    clearance: str

    def can(self, role: str) -> bool:
        return ROLE_ORDER[self.role] >= ROLE_ORDER[role]


ANONYMOUS = Principal(key_id=None, role=Role.VIEWER, clearance=Clearance.PUBLIC)


@dataclass(frozen=True)
class KeyRecord:
    id: str
    hash: str
    role: str
    clearance: str
    label: str
    created: str


@dataclass(frozen=True)
class CreatedKey:
    key: str
    record: KeyRecord


class KeyStore:
    """The keys file. Re-read when it changes on disk, so a key made by the CLI works at once."""

    def __init__(self, path: Path, *, secret: str) -> None:
        self.path = Path(path)
        self._secret = secret.encode()
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._records: dict[str, KeyRecord] = {}

    def _hash(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def _read(self) -> dict[str, KeyRecord]:
        with self._lock:
            try:
                mtime = self.path.stat().st_mtime
            except FileNotFoundError:
                self._records, self._mtime = {}, None
                return self._records
            if mtime != self._mtime:
                raw = json.loads(self.path.read_text(encoding="utf-8") or "[]")
                self._records = {r["id"]: KeyRecord(**r) for r in raw}
                self._mtime = mtime
            return self._records

    def _write(self, records: dict[str, KeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump([asdict(r) for r in records.values()], out, ensure_ascii=False, indent=1)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def create(self, *, role: str, clearance: str, label: str = "") -> CreatedKey:
        if role not in ROLE_ORDER:
            raise InvalidRequest(f"unknown role {role!r}", field="role")
        check_clearance(clearance)
        key_id = secrets.token_hex(4)
        key = f"fs_{key_id}_{secrets.token_urlsafe(24)}"
        record = KeyRecord(
            id=key_id,
            hash=self._hash(key),
            role=role,
            clearance=clearance,
            label=label,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        records = dict(self._read())
        records[key_id] = record
        self._write(records)
        return CreatedKey(key=key, record=record)

    def list(self) -> list[KeyRecord]:
        return sorted(self._read().values(), key=lambda r: r.created)

    def revoke(self, key_id: str) -> bool:
        records = dict(self._read())
        if records.pop(key_id, None) is None:
            return False
        self._write(records)
        return True

    def verify(self, key: str) -> KeyRecord | None:
        """The record for a presented key, or None. Constant-time on the hash."""
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "fs":
            return None
        record = self._read().get(parts[1])
        if record is None or not hmac.compare_digest(record.hash, self._hash(key)):
            return None
        return record
