# The two commands of the README, and the checks they are made of.
#
#   make demo   set up a virtual environment, install, and run the demo council on 127.0.0.1:8000
#   make test   set up the same environment and run ruff, mypy and the whole test suite
#
# Python 3.11 or newer and Node.js 20 or newer are needed; everything else is installed into
# .venv and node_modules. The browser tests also need Chromium (Debian: apt-get install chromium);
# without it they are skipped, saying so.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install, so the install reruns only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed
# Touched after npm has installed the pages' assets and the test tools from package-lock.json.
NODE_INSTALLED := node_modules/.installed
# Test processes: the suite mostly waits on databases, so one per core keeps both busy.
PYTEST_WORKERS ?= auto
# What mypy checks: every package, the tests and the benchmarks.
TYPED := ledger receipting channels migrations tests bench

.PHONY: demo test lint typecheck pytest bench setup clean

demo: setup
	$(BIN)/receipting demo

test: setup lint typecheck pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy $(TYPED)

pytest: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS)

bench: setup
	$(BIN)/python -m bench.ledger_post

setup: $(INSTALLED) $(NODE_INSTALLED)

$(INSTALLED): pyproject.toml | $(BIN)/python
	@echo "Installing the project and its development tools into $(VENV) (the first time takes a minute or two)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm was not found. Install Node.js 20 or newer (it brings npm) and run again:" >&2; \
		echo "the pages' styles (govuk-frontend) and the test tools come from npm." >&2; \
		exit 1; }
	@echo "Installing the pages' assets and test tools into node_modules"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "$(PYTHON) was not found. Install Python 3.11 or newer," >&2; \
		echo "or point PYTHON at one: make PYTHON=python3.12 ..." >&2; \
		exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "This project needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)." >&2; \
		echo "Install a newer Python and run again, or point PYTHON at one: make PYTHON=python3.12 ..." >&2; \
		exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
		echo "Could not create the virtual environment $(VENV)." >&2; \
		echo "On Debian or Ubuntu, install the venv module first: apt-get install python3-venv" >&2; \
		rm -rf $(VENV); exit 1; }

clean:
	rm -rf $(VENV) node_modules var test-artifacts .pytest_cache .mypy_cache .ruff_cache
