# newsclean: `make demo` and `make test` are all the set-up a fresh clone needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint docs install eval eval-dedup bench bench-state bench-dask clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

install: $(STAMP)

demo: $(STAMP)  ## clean and deduplicate the bundled example corpus
	@echo "--- newsclean ingest examples/ (records on stdout, summary on stderr)" >&2
	@$(BIN)/newsclean ingest examples/ --workers 2 | $(BIN)/python -c 'import json, sys; [print(json.dumps({k: (r[k][:70] + "…" if k == "text" else r[k]) for k in ("title", "lang", "text")}, ensure_ascii=False)) for r in map(json.loads, sys.stdin)]'

eval: $(STAMP)  ## cleaning quality on every dev set (181 pages, snippets, plain text) beside trafilatura, per rule, learned chrome
	$(BIN)/python bench/eval_extraction.py
	$(BIN)/python bench/eval_snippets.py
	$(BIN)/python bench/eval_rules.py
	$(BIN)/python bench/eval_learned.py

eval-dedup: $(STAMP)  ## near-duplicate quality on syndicated copies of real news
	$(BIN)/python bench/eval_dedup.py

bench: $(TEST_STAMP)  ## throughput and memory on BENCH_DOCS (20,000) documents, beside trafilatura alone; cleaning with 1 to 33 languages' rules; one story 100,000 times; peak memory against a 300,000-record state of each kind and of report
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_languages.py
	$(BIN)/python bench/bench_copies.py
	$(BIN)/python bench/bench_state_memory.py
	$(BIN)/python bench/bench_report_memory.py

bench-state: $(STAMP)  ## lookups/s against a --state of BENCH_STATE_RECORDS (1,000,000) signatures
	$(BIN)/python bench/bench_state.py

bench-dask: $(TEST_STAMP)  ## Dask workers reading and writing S3 (moto) vs one local worker; client bytes and RSS per document (BENCH_DASK_DOCS, BENCH_DASK_SMALL, BENCH_DASK_LARGE)
	$(BIN)/python bench/bench_dask.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check cli corpus tests bench tools

docs: $(STAMP)  ## rewrite docs/usage.md's options tables from the click definitions (tests/test_docs.py checks them)
	$(BIN)/python tools/docs_options.py

browser:  ## headless Chromium for the report screenshot test (Debian packages; skipped where it cannot be installed)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
	  >/dev/null 2>&1; } || echo "chromium could not be installed: the report screenshot test will be skipped"

test: $(TEST_STAMP) lint browser
	$(BIN)/python -m pytest -q -n 2

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
