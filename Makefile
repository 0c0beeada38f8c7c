# The two commands (see README.md): `make run` brings Sitepack up on 127.0.0.1,
# `make test` runs the suite on SQLite and, when a server answers on 127.0.0.1:5432, PostgreSQL.

SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-requirements
DEV_STAMP := $(VENV)/.installed-requirements-dev
PYTEST_ARGS ?=

.PHONY: run test test-quick lint rehearsal

## run: install what is missing, then start Redis, S3, the mail sink, a worker and the web app
run:
	@scripts/system_packages.sh run
	@$(MAKE) --no-print-directory $(RUN_STAMP)
	@scripts/run.sh

## test: the whole suite on SQLite, then on PostgreSQL when one answers on 127.0.0.1:5432
test:
	@scripts/system_packages.sh test
	@$(MAKE) --no-print-directory $(DEV_STAMP)
	@scripts/test.sh $(PYTEST_ARGS)

## test-quick: SQLite only, without the browser tests
test-quick: $(DEV_STAMP)
	env -u TEST_DATABASE_URL $(PYTHON) -m pytest -m "not browser" $(PYTEST_ARGS)

## rehearsal: as root, Sitepack on several hosts (network namespaces) behind nginx, with
## partitions, pauses, dead hosts and restarts of every service; prints one table
## (README, "Past one machine"). REHEARSAL_ARGS=--short is the CI's four-minute one.
rehearsal:
	@scripts/system_packages.sh rehearsal
	@$(MAKE) --no-print-directory $(DEV_STAMP)
	$(PYTHON) -m bench.rehearsal $(REHEARSAL_ARGS)

## lint: ruff's checks and formatting, without changing files
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

$(PYTHON):
	python3 -m venv $(VENV)

# The stamps make reruns quick: pip runs again only when a requirements file changes.
$(RUN_STAMP): requirements.txt | $(PYTHON)
	$(PYTHON) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PYTHON)
	$(PYTHON) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@ $(RUN_STAMP)
