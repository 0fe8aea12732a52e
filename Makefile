# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each runs `setup` first, which installs only what is missing (safe to run again and again).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Chromium renders the widgets; the fonts decide their pixels, so they are part of the setup.
APT_PACKAGES := chromium chromium-headless-shell fonts-liberation fonts-noto-color-emoji fonts-dejavu-core nodejs npm
PY_STAMP := $(VENV)/.installed
NODE_STAMP := render/node_modules/.installed

.PHONY: setup system test test-fast demo demo-long data lint bench clean

setup: system $(PY_STAMP) $(NODE_STAMP)

system:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
	  if [ "$$pkg" = nodejs ] || [ "$$pkg" = npm ]; then command -v $$pkg >/dev/null 2>&1 && continue; fi; \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(PY_STAMP): pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,bench]'
	@touch $@

$(NODE_STAMP): render/package.json render/package-lock.json
	cd render && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test: setup
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow"

demo: setup
	$(PY) scripts/demo.py

demo-long: setup
	$(PY) scripts/demo.py --config-name demo_long

data: setup
	$(PY) scripts/build_data.py

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) scripts/bench/render_throughput.py
	$(PY) scripts/bench/reward_throughput.py
	$(PY) scripts/bench/data_pipeline.py 200
	$(PY) scripts/bench/train_step.py
	$(PY) scripts/bench/grpo_step.py

clean:
	rm -rf outputs .pytest_cache .ruff_cache
