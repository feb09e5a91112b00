# Every target bootstraps .venv first, so `make demo` and `make test` work on a fresh clone
# with nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "jainam-validate needs Python 3.11+ (set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

.PHONY: setup demo test lint typecheck check clean
setup: $(STAMP)

## A whole validation pass against the built-in simulator: no account, no network.
demo: $(STAMP)
	$(BIN)/jainam-validate run --sim

## The test suite: unit tests (no network) and end-to-end tests against the simulator.
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check jainam_validate tests
	$(BIN)/ruff format --check jainam_validate tests

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
