#!/usr/bin/env bash
# Run a command next to a fresh ArcadeDB Bolt server, then stop the server by its PID, also
# when the command fails or is interrupted:
#
#   scripts/with_arcadedb.sh .venv/bin/pytest -q
#
# The command sees FIRSTSET_TEST_BOLT=bolt://root:…@127.0.0.1:PORT/firstset and
# FIRSTSET_REQUIRE_BOLT=1 (tests that need the server fail instead of skipping). The server
# lives in a temporary folder of its own, so parallel runs do not meet. Its exit code is the
# command's; a server that does not come up is an error (exit 3).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON_BIN:-$repo/.venv/bin/python}
dir=$(mktemp -d "${TMPDIR:-/tmp}/firstset-arcadedb.XXXXXX")

cleanup() {
    "$python" "$repo/scripts/arcadedb.py" stop --dir "$dir" || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! url=$("$python" "$repo/scripts/arcadedb.py" start --dir "$dir"); then
    echo "with_arcadedb: the ArcadeDB server did not start; log: $dir/server.log" >&2
    tail -n 40 "$dir/server.log" >&2 2>/dev/null || true
    exit 3
fi
echo "with_arcadedb: ArcadeDB (pid $(cat "$dir/server.pid")) at ${url##*@}" >&2

export FIRSTSET_TEST_BOLT="$url"
export FIRSTSET_REQUIRE_BOLT=1
set +e
"$@"
status=$?
set -e
exit "$status"
