# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install migrate seed serve lint client-check ci clean segmentation-dictionary bench bench-catalogue bench-bookings bench-ledger bench-import bench-memory bench-search-sql bench-signin

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/ttm migrate

seed: migrate
	$(BIN)/ttm seed-demo

serve: $(STAMP)
	$(BIN)/ttm serve

## make run: virtualenv, install, migrate the SQLite file, demo data, serve on 127.0.0.1:8000 (docs at /docs)
run: seed
	$(BIN)/ttm serve --host 127.0.0.1 --port 8000

## make segmentation-dictionary: rebuild services/segmentation_dictionary.txt.gz from the installed jieba's
## dictionary (words and frequencies; after a jieba upgrade, which the suite notices)
segmentation-dictionary: $(STAMP)
	$(BIN)/python -m tests.services.test_segmentation_dictionary

## make test: the whole suite (SQLite; also PostgreSQL when TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench: every benchmark below, each in its own database, each writing bench/results/*.json
## (the search statement and memory last, against the catalogue benchmark's 1M listings)
bench: bench-catalogue bench-bookings bench-ledger bench-import bench-signin
	$(MAKE) bench-search-sql BENCH_SEARCH_DB=$(BENCH_DSN)
	$(MAKE) bench-memory BENCH_MEMORY_DB=$(BENCH_DSN)

## make bench-catalogue: search/get benchmark at 10k and 1M listings in PostgreSQL database ttm_bench, in process and over
## real HTTP (uvicorn, one worker per app; wrk, installed with apt-get when missing), app vs bare reference
BENCH_DSN ?= postgresql://postgres@127.0.0.1/ttm_bench
bench-catalogue: $(STAMP)
	BENCH_DSN=$(BENCH_DSN) $(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

## make client-check: generate the TypeScript client from the OpenAPI document (clients/typescript: npm ci,
## ttm openapi, openapi-typescript, tsc strict) and run its journey against a live server on a fresh demo
## SQLite file (register, sign in, search, book, cancel; every answer checked against the document)
client-check: $(STAMP)
	bash clients/typescript/check.sh $(BIN)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var .pytest_cache

## make bench-bookings: 32 clients booking 100 slots with contention vs uncontended, on PostgreSQL (wipes BENCH_BOOKINGS_DB)
BENCH_BOOKINGS_DB ?= postgresql://postgres@127.0.0.1/ttm_bench_bookings
bench-bookings: $(STAMP)
	$(BIN)/python bench/bookings_bench.py --database-url $(BENCH_BOOKINGS_DB)

## make bench-ledger: trial balance and an account's balance as of a time over 1M postings, app vs raw SQL (wipes BENCH_LEDGER_DB)
BENCH_LEDGER_DB ?= postgresql://postgres@127.0.0.1/ttm_bench_ledger
bench-ledger: $(STAMP)
	$(BIN)/python -m bench.ledger_bench --database-url $(BENCH_LEDGER_DB)

## make bench-import: import + auto-match a 10k and a 100k line GBK bank statement on PostgreSQL (wipes BENCH_IMPORT_DB)
BENCH_IMPORT_DB ?= postgresql://postgres@127.0.0.1/ttm_bench_import
bench-import: $(STAMP)
	$(BIN)/python -m bench.import_bench --database-url $(BENCH_IMPORT_DB)
## make bench-signin: /health p50/p90 while 6 failed sign-ins run at once (argon2 off the event loop), on a fresh
## SQLite file, or on BENCH_SIGNIN_DB (e.g. postgresql://postgres@127.0.0.1/ttm_bench_signin; its schema is wiped)
bench-signin: $(STAMP)
	$(BIN)/python -m bench.signin_burst $(if $(BENCH_SIGNIN_DB),--database-url $(BENCH_SIGNIN_DB))
## make bench-memory: RSS of each `ttm serve --workers N` worker before/during/after a short catalogue
## load (a fresh demo SQLite file, or BENCH_MEMORY_DB when set)
BENCH_WORKERS ?= 2
bench-memory: $(STAMP)
	$(BIN)/python -m bench.memory --workers $(BENCH_WORKERS) $(if $(BENCH_MEMORY_DB),--database-url $(BENCH_MEMORY_DB))

## make bench-search-sql: each of the 400 benchmark queries' first page, server time of the app's SQL (a seeded catalogue:
## run bench-catalogue first; BENCH_SEARCH_DB defaults to its database)
BENCH_SEARCH_DB ?= $(BENCH_DSN)
bench-search-sql: $(STAMP)
	$(BIN)/python -m bench.search_sql --database-url $(BENCH_SEARCH_DB)
