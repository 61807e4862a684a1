# Two entry points for users (see README): `make demo` and `make test`.
# Both create .venv/ from requirements.lock when it is missing or stale; re-runs are fast.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed
export UV_COMPILE_BYTECODE := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: demo test test-slow lint bench bench-grade check-exercises lock docs clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "datalit needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python -r requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	@bash scripts/system-deps.sh
	$(VENV)/bin/datalit demo

test: $(STAMP)
	@bash scripts/system-deps.sh test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest -q -m "not slow"

test-slow: $(STAMP)
	@bash scripts/system-deps.sh test
	$(VENV)/bin/python -m pytest -q -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_generate.py

bench-grade: $(STAMP)
	@bash scripts/system-deps.sh
	$(VENV)/bin/python benchmarks/bench_grade.py

# The fairness claim of docs/exercises.md: every exercise over SEEDS seeds (CI runs 3).
SEEDS ?= 30
check-exercises: $(STAMP)
	@bash scripts/system-deps.sh
	@failed=0; for ex in $$($(VENV)/bin/datalit list | cut -d' ' -f1); do \
	  $(VENV)/bin/datalit check-exercise $$ex --seeds $(SEEDS) || failed=1; \
	done; exit $$failed

docs: $(STAMP)
	$(VENV)/bin/datalit anomalies --markdown > docs/anomalies.md

lock:
	$(VENV)/bin/uv pip compile --quiet pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
