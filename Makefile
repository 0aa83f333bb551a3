# The two commands of the README. Each sets itself up: a .venv with what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast check bench mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The compiled page reader is built by the install: a change to it installs again.
BUILT_FROM := pyproject.toml setup.py packager/inputs/_fastpage.c

$(VENV)/.installed-run: $(BUILT_FROM) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BUILT_FROM) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed-run $@

# Build dist/kcna-sample/1.0.0 from examples/. A release never changes once written, so
# the demo removes its own earlier demo release first.
demo: $(VENV)/.installed-run
	rm -rf dist/kcna-sample/1.0.0
	$(BIN)/packager build examples/ --name kcna-sample --version 1.0.0

# cffconvert (the Citation File Format's validator) pins jsonschema<4, which frictionless
# cannot use: it gets a venv of its own, which the tests find.
CFFCONVERT := .venv-cffconvert/bin/cffconvert

$(CFFCONVERT):
	$(PYTHON) -m venv .venv-cffconvert
	.venv-cffconvert/bin/python -m pip install --quiet cffconvert==2.0.0

# Every test, on every core (pytest-xdist): some three minutes on two cores.
test: $(VENV)/.installed-test $(CFFCONVERT)
	$(BIN)/python -m pytest -n auto

# The fast tier, the units of contract, inputs, release and check: well under a minute.
FAST_TESTS := $(addprefix tests/test_,$(addsuffix .py,rules schema inputs fastpage keys \
	versions raw_values diff card info variants dedup table_inputs scraped_tables hostile \
	release docs rules_pinned checker))

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n auto $(FAST_TESTS)

# The benchmarks of bench/README.md (minutes; they write under bench/out/).
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.validate_bench --repeat 3
	$(BIN)/python -m bench.build_bench --sizes 100000 --repeat 3 --without-compiled
	$(BIN)/python -m bench.table_bench --repeat 3
	$(BIN)/python -m bench.profile_page

# Mutation testing of the contract's rules, schema changes and SHA256SUMS (mutmut, its
# settings in pyproject.toml; some minutes): docs/mutation.md holds the score.
mutation: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet "mutmut==3.8.1"
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

# Format check, lint, types (mypy --strict) and the direction of imports between stages.
check: $(VENV)/.installed-test
	$(BIN)/ruff format --check packager tests bench
	$(BIN)/ruff check packager tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .venv-cffconvert dist/kcna-sample build packager/*.so packager/*/*.so
