# CBN Perspective production toolkit. `make demo` and `make test` are the whole set-up.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SYSTEM_PACKAGES := ffmpeg espeak-ng fonts-noto-cjk fonts-noto-core flite chromium openssh-server
STAMP := $(VENV)/.installed-stamp

.PHONY: setup system-packages venv demo test test-slow fuzz lint check bench clean

setup: system-packages $(STAMP)

# Installs missing Debian packages when run as root; otherwise prints the exact command.
system-packages:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing   (then make setup again)"; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PIP) install -q --upgrade pip setuptools wheel
	@# the CPU build of torch first, so the [whisper] extra does not pull a multi-GB CUDA build
	@$(PIP) install -q "torch==2.13.0"
	@$(PIP) install -q -e ".[test,whisper,cluster]"
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/perspective demo

# fast by default; the slow end-to-end tests run in CI through `make test-slow`
test: setup
	$(PY) -m pytest -q -m "not slow"

test-slow: setup
	$(PY) -m pytest -q -m slow; rc=$$?; [ $$rc -eq 5 ] && exit 0 || exit $$rc

fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests -k "property or fuzz"

lint: setup
	$(VENV)/bin/ruff check production cli tests bench
	$(VENV)/bin/mypy production

check: lint test

# benchmarks (not tests): alignment vs aeneas, video vs plain ffmpeg, produce vs the encode floor,
# --jobs 1 vs a two-node Ray cluster on this machine
bench: setup
	$(PY) bench/align_bench.py
	$(PY) bench/video_bench.py
	$(PY) bench/produce_bench.py
	$(PY) bench/cluster_bench.py

clean:
	rm -rf $(VENV) episodes/*/build .pytest_cache
