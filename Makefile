# kefu — the two set-up commands are `make dev` and `make test`; everything installs itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: test dev bench synth lint format lock clean test-slow

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kefu needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

## test: install what is needed, lint, and run the whole test suite (slow tests and benchmarks excluded)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -n 2 -m "not slow and not bench"

## test-slow: the slow tests on their own
test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

## dev: run kefu locally (HTTP API on 127.0.0.1:3000)
dev: $(STAMP)
	$(BIN)/kefu local up $(if $(MONTH),--month)

## bench: benchmarks, reported as ratios to a baseline measured in the same run
bench: $(STAMP)
	$(BIN)/pytest -q -s -m bench -p no:randomly

## synth: write cdk.out (no AWS credentials, no Docker); STAGE=prod for another stage than dev
synth: $(STAMP)
	rm -rf cdk.out
	$(PY) infra/app.py $(if $(STAGE),-c stage=$(STAGE))

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## lock: re-pin every dependency into constraints.txt (after editing pyproject.toml)
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .ruff_cache build *.egg-info
