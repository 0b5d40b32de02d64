# Everything a user or CI needs, from a fresh clone: `make demo`, `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
# The DfE's 903 validator pins pandas<2, so it gets an env of its own (validations/dfe/validator.py runs it).
DFE_VENV := .venv-dfe
DFE_STAMP := $(DFE_VENV)/.installed-$(shell sha1sum requirements-dfe.lock | cut -c1-12)

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: .venv-dfe setup demo test test-fast bench conformance serve stop lock docs sources clean help

help:
	@echo "make demo       set up, generate a synthetic region, run the nightly load on DuckDB"
	@echo "make test       set up and run the whole test suite (what CI runs)"
	@echo "make test-fast  the tests without the slow integration ones"
	@echo "make bench      time the nightly run at LA, region and national scale -> docs/performance.md"
	@echo "make conformance DROP=DIR EXTRACT=YYYY-MM-DD [COVERAGE=YYYY-MM-DD]"
	@echo "                 our DfE-coded rules vs the DfE validator, and the marts vs the independent"
	@echo "                 computation, on a real-shaped 903 drop (docs/conformance.md)"
	@echo "make serve      Prefect server on loopback + worker + deployments (nightly 01:30 Europe/London)"
	@echo "make stop       stop what make serve started (worker first, then server)"
	@echo "make docs       dbt docs site for the warehouse models"
	@echo "make sources   regenerate the dbt sources from permanence/contract/tables.yaml"
	@echo "make lock       re-pin requirements.lock from pyproject.toml"
	@echo "make .venv-dfe  the DfE 903 validator's own env (part of setup; optional)"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# Optional: without it the DfE rule checks say they were skipped, and everything else works.
$(DFE_STAMP): requirements-dfe.lock
	@rm -rf $(DFE_VENV)
	@( $(PY) -m venv $(DFE_VENV) && $(DFE_VENV)/bin/python -m pip install -q -r requirements-dfe.lock \
	  && touch $(DFE_STAMP) ) >/dev/null 2>&1 \
	  || { rm -rf $(DFE_VENV); echo "DfE 903 validator not installed (make .venv-dfe to retry): DfE rule checks will be skipped"; }

.venv-dfe: $(DFE_STAMP)

setup: $(STAMP) .venv-dfe

demo: setup
	$(BIN)/permanence demo

# Two test processes (pytest-xdist), each taking whole files so that a file's module fixtures are
# built once: most of a test's time is dbt or pandas on one thread, so a second process uses the
# second core (the suite: 37 min in one process on a 2-core machine, 17 min in two).
# PYTEST_PARALLEL= (empty) runs it in one process.
PYTEST_PARALLEL ?= -n auto --maxprocesses=2 --dist loadfile

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_PARALLEL)

bench: setup
	$(BIN)/python -m bench.harness

conformance: setup
	@test -n "$(DROP)" -a -n "$(EXTRACT)" || { echo "error: give DROP=folder and EXTRACT=YYYY-MM-DD"; exit 4; }
	$(BIN)/python -m bench.conformance "$(DROP)" --extract-date $(EXTRACT) $(if $(COVERAGE),--coverage-start $(COVERAGE))

serve: setup
	$(BIN)/permanence serve

stop:
	@test -x $(BIN)/permanence && $(BIN)/permanence stop || true

docs: setup
	cd dbt_project && PERMANENCE_WAREHOUSE=$(CURDIR)/data/demo/warehouse/permanence.duckdb ../$(BIN)/dbt docs generate --profiles-dir .

# dbt's copy of the extract contract (a test fails when the checked-in file is stale).
sources: setup
	$(BIN)/python -m permanence.contract.dbt_sources

# Resolve the ranges in pyproject.toml in a clean venv and pin every package.
lock:
	rm -rf .lock-venv && $(PY) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q --upgrade "pip>=24"
	.lock-venv/bin/python -m pip install -q ".[test]"
	.lock-venv/bin/python -m pip freeze --exclude permanence > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf data/demo dbt_project/target dbt_project/logs .pytest_cache
