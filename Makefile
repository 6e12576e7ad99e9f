# Each target works on a fresh clone by itself: it makes .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,postgresql,mysql]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m ormkit $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check ormkit tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy ormkit

pytest: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# ormkit beside raw sqlite3, SQLAlchemy ORM/Core and peewee (see README, "Benchmarks")
bench: $(STAMP)
	$(PY) -m bench $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
