# The two set-up commands are `make run` and `make test`; both create .venv and install first.
# Re-running is quick: the install step is redone only when pyproject.toml or setup.py change.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install chromium run test check bench bench-loadgen bench-tui clean

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/rnbench-tui

test: install chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# The report's page test opens it in Debian's headless Chromium; without it that test skips.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: the report's browser test will skip"

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	mkdir -p build/mypy/rnbench
	for part in core tui inference results; do ln -sfn ../../../$$part build/mypy/rnbench/$$part; done
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: install
	$(PY) tests/benchmarks/bench_local.py

bench-loadgen: install
	$(PY) tests/benchmarks/bench_loadgen.py

# The explorer's first frame and its CPU while a test streams (needs tmux).
bench-tui: install
	$(PY) tests/benchmarks/bench_tui.py

clean:
	rm -rf build *.egg-info .pytest_cache .mypy_cache .ruff_cache
