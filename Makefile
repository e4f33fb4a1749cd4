# The two commands a fresh clone needs: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MINUSMA_INDEX_DIR ?= var/index

.PHONY: setup run index test lint typecheck pytest eval bench stress clean browser dictionaries

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "error: $(PY) not found; install Python 3.11 or run 'make PY=python3 ...'"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# CPU torch first, from the wheel on this disk, so no dependency pulls a CUDA build.
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $(STAMP)

index: setup dictionaries
	$(BIN)/minusma-qa index --if-needed --index-dir $(MINUSMA_INDEX_DIR)

# FreeDict English<->Dutch dictionaries: the index build turns them into the translation
# table for English queries (index/translate.py); without them English queries still work.
dictionaries:
	@test -f /usr/share/dictd/freedict-eng-nld.index -a -f /usr/share/dictd/freedict-nld-eng.index || { \
	  echo "installing Debian FreeDict English<->Dutch dictionaries for English queries"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dict-freedict-eng-nld dict-freedict-nld-eng) \
	  || echo "warning: could not install the FreeDict dictionaries; English queries will not be translated"; }

run: index
	$(BIN)/minusma-qa serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check cli ingest index service eval tests bench scripts
	$(BIN)/ruff format --check cli ingest index service eval tests bench scripts

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest

browser:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; }

test: setup browser dictionaries lint typecheck pytest eval

eval: index
	$(BIN)/minusma-qa eval --baseline eval/baseline.json --out eval/out

bench: index
	$(BIN)/python bench/run_all.py

stress: index
	$(BIN)/pytest -m stress tests/stress

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts
