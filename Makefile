# The two commands of the README: `make demo` and `make test`. Both build the
# virtualenv on first use, so a fresh clone needs nothing installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/fwbot demo $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check bot commands localfw doubles tests bench
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bot commands localfw doubles tests bench
	$(BIN)/mypy

# About 6 minutes on 2 cores: bench.launch runs the tutorial's loop in full (~3 min),
# bench.ack ~15 s, bench.startup ~20 s, bench.faults ~2 min (faults, an outage and
# kill -9 during a 1,329-session launch). Figures are printed, never asserted.
bench: $(STAMP)
	$(BIN)/python -m bench.launch
	$(BIN)/python -m bench.ack
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.faults

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
