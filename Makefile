# firstset — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test lint pytest demo screenshots web-vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

# torch first, from the CPU wheel on this machine's disk: anything else pulls a multi-GB CUDA build.
$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,st]'
	touch $@

install: $(RUN_STAMP)
install-test: $(TEST_STAMP)

# Debian's Chromium for the browser tests (never a browser download), and a CJK font for screenshots.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
$(CHROMIUM) $(CJK_FONT):
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-zenhei

# Neo4j's Cypher grammar, for the test that checks every statement of the Bolt store.
CYPHER_LINT := tools/cypher-lint/node_modules/.installed
$(CYPHER_LINT): tools/cypher-lint/package.json tools/cypher-lint/package-lock.json
	cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(BIN)/firstset demo

run: install
	$(BIN)/firstset demo
	$(BIN)/firstset train --from-graph
	$(BIN)/firstset serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check graph ingest matching api tests benchmarks
	$(BIN)/mypy

# Starts an ArcadeDB Bolt server, exports FIRSTSET_TEST_BOLT and FIRSTSET_REQUIRE_BOLT=1,
# runs pytest, and stops the server by PID whatever pytest did.
pytest: install-test $(CYPHER_LINT) $(CHROMIUM) $(CJK_FONT)
	scripts/with_arcadedb.sh $(BIN)/pytest -q

test: lint pytest

# Refresh the pictures of the web page in docs/screenshots.
screenshots: install-test $(CHROMIUM) $(CJK_FONT)
	FIRSTSET_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/api/test_browser.py tests/api/test_browser_workspace.py

# Rebuild the vendored graph-drawing library (the built file is committed with its sha256).
web-vendor:
	cd web && npm ci --no-audit --no-fund && npm run vendor

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tools/cypher-lint/node_modules
