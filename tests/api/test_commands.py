"""``firstset keys`` and ``firstset serve``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.auth import KeyStore
from api.cli import build

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FIRSTSET_KEYS_FILE", str(tmp_path / "keys.json"))
    monkeypatch.setenv("FIRSTSET_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("FIRSTSET_ENVIRONMENT", "development")
    return tmp_path


def test_keys_create_list_revoke(env: Path) -> None:
    app = build()
    made = runner.invoke(
        app, ["keys", "create", "--role", "editor", "--clearance", "restricted", "--json"]
    )
    assert made.exit_code == 0, made.output
    body = json.loads(made.stdout)
    assert body["key"].startswith("fs_") and body["role"] == "editor"
    assert "hash" not in body
    stored = KeyStore(env / "keys.json", secret="cli-test-secret").verify(body["key"])
    assert stored is not None and stored.clearance == "restricted"
    listed = runner.invoke(app, ["keys", "list", "--json"])
    assert body["key"] not in listed.stdout
    assert json.loads(listed.stdout)["keys"][0]["id"] == body["id"]
    assert runner.invoke(app, ["keys", "revoke", body["id"]]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", body["id"]]).exit_code == 1


def test_keys_create_refuses_a_bad_role(env: Path) -> None:
    r = runner.invoke(build(), ["keys", "create", "--role", "king"])
    assert r.exit_code != 0


def test_serve_refuses_the_default_secret_in_production(tmp_path: Path) -> None:
    env = {**os.environ, "FIRSTSET_ENVIRONMENT": "production", "FIRSTSET_SECRET_KEY": "changethis"}
    r = subprocess.run(
        [_firstset(), "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert "FIRSTSET_SECRET_KEY" in r.stderr + r.stdout


def _firstset() -> str:
    return str(Path(sys.executable).with_name("firstset"))


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "FIRSTSET_KEYS_FILE": str(tmp_path / "keys.json"),
        "FIRSTSET_WARM_UP": "false",
        "FIRSTSET_ENVIRONMENT": "development",
    }
    proc = subprocess.Popen(
        [_firstset(), "serve", "--port", str(port), "--store", str(tmp_path / "s.db")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        assert r.status_code == 200
        assert r.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
