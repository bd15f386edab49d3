# firstset — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck pytest demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/firstset demo

run: install
	$(BIN)/firstset demo
	$(BIN)/firstset serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check graph ingest matching api tests benchmarks
	$(BIN)/mypy

# Neo4j's Cypher grammar, for the test that checks every statement of the Bolt store.
CYPHER_LINT := tools/cypher-lint/node_modules/.installed
$(CYPHER_LINT): tools/cypher-lint/package.json tools/cypher-lint/package-lock.json
	cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Starts an ArcadeDB Bolt server, exports FIRSTSET_TEST_BOLT and FIRSTSET_REQUIRE_BOLT=1,
# runs pytest, and stops the server by PID whatever pytest did.
pytest: install $(CYPHER_LINT)
	scripts/with_arcadedb.sh $(BIN)/pytest -q

test: lint pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
