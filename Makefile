# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app fablab
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
LINT_STAMP := $(VENV)/.installed-lint

.PHONY: run test lint install install-test translations extract-messages update-catalogs \
        compile-messages migrate upgrade demo clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP) setup.cfg
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

$(LINT_STAMP): $(STAMP) setup.cfg
	$(BIN)/pip install --quiet -e ".[lint]"
	touch $@

install: $(STAMP)

install-test: $(TEST_STAMP)

# Compile the .po catalogues into the .mo files Flask-Babel reads.
compile-messages: $(STAMP)
	$(BIN)/pybabel compile -d translations

# After adding or changing strings: extract them, then merge into each catalogue.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output .

update-catalogs: extract-messages
	$(BIN)/pybabel update -i translations/messages.pot -d translations

translations: update-catalogs compile-messages

upgrade: $(STAMP)
	FLASK_DEBUG=1 $(FLASK) db upgrade

demo: upgrade
	FLASK_DEBUG=1 $(FLASK) demo --if-empty

run: compile-messages demo
	FLASK_DEBUG=1 $(FLASK) run --host 127.0.0.1 --port 5000

test: $(TEST_STAMP) compile-messages
	$(BIN)/pytest $(PYTEST_ARGS)

# Static checks, each a line: the import contracts of setup.cfg (the layers of the README).
lint: $(LINT_STAMP)
	$(BIN)/lint-imports --no-logo --no-cache

# Benchmarks (not tests): SQLite by default; FABLAB_BENCH_DATABASE_URL=postgresql://… for
# PostgreSQL. BENCH=name runs one module. Writes bench/RESULTS.md.
bench: $(TEST_STAMP) compile-messages
	@command -v wrk >/dev/null || { echo "Installing wrk (the load generator)…"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq wrk; else sudo apt-get install -y -qq wrk; fi; }
	$(BIN)/python -m bench.run $(BENCH)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

# A coherent dataset at scale in an empty database (bench/README.md): make dataset SCALE=10
# DATASET_URL=postgresql://... (that database is emptied first); without it, a new SQLite file.
.PHONY: dataset
SCALE ?= 1
dataset: $(TEST_STAMP)
	$(BIN)/python -m bench.make_dataset --scale $(SCALE) $(if $(DATASET_URL),--reset --database-url $(DATASET_URL))
