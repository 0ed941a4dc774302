# Quick start: `make demo` runs the whole loop on the embedded default; `make test` runs ruff, mypy strict and the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo demo-web test lint bench clean

$(BIN)/exchange: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[demo,test,postgres,celery]'
	touch $@

demo: $(BIN)/exchange
	$(BIN)/exchange demo

demo-web: $(BIN)/exchange
	$(BIN)/exchange demo --web

lint: $(BIN)/exchange
	$(BIN)/ruff check .
	$(BIN)/mypy exchange

test: lint
	$(BIN)/pytest

bench: $(BIN)/exchange
	for b in bench/bench_*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache *.egg-info
