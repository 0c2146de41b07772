# The two commands of the README: `make demo` and `make test`. Both build the
# virtualenv on first use, so a fresh clone needs nothing installed by hand. It installs
# the versions requirements-dev.lock pins (CI too: .ci/run is `make test`); the image
# installs requirements.lock, the runtime part of the same pins (`make lock` redoes both).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The suite on every core (pytest-xdist), a test file per worker: each test has its own
# temp dir, free ports and PostgreSQL schema. `make test PYTEST_WORKERS=` runs it in one.
PYTEST_WORKERS ?= -n auto --dist loadfile

.PHONY: demo test lint bench lock clean

$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements-dev.lock -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/fwbot demo $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check bot commands localfw doubles tests bench deploy
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bot commands localfw doubles tests bench deploy
	$(BIN)/mypy

# About 6 minutes on 2 cores: bench.launch runs the tutorial's loop in full (~3 min),
# bench.ack ~15 s, bench.startup ~20 s, bench.faults ~2 min (faults, an outage and
# kill -9 during a 1,329-session launch). Figures are printed, never asserted.
bench: $(STAMP)
	$(BIN)/python -m bench.launch
	$(BIN)/python -m bench.ack
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.faults
	$(BIN)/python -m bench.click

# Re-pin after changing pyproject.toml's dependencies: pip-tools in a throwaway venv.
# Pins already in the lock files are kept unless pyproject.toml rules them out; to move
# a package on, delete its lines from both files first. The dev lock is resolved within
# the runtime lock, so the two never disagree.
LOCK_VENV := $(VENV)-lock
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip-tools
	$(LOCK_VENV)/bin/pip-compile --quiet --strip-extras --generate-hashes --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock pyproject.toml
	$(LOCK_VENV)/bin/pip-compile --quiet --strip-extras --extra dev --no-emit-index-url \
		--no-emit-find-links -c requirements.lock --output-file requirements-dev.lock pyproject.toml
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
