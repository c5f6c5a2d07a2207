# The two commands a new user runs: `make demo` and `make test`.
# Both create .venv from scratch when it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean browser mutation

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/metgrad demo

# Two pytest-xdist workers, one test module at a time, and every test that uses one of the
# costly session fixtures (or a fixture of its module) on the same worker (tests/conftest.py),
# so no fixture is built twice; the longest work first (the order tests/conftest.py gives).
test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

# The report test opens report.html in headless Chromium (Debian's package). Install it
# when missing and possible; the test skips with a message where it is not.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    { apt-get update -qq >/dev/null 2>&1; \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } ; } || \
	  echo "note: headless Chromium unavailable; the report browser test will be skipped"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run_all.py

# Mutation testing (issue #19; not part of `make test`): mutmut 3 over physics/, stats/,
# models/, gradients, spaxels and analysis/ against the unit tests (configured in
# pyproject.toml [tool.mutmut]); about 30 min on 2 idle cores. Results stay in mutants/
# (`.venv/bin/mutmut results`, `mutmut show NAME`); the summary goes to
# benchmarks/out/mutation_summary.md and the reviewed report is benchmarks/MUTATION.md.
MUTATION_TMP ?= /tmp/metgrad-mutation-$(shell id -u)
# survivors re-run in a fresh interpreter: code run at import time or memoised before the fork
MUTATION_FRESH ?= '*c20.x__build__*' '*c20.x__pieces__*' '*_polyinvert.x_critical_points__*' \
  '*Calibratorǁ__post_init__*' '*registry.x_register__*' '*dust.x__calzetti_k_array__*'
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	rm -rf mutants $(MUTATION_TMP) && mkdir -p $(MUTATION_TMP)
	PYTEST_DEBUG_TEMPROOT=$(MUTATION_TMP) $(BIN)/mutmut run --max-children 2
	PYTEST_DEBUG_TEMPROOT=$(MUTATION_TMP) $(BIN)/python benchmarks/mutation_recheck.py --jobs 2 \
	  $(MUTATION_FRESH)
	$(BIN)/python benchmarks/mutation_report.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache mutants
