# The front door. Every target installs what it needs first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out
TARGET ?= examples/demo-service

.PHONY: install run serve test lint format bench bench-analyzer bench-service bench-api smoke clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/pta analyze $(TARGET) -o $(OUT)/$(notdir $(TARGET))

serve: install
	$(BIN)/pta serve

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: bench-analyzer bench-service bench-api

bench-analyzer: install
	$(BIN)/python bench/bench_analyzer.py

bench-service: install
	$(BIN)/python bench/bench_service.py

bench-api: install
	$(BIN)/python bench/bench_api.py

# Analyze examples/demo-service and validate every output (a check mark per
# output). With PTA_API_URL (and PTA_API_KEY) set, through a running service.
smoke: install
	$(BIN)/python ops/smoke.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
