# The README's two commands: `make run` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# make run serves the embedded SQLite database in debug mode; make test needs only a key.
RUN_ENV := DEBUG=true
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-insecure-test-only-key}
PYTEST_ARGS ?=

.PHONY: run test install messages migrate seed benchmarks lint clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# Compiled catalogues (.mo) are build output, made from the .po files under locale/.
messages: install
	@if command -v msgfmt >/dev/null; then \
		$(RUN_ENV) $(PY) manage.py compilemessages --ignore '$(VENV)' -v0; \
	else echo "msgfmt not found (apt-get install gettext): English texts are shown untranslated"; fi

migrate: messages
	$(RUN_ENV) $(PY) manage.py migrate --noinput -v0

seed: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo --if-empty

# The worker runs beside the web server and stops with it; the day's work is queued at start
# (once a day: a second start queues nothing).
run: seed
	@$(RUN_ENV) $(PY) manage.py demo_accounts
	$(RUN_ENV) $(PY) manage.py enqueue_daily
	$(RUN_ENV) $(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: messages
	$(TEST_ENV) $(PY) -m pytest -m "not browser" -n 2 $(PYTEST_ARGS)
	$(TEST_ENV) $(PY) -m pytest -m browser $(PYTEST_ARGS)

# Each benchmark seeds its own database (honours DATABASE_URL) and prints figures beside its
# baseline measured in the same run. SCALE=county for the large data.
SCALE ?= town
benchmarks: messages
	$(RUN_ENV) $(PY) -m benchmarks.overdue --scale $(SCALE)
	$(RUN_ENV) $(PY) -m benchmarks.dashboard --scale $(SCALE)
	$(RUN_ENV) $(PY) -m benchmarks.ledgers --rows 10000
	$(RUN_ENV) $(PY) -m benchmarks.digests --scale $(SCALE)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(VENV)/bin/mypy
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts
