# Two commands matter: `make ask Q="..."` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
Q ?= what charges does Gutierrez Reed face
export HF_HUB_OFFLINE := 1

.PHONY: setup ask chat test test-fast lint bench eval clean

setup: $(STAMP)

# CPU torch first, from its pinned release: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

ask: setup
	$(BIN)/qabot ask "$(Q)"

chat: setup
	$(BIN)/qabot chat

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# Only the tests that need no real model, with its libraries made unimportable (tests/support/no_model),
# on every core (pytest-xdist): most of their time is waiting on servers and subprocesses. The
# tests that stop a shared server run after the others, alone; those also slow (the workers
# behind nginx of tests/bot/test_scale.py) are left to `make test`.
test-fast: setup
	PYTHONPATH=$(CURDIR)/tests/support/no_model $(BIN)/pytest -m "not model and not alone" -n auto
	PYTHONPATH=$(CURDIR)/tests/support/no_model $(BIN)/pytest -m "not model and alone and not slow"

eval: setup
	$(BIN)/python -m benchmarks.quality --report docs/quality-run.md
	$(BIN)/python -m benchmarks.reading_quality --report docs/reading.md --curve docs/refusal-curve.png \
		--bold-curve docs/bold-curve.png

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) data
