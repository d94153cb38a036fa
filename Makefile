# `make run` and `make test` each bootstrap .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run test lint bench translations clean

$(VENV)/.base: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.base
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: $(VENV)/.base
	SSPF_ENV=$${SSPF_ENV:-development} $(BIN)/sspf db upgrade
	SSPF_ENV=$${SSPF_ENV:-development} $(BIN)/sspf seed-demo --if-empty
	SSPF_ENV=$${SSPF_ENV:-development} $(BIN)/sspf run --host $(HOST) --port $(PORT)

test: $(VENV)/.dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

translations: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -o sspf/translations/messages.pot .
	$(BIN)/pybabel update -i sspf/translations/messages.pot -d sspf/translations
	$(BIN)/pybabel compile -d sspf/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
