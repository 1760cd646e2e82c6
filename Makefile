# The two set-up commands: `make run` and `make test`. Each installs what it needs first.
UV := $(shell ./scripts/ensure-uv)
PORT ?= 8501
# Served on this machine only; `make run HOST=0.0.0.0` serves other machines too.
HOST ?= 127.0.0.1
# Test processes (pytest-xdist) for everything but the browser journeys: one per core of a 2-core machine.
WORKERS ?= 2

.PHONY: install run test test-fast bench

install:
	$(UV) sync --locked

run: install
	$(UV) run python run.py --server.address $(HOST) --server.port $(PORT)

test: install
	./scripts/ensure-chromium
	./scripts/ensure-postgresql
	$(UV) run pytest -n $(WORKERS) --dist loadfile -m "not browser"
	$(UV) run pytest -m browser

# While developing: everything but the browser journeys.
test-fast: install
	$(UV) run pytest -n $(WORKERS) --dist loadfile -m "not browser"

bench: install
	$(UV) run python -m bench
