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

.PHONY: setup demo test unit mutants smoke lint typecheck check clean bench
setup: $(STAMP)

## A whole validation pass against the built-in simulator: no account, no network.
demo: $(STAMP)
	$(BIN)/jainam-validate run --sim

## The test suite: unit tests (no network) and end-to-end tests against the simulator.
test: $(STAMP)
	$(BIN)/python -m pytest

## The fast tests: unit and in-process integration, no subprocess end-to-end, spread over
## every core (pytest-xdist); under a minute on two cores.
unit: $(STAMP)
	$(BIN)/python -m pytest -n auto tests/unit tests/integration

## CI smoke: a whole pass replayed from each shipped cassette (no network, no credentials),
## then an audit of everything it wrote.
SMOKE_DIR ?= .smoke
smoke: $(STAMP)
	rm -rf $(SMOKE_DIR)
	$(BIN)/jainam-validate run --replay tests/fixtures/cassettes/investor --evidence-dir $(SMOKE_DIR) --no-color
	$(BIN)/jainam-validate run --replay tests/fixtures/cassettes/dealer --evidence-dir $(SMOKE_DIR) --no-color
	$(BIN)/jainam-validate run --replay tests/fixtures/cassettes/investor-iv2 --evidence-dir $(SMOKE_DIR) --no-color
	$(BIN)/jainam-validate audit $(SMOKE_DIR) tests/fixtures/cassettes

## Mutation testing (mutmut) of the modules that decide verdicts and safety, against the unit
## and in-process integration tests; long (tens of minutes), resumable, not part of CI.
mutants: $(STAMP)
	$(BIN)/mutmut run --max-children $$($(BIN)/python -c 'import os; print(os.cpu_count() or 1)')
	$(BIN)/python bench/mutants.py

lint: $(STAMP)
	$(BIN)/ruff check jainam_validate tests bench
	$(BIN)/ruff format --check jainam_validate tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test smoke

## Benchmarks (figures, not tests; see BENCHMARKS.md): fidelity vs curl, overhead, scale, start-up.
bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .smoke .pytest_cache .mypy_cache .ruff_cache *.egg-info mutants
