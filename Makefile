# Needs nothing but python3 and make: the venv and every tool come from the project's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: test lint imports typecheck unit docs demo bench clean redis-server

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

test: lint imports typecheck unit docs

lint: $(STAMP)
	$(BIN)/ruff check plexy_async tests benchmarks examples docs

imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

# tests/typing/ is user code whose `# type: ignore[...]` pin the errors the checkers must report.
typecheck: $(STAMP)
	$(BIN)/mypy --strict --warn-unused-ignores plexy_async tests/typing
	$(BIN)/basedpyright -p tests/typing/pyrightconfig.json --pythonpath $(BIN)/python

# The distributed-batch tests start a real redis-server (Debian's package): installed when missing
# (apt-get needs root, as on CI; elsewhere install it yourself).
redis-server:
	@command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server)

unit: $(STAMP) redis-server
	$(BIN)/pytest

# The API reference, from the docstrings, into site/ (git-ignored); any warning fails it.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

demo: $(STAMP)
	$(BIN)/python -m plexy_async demo

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build dist site *.egg-info
