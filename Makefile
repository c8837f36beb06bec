# kefu — the two set-up commands are `make dev` and `make test`; everything installs itself.
SHELL := /bin/bash
# The functions run on Lambda's Python 3.13 (infra/kefu_infra/capabilities/function.py): the tests run on it too
# where this machine has it (on PATH, or installed by pyenv), else on python3 (3.11 or newer). On 3.12 and newer,
# coverage reads lines through sys.monitoring (COVERAGE_CORE below) at a fraction of the tracer's cost.
PYTHON ?= $(firstword $(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null) $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.13*/bin/python3.13) python3)
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
export COVERAGE_CORE := sysmon
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Bytecode caches on (some shells turn them off): without them every test worker, local stack and `kefu local`
# command compiles kefu and re-rewrites the tests' asserts afresh (~10 s of CPU a worker).
unexport PYTHONDONTWRITEBYTECODE
# Line coverage of layers/, functions/ and infra/ below which `make test` fails; how it was set is beside
# [tool.coverage.report] in pyproject.toml.
COVERAGE_FLOOR := 90

.PHONY: test test-ready service-models ruff templates bytecode dev bench cost synth lint format lock clean web web-schema web-test web-types web-unit chromium valgrind

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kefu needs Python 3.11 or newer")'
	@# A virtual environment of another Python than the one chosen above is made anew.
	@test -x $(PY) && [ "$$($(PY) -c 'import sys; print(sys.version_info[:2])')" = "$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])')" ] \
		|| { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	@# pip asks the index about one package at a time (~100 s for this tree on a fresh machine); uv, pinned here and
	@# installed by pip, fetches them concurrently (~35 s). Should uv fail (say, a TLS set-up it does not read),
	@# pip installs the same pins.
	$(PY) -m pip install -q 'uv==$(UV_VERSION)' && $(BIN)/uv pip install --python $(PY) -q -c constraints.txt -e '.[dev]' \
		|| { echo "uv could not install; installing with pip"; $(PY) -m pip install -q -c constraints.txt -e '.[dev]'; }
	@touch $@

## test: install what is needed, lint, type-check (mypy, configured in pyproject.toml), and run the whole test suite (benchmarks excluded) with coverage, and the web app's
test:
	@# The installs run side by side, with the web build (it needs only Node's; the templates take it in, and they
	@# are the longest step after the installs). Then mypy (one core, ~35 s cold) starts at a lower priority, on
	@# what the rest leaves of the CPU, beside the other steps, which are independent of each other (lint, web
	@# checks, templates, bytecode), and beside the tests: four workers on two cores, as the local-stack and
	@# browser journeys spend most of their time waiting on a stack, a clock or a browser, not computing.
	@$(MAKE) --no-print-directory -j3 --output-sync=target $(STAMP) web
	@mkdir -p build; nice -n 10 $(BIN)/mypy > build/mypy.txt 2>&1 & typing=$$!; \
	$(MAKE) --no-print-directory -j4 --output-sync=target test-ready \
	&& $(BIN)/pytest -q -n 4 --dist loadgroup -m "not bench" --durations=10 --cov --cov-report=html:build/coverage --cov-fail-under=$(COVERAGE_FLOOR); \
	tests=$$?; wait $$typing; typed=$$?; echo "mypy:"; cat build/mypy.txt; exit $$(( tests || typed ))

test-ready: ruff web-test templates bytecode

# uv installs no bytecode: the libraries are compiled here, beside the other steps, so that the test workers and
# local stacks starting together do not each compile the same modules. aws_cdk's ~680 modules (~30 s of CPU) are
# left out: the synth (`templates`) compiles the few dozen it imports.
bytecode: $(STAMP)
	@$(PY) -m compileall -q -j0 -x '/site-packages/aws_cdk/' "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

# kefu's copies of botocore's models trimmed to the operations it calls (kefu.store.service_models), written again
# for the installed botocore: after an upgrade, or when kefu calls another operation of a trimmed service.
service-models: $(STAMP)
	PYTHONPATH=infra $(PY) -c 'from kefu_infra.service_models import write_trimmed_models; write_trimmed_models()'

ruff: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The local stack's templates, synthesized once before the journeys start stacks (not inside a start's timeout);
# after the web build, whose files the web stack's template takes in.
templates: $(STAMP) web
	$(PY) -c 'from kefu_local.templates import cloud_assembly; cloud_assembly()'

