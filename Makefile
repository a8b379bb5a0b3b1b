# wasivirt -- the two commands that matter on a fresh machine:
#   make demo   set everything up if missing, then run the example end to end
#   make test   set everything up if missing, then run the whole test suite
# Needs Python >= 3.11 and Node.js >= 18 (with npm) on PATH; everything else is installed
# into .venv (Python packages) and node_modules (jco, pinned in package.json).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WASIVIRT := $(VENV)/bin/wasivirt
PYTEST_ARGS ?= -q

.PHONY: setup test lint demo clean test-registry

setup: $(VENV)/.installed node_modules/.installed test-registry

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
		"error: wasivirt needs Python >= 3.11; run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# `wasivirt setup` runs `npm install` here (not `npm ci`: this registry mirror's lock
# files lack optional platform packages), then checks every tool and fails if one is off.
node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	$(WASIVIRT) setup
	touch $@

# The OCI publish/pull tests run a real registry: Debian's docker-registry (distribution
# 2.8). Installed when missing and we can (root with apt-get; the package's service is not
# started where policy-rc.d forbids it, as in containers); else a note -- the registry tests
# then fail in CI and are skipped elsewhere, saying why.
test-registry:
	@if command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing docker-registry (Debian) for the OCI registry tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq docker-registry >/dev/null 2>&1 \
		|| { apt-get update -qq && apt-get install -y -qq docker-registry >/dev/null; }; \
	else \
		echo "note: docker-registry is missing and this is not root with apt-get; the OCI" \
		     "registry tests need it (apt-get install docker-registry)"; \
	fi

# Types (mypy --strict) and style (ruff); configured in pyproject.toml. Part of `make test`.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy

test: setup lint
	$(PY) -m pytest $(PYTEST_ARGS)

demo: setup
	examples/hello/demo.sh

clean:
	rm -rf $(VENV) node_modules tests/.cache build
