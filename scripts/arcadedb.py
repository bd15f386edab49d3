#!/usr/bin/env python3
"""Start and stop an ArcadeDB server that speaks Bolt, for the tests and the Bolt benchmark.

    python scripts/arcadedb.py start   # prints the bolt:// URL, writes the PID file
    python scripts/arcadedb.py url     # prints the URL of the running server
    python scripts/arcadedb.py stop    # stops it by PID

It installs nothing: ``arcadedb-embedded`` (the ``test`` extra of pyproject) ships ArcadeDB's
jars and a Java runtime new enough for them (the system Java 17 is not). The server runs as its
own process (``com.arcadedb.server.ArcadeDBServer``), bound to 127.0.0.1 on free ports, with its
files under ``--dir`` (default ``.cache/arcadedb``). It is ready when ``GET /api/v1/ready``
answers 204; the Bolt port opens before the database exists, so that is not a sign.

Environment: ``FIRSTSET_ARCADEDB_HEAP`` (default ``1g``), ``FIRSTSET_ARCADEDB_DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = Path(os.environ.get("FIRSTSET_ARCADEDB_DIR") or REPO / ".cache" / "arcadedb")
DEFAULT_DB = "firstset"
MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"


def _package_dir() -> Path:
    try:
        import arcadedb_embedded  # type: ignore[import-not-found]
    except ImportError:
        sys.exit(
            "arcadedb-embedded is not installed: pip install -e '.[test]' "
            "(it ships ArcadeDB's jars and Java runtime)"
        )
    return Path(arcadedb_embedded.__file__).resolve().parent


def _java(pkg: Path) -> str:
    java = pkg / "jre" / "bin" / ("java.exe" if os.name == "nt" else "java")
    if not java.exists():
        sys.exit(f"no Java runtime in {pkg / 'jre'}; reinstall arcadedb-embedded")
    return str(java)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (our own child that exited) counts as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _is_ours(pid: int) -> bool:
    """The PID still belongs to an ArcadeDB server (not a recycled PID)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _alive(pid)  # no /proc: trust the PID file
    return MAIN_CLASS.encode() in cmdline


def _ready(http_port: int) -> bool:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{http_port}/api/v1/ready", timeout=2
        ) as resp:
            return int(resp.status) == 204
    except (urllib.error.URLError, OSError):
        return False


def _state_file(where: Path) -> Path:
    return where / "server.json"


def _pid_file(where: Path) -> Path:
    return where / "server.pid"


def start(where: Path, database: str, heap: str, timeout: float) -> str:
    state = _state_file(where)
    if state.exists():
        info = json.loads(state.read_text())
        if _alive(info["pid"]) and _is_ours(info["pid"]) and _ready(info["http_port"]):
            return str(info["url"])
        stop(where, quiet=True)
    pkg = _package_dir()
    where.mkdir(parents=True, exist_ok=True)
    root = where / "server"
    password = "fs-" + secrets.token_hex(8)  # ArcadeDB wants at least 8 characters
    bolt_port, http_port = _free_port(), _free_port()
    while http_port == bolt_port:
        http_port = _free_port()
    props = {
        "arcadedb.server.rootPath": str(root),
        "arcadedb.server.databaseDirectory": str(root / "databases"),
        "arcadedb.server.rootPassword": password,
        "arcadedb.server.defaultDatabases": f"{database}[root]",
        "arcadedb.server.plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
        "arcadedb.bolt.host": "127.0.0.1",
        "arcadedb.bolt.port": str(bolt_port),
        "arcadedb.server.httpIncomingHost": "127.0.0.1",
        "arcadedb.server.httpIncomingPort": str(http_port),
        "arcadedb.server.httpsIncomingPort": str(_free_port()),
        "arcadedb.server.mode": "development",
    }
    cmd = [
        _java(pkg),
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
        *(f"-D{k}={v}" for k, v in props.items()),
        "-cp",
        str(pkg / "jars" / "*"),
        MAIN_CLASS,
    ]
    log = (where / "server.log").open("ab")
    proc = subprocess.Popen(
        cmd,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd=str(where),
    )
    log.close()
    _pid_file(where).write_text(f"{proc.pid}\n")
    url = f"bolt://root:{password}@127.0.0.1:{bolt_port}/{database}"
    state.write_text(
        json.dumps({"pid": proc.pid, "url": url, "bolt_port": bolt_port, "http_port": http_port})
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _pid_file(where).unlink(missing_ok=True)
            state.unlink(missing_ok=True)
            tail = (where / "server.log").read_text(errors="replace")[-3000:]
            sys.exit(f"ArcadeDB exited with code {proc.returncode}:\n{tail}")
        if _ready(http_port):
            return url
        time.sleep(0.5)
    stop(where, quiet=True)
    sys.exit(f"ArcadeDB not ready after {timeout:.0f}s; see {where / 'server.log'}")


def stop(where: Path, *, quiet: bool = False) -> None:
    pid_file = _pid_file(where)
    if not pid_file.exists():
        if not quiet:
            print("ArcadeDB: no PID file, nothing to stop", file=sys.stderr)
        return
    pid = int(pid_file.read_text().strip())
    if _alive(pid) and _is_ours(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    _state_file(where).unlink(missing_ok=True)
    if not quiet:
        print(f"ArcadeDB (pid {pid}) stopped", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("action", choices=["start", "stop", "url"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="server files and PID file")
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--heap", default=os.environ.get("FIRSTSET_ARCADEDB_HEAP", "1g"))
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for ready")
    args = parser.parse_args(argv)
    where = args.dir.resolve()
    if args.action == "start":
        print(start(where, args.database, args.heap, args.timeout))
    elif args.action == "stop":
        stop(where)
    else:
        state = _state_file(where)
        if not state.exists():
            sys.exit("ArcadeDB is not running (no state file)")
        print(json.loads(state.read_text())["url"])


if __name__ == "__main__":
    main()
