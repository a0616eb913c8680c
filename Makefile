# The two commands of the README. Both set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/communecter

.PHONY: run test test-fast test-sqlite test-postgres bench bench-quick soak soak-full lint

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## Run the service: SQLite, one daphne process, in-process fan-out, demo data, on http://$(HOST):$(PORT)
# A random key, made once and kept in .dev-secret-key (git-ignored): sessions survive restarts.
run: $(STAMP)
	@test -s .dev-secret-key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > .dev-secret-key
	DJANGO_SECRET_KEY_FILE=.dev-secret-key $(BIN)/python manage.py migrate --noinput -v0
	DJANGO_SECRET_KEY_FILE=.dev-secret-key $(BIN)/python manage.py load_demo
	DJANGO_SECRET_KEY_FILE=.dev-secret-key HOST=$(HOST) PORT=$(PORT) $(BIN)/python scripts/serve.py

## Run the whole test suite: on SQLite, then every database test again on PostgreSQL.
## It first starts Redis/PostgreSQL if installed but down, and runs apt-get (as root, or sudo)
## for Chromium and nginx when they are missing; without them their tests are skipped (CI=true: failed).
test: $(STAMP)
	$(BIN)/lint-imports
	@echo "make test: checking Redis, PostgreSQL, Chromium and nginx (may run apt-get install chromium nginx-light fonts-noto-color-emoji)"
	$(BIN)/python scripts/ensure_test_services.py
	$(BIN)/python -m pytest
	DATABASE_URL=$(POSTGRES_URL) DATABASE_CONN_MAX_AGE=0 $(BIN)/python -m pytest -m "not browser and not sqlite_only"

## The fast tier, while working: every test that starts no daphne process (e2e) and no browser, on
## both databases, in parallel (pytest-xdist: each worker has its own test database). `make test`
## still runs everything.
FAST_WORKERS ?= 2
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(FAST_WORKERS) -m "not e2e and not browser"
	DATABASE_URL=$(POSTGRES_URL) DATABASE_CONN_MAX_AGE=0 $(BIN)/python -m pytest -n $(FAST_WORKERS) -m "not e2e and not browser and not sqlite_only"

## The benchmark (issues 6, 11, 17): every scenario against the peers, then the live debate.
bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.debate

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick
	$(BIN)/python -m bench.debate --participants 200 --watchers 200 --seconds 10

## Soak: mixed load on two daphne processes + Redis; RSS and p99 over time in artifacts/soak/.
soak: $(STAMP)
	$(BIN)/python -m soak --quick

soak-full: $(STAMP)
	$(BIN)/python -m soak --minutes 30

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports
