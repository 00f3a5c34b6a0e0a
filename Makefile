PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP)

# `make run` starts claw in this directory. Without an API key it opens the
# first-run setup, whose "Try the demo" runs the built-in scenario against a
# scripted model server on 127.0.0.1 in a temporary project: no key needed.
run: $(STAMP)
	$(BIN)/claw

test: $(TEST_STAMP)
	@scripts/install-system-deps.sh
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_engine.py

# The SVGs in screenshots/, rendered by the app itself from the demo scenario.
screenshots: $(TEST_STAMP)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV)
