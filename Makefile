# meshctl: `make demo` runs the example mesh against a local sandbox; `make test` runs
# every test, integration tests included (the harness starts its own Kafka broker).

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
SANDBOX := .sandbox
DEMO    := . $(SANDBOX)/env && $(BIN)/meshctl

.PHONY: venv demo test unit lint sandbox-up sandbox-down bench clean

# meshctl itself and, next to it, the sandbox/ dev tool (the local servers; not in the wheel)
$(BIN)/meshctl: setup.cfg setup.py pyproject.toml sandbox/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -e ./sandbox
	touch $@

venv: $(BIN)/meshctl

sandbox-up: venv
	$(BIN)/python -m meshctl_sandbox up --dir $(SANDBOX)

sandbox-down:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m meshctl_sandbox down --dir $(SANDBOX); fi

demo: sandbox-up
	$(DEMO) validate examples
	$(DEMO) plan --state-dir $(SANDBOX)/state examples
	$(DEMO) apply --auto-approve --state-dir $(SANDBOX)/state examples
	@echo "--- planning again: nothing should be left to do"
	$(DEMO) plan --state-dir $(SANDBOX)/state examples

lint: venv
	$(BIN)/ruff check meshctl sandbox tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports  # the import contracts in pyproject.toml: the layers of the pipeline

unit: venv
	$(BIN)/pytest -q tests/unit tests/functional

test: lint
	$(BIN)/pytest -q -ra

bench: venv
	$(BIN)/python benchmarks/plan_scale.py

clean: sandbox-down
	rm -rf $(SANDBOX) $(VENV) *.egg-info .pytest_cache .ruff_cache
