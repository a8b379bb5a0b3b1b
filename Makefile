# wasivirt: `make demo` sets up and runs the main example, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup test demo clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund
	touch $@

test: setup
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) node_modules tests/.cache