## dev: run kefu locally (HTTP API on 127.0.0.1:3000); MONTH=1 first writes a month of demo traffic (kefu local seed --month)
dev: $(STAMP) web
	$(if $(MONTH),$(BIN)/kefu local seed --month)
	$(BIN)/kefu local up

## bench: benchmarks, reported as ratios to a baseline measured in the same run
bench: $(STAMP) valgrind
	$(BIN)/pytest -q -s -m bench -p no:randomly

## cost: $ per 10,000 tickets (web, e-mail, complaint ladder, revisit) from counts measured in this run against a
## local stack and the price table in tests/cost/prices.py; KEFU_COST_TICKETS tickets a scenario (5); build/cost/report.txt
cost: $(STAMP)
	$(BIN)/pytest -q -s -m bench -p no:randomly tests/cost

## synth: write cdk.out (no AWS credentials, no Docker); STAGE=prod for another stage than dev
synth: $(STAMP) web
	rm -rf cdk.out
	$(PY) infra/app.py $(if $(STAGE),-c stage=$(STAGE))

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## lock: re-pin every dependency into constraints.txt (after editing pyproject.toml)
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lock-venv

# --- the web app (web/): Vite + Preact, pinned by web/package-lock.json ---------------------------------------
WEB_STAMP := web/node_modules/.installed
WEB_BUILT := build/web/.dist-built
KEFU_CHROMIUM ?= /usr/bin/chromium
export KEFU_CHROMIUM

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

## web: build the web app into web/dist (`make dev` serves it on 127.0.0.1:5173, KEFU_WEB_PORT)
web: $(WEB_BUILT)

# Built again when any of the app's files changed since (the stamp is outside web/dist, which is deployed as is).
$(WEB_BUILT): $(WEB_STAMP) web/index.html web/tsconfig.json web/vite.config.ts $(shell find web/src -type f 2>/dev/null)
	cd web && npm run build
	@mkdir -p $(@D) && touch $@

## web-schema: regenerate the web app's API types (web/src/api/schema.d.ts) from the handler's OpenAPI document
web-schema: $(STAMP) $(WEB_STAMP)
	@mkdir -p build/web
	$(PY) web/scripts/openapi.py > build/web/openapi.json
	cd web && npx openapi-typescript ../build/web/openapi.json -o src/api/schema.d.ts

## web-test: API types regenerated and diffed (app and API cannot drift), unit tests, build, Chromium for journeys
web-test: web-types web-unit web chromium

web-types: $(STAMP) $(WEB_STAMP)
	@mkdir -p build/web
	$(PY) web/scripts/openapi.py > build/web/openapi.json
	cd web && npx openapi-typescript ../build/web/openapi.json -o ../build/web/schema.d.ts
	@diff -u web/src/api/schema.d.ts build/web/schema.d.ts || \
		{ echo "the API changed: run 'make web-schema' and commit web/src/api/schema.d.ts"; exit 1; }

web-unit: $(WEB_STAMP)
	@# In `make test` beside the templates, which the tests wait for: it yields the CPU to them.
	cd web && nice -n 5 npm test

# The browser journeys (tests/web) drive the distribution's Chromium: Playwright's own download does not work here.
chromium:
	@if [ -x "$(KEFU_CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; \
	else echo "the browser journeys need Chromium: run 'sudo apt-get install -y chromium' (or set KEFU_CHROMIUM)"; exit 1; fi

# The cold-start bench counts instructions with callgrind where valgrind is installed (its figures do not move with
# the machine's load); without it the bench still runs, judged on the clock alone.
valgrind:
	@if command -v valgrind >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; \
	else echo "valgrind is not installed: the cold-start bench will not count instructions ('sudo apt-get install -y valgrind')"; fi

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .ruff_cache build *.egg-info web/node_modules web/dist
