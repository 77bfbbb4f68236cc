# Thin targets over the project. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt integrations/tryton/pyproject.toml | sha1sum | cut -c1-12)

# Nothing calls home: the code sets these too (matching.settings.configure_offline).
# One variable per line: `export A=1 B=2` would set A to "1 B=2" and B not at all.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export BENTOML_DO_NOT_TRACK := True
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
export OMP_WAIT_POLICY := PASSIVE
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-all lint format bench vocabulary train-parser train serve bento mlflow-ui clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv and install the project (CPU torch first, pinned versions)

$(STAMP): pyproject.toml constraints.txt integrations/tryton/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip
	@# a plain `torch` would pull a multi-GB CUDA build; the CPU build comes first
	$(BIN)/pip install -q torch==2.13.0
	@# the project, its tools, and the Tryton module of the local CRM (tests and demo)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]' -e ./integrations/tryton
	rm -f $(VENV)/.installed-* && touch $@

demo: setup ## the whole flow: train, evaluate, audit, promote, ingest, serve, shortlist, write back to a local CRM (minutes)
	$(BIN)/matching demo

test: setup ## lint, type-check and run the tests (data-backed tests skip when ../shared/data is absent)
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest -q

lint: setup ## ruff (lint + format check) and mypy
	$(BIN)/ruff check src service tests benchmarks training integrations notebooks docs
	$(BIN)/ruff format --check src service tests benchmarks training integrations notebooks docs
	$(BIN)/mypy

format: setup ## apply ruff's formatting and fixes
	$(BIN)/ruff check --fix src service tests benchmarks training integrations notebooks docs
	$(BIN)/ruff format src service tests benchmarks training integrations notebooks docs

bench: setup ## run every benchmark and print its table (needs ../shared/data)
	$(BIN)/python benchmarks/bench_parse_speed.py
	$(BIN)/python benchmarks/bench_fields.py
	$(BIN)/python benchmarks/bench_skills.py
	$(BIN)/python benchmarks/bench_embeddings.py
	$(BIN)/python benchmarks/bench_shortlist.py
	$(BIN)/python benchmarks/bench_ranking.py
	$(BIN)/python benchmarks/bench_service.py  # needs wrk (apt-get install -y wrk)

vocabulary: setup ## rebuild the shipped ESCO/O*NET vocabulary from ../shared/data
	$(BIN)/python training/build_vocabulary.py

train-parser: setup ## train the resume field extractor and the skill tagger into models/
	OMP_NUM_THREADS=1 $(BIN)/python training/fields/train.py
	OMP_NUM_THREADS=1 $(BIN)/python training/skills/train.py

train: setup ## train the ranker on ../shared/data, evaluate it and register it as `challenger`
	$(BIN)/matching train

serve: setup ## start the HTTP service on http://127.0.0.1:3000 (creates a first API key, printed once)
	$(BIN)/matching serve --port $(or $(PORT),3000)

bento: setup ## build the service's Bento offline (then `bentoml containerize matching:latest`)
	rm -rf dist
	$(BIN)/pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .
	$(BIN)/python service/requirements.py > dist/requirements.txt
	$(BIN)/bentoml build

mlflow-ui: setup ## browse runs and registered models (local store under var/)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/var/mlflow.db --port 5000

clean: ## remove the virtual environment and caches (keeps models/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
