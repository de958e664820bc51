# meshctl: `make demo` runs the example mesh against a local sandbox; `make test` runs
# every test, integration tests included (the harness starts its own Kafka broker).

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
SANDBOX := .sandbox
DEMO    := . $(SANDBOX)/env && $(BIN)/meshctl
# prod: the second broker and moto server, whose settings .sandbox/env-b sets over the first's
DEMO_B  := . $(SANDBOX)/env && . $(SANDBOX)/env-b && $(BIN)/meshctl

.PHONY: venv chromium demo test unit lint sandbox-up sandbox-down bench clean

# meshctl itself and, next to it, the sandbox/ dev tool (the local servers; not in the wheel)
$(BIN)/meshctl: setup.cfg setup.py pyproject.toml sandbox/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -e ./sandbox
	touch $@

venv: $(BIN)/meshctl

sandbox-up: venv
	$(BIN)/python -m meshctl_sandbox up --dir $(SANDBOX) --second-broker

sandbox-down:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m meshctl_sandbox down --dir $(SANDBOX); fi

# The example mesh has two environments: dev on the sandbox's first broker, prod on the second.
demo: sandbox-up
	$(DEMO) validate examples
	$(DEMO) plan -e dev --state-dir $(SANDBOX)/state examples
	$(DEMO) apply -e dev --auto-approve --state-dir $(SANDBOX)/state examples
	@echo "--- prod: its own plan, and what promoting dev's definitions would change"
	$(DEMO_B) plan -e prod --from dev --state-dir $(SANDBOX)/state examples
	$(DEMO_B) apply -e prod --auto-approve --state-dir $(SANDBOX)/state examples
	@echo "--- planning again: nothing should be left to do in either environment"
	$(DEMO) plan -e dev --state-dir $(SANDBOX)/state examples
	$(DEMO_B) plan -e prod --state-dir $(SANDBOX)/state examples

# The browser tests drive Debian's Chromium headless (Playwright with executable_path, no browser
# download). CI runs as root on a fresh Debian machine; once installed, make sees the file and
# this is a no-op.
CHROMIUM := /usr/bin/chromium
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

chromium: $(CHROMIUM)

lint: venv
	$(BIN)/ruff check meshctl sandbox tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports  # the import contracts in pyproject.toml: the layers of the pipeline

unit: venv
	$(BIN)/pytest -q tests/unit tests/functional

test: lint $(CHROMIUM)
	$(BIN)/pytest -q -ra --durations=25

bench: venv
	$(BIN)/python benchmarks/plan_scale.py

clean: sandbox-down
	rm -rf $(SANDBOX) $(VENV) *.egg-info .pytest_cache .ruff_cache
