# The two set-up commands: `make run` and `make test`. Each installs what it needs first.
UV := $(shell ./scripts/ensure-uv)
PORT ?= 8501
# Served on this machine only; `make run HOST=0.0.0.0` serves other machines too.
HOST ?= 127.0.0.1
# Test processes (pytest-xdist): `make test` drives the browser journeys in one of them, beside the other tests in
# the rest (which yield the cores to the journeys: tests/conftest.py); `make test-fast` uses one per core.
WORKERS ?= 3
FAST_WORKERS ?= 2
# Python writes .pyc files here even where the environment says not to (this machine sets PYTHONDONTWRITEBYTECODE=1):
# without them every Python process the page or the tests start (test workers, page servers, exported snippets run
# as programs) compiles every module it imports again. They go to .venv and __pycache__/, which git ignores.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: install run test test-fast bench

# --compile-bytecode: the packages' .pyc files are written once, by every core at install, instead of by each of the
# first processes that import them (a second sync skips what is compiled)
install:
	$(UV) sync --locked --compile-bytecode

run: install
	$(UV) run python run.py --server.address $(HOST) --server.port $(PORT)

test: install
	./scripts/ensure-chromium
	./scripts/ensure-postgresql
	$(UV) run pytest -n $(WORKERS) --dist loadfile

# While developing: everything but the browser journeys.
test-fast: install
	$(UV) run pytest -n $(FAST_WORKERS) --dist loadfile -m "not browser"

bench: install
	$(UV) run python -m bench
