# Every routine task. The README shows the two that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROTOS := $(shell find protos -name '*.proto')

.PHONY: help venv proto check-proto lint lock gates test test-fast run demo monitor bench profile clean

help:
	@echo "make run    start PostgreSQL (embedded unless *_DATABASE_URL is set) and both services"
	@echo "make test   lint, proto drift check and every test"
	@echo "make demo   load the demo data into the running suite"
	@echo "make bench  run the benchmarks"

# The virtualenv is (re)built whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

proto: $(STAMP)
	$(PY) -m grpc_tools.protoc -I. --python_out=. --pyi_out=. --grpc_python_out=. $(PROTOS)

# Regenerates into a scratch folder and fails when the committed code differs from the protos.
check-proto: $(STAMP)
	@tmp=$$(mktemp -d) && \
	$(PY) -m grpc_tools.protoc -I. --python_out=$$tmp --pyi_out=$$tmp --grpc_python_out=$$tmp $(PROTOS) && \
	for f in $$(cd $$tmp && find . -name '*_pb2*.py*'); do \
	  diff -q $$tmp/$$f $$f >/dev/null || { echo "generated $$f drifted from its proto: run 'make proto'"; exit 1; }; \
	done && rm -rf $$tmp && echo "generated code matches the protos"
	cd protos && ../$(VENV)/bin/buf lint

LINTED := services tests bench deploy/tools deploy/k8s/monitoring/generate.py

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy $(LINTED)
	$(VENV)/bin/lint-imports

# After changing a runtime pin in pyproject.toml: regenerate the image's constraints file.
lock: $(STAMP)
	$(PY) deploy/tools/lock.py

# Optional: pre-build .venv/gates (checkov & co.; the deploy tests build it on demand).
gates: $(STAMP)
	$(PY) deploy/tools/gates_venv.py

test: lint check-proto
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -x -q -m 'not slow' $(PYTEST_ARGS)

run: $(STAMP)
	$(PY) -m services.runner

demo: $(STAMP)
	$(PY) -m services.demo

# A local Prometheus (Debian package `prometheus`) scraping `make run`, with the suite's alert rules.
monitor:
	prometheus --config.file=deploy/local/prometheus.yml --storage.tsdb.path=.data/prometheus \
	  --web.listen-address=127.0.0.1:9090

bench: $(STAMP)
	$(PY) -m bench

# Where each service's CPU goes, per layer (py-spy, and perf when installed): PROFILE_DIR=… to choose.
profile: $(STAMP)
	$(PY) -m bench.profile $(if $(PROFILE_DIR),--out $(PROFILE_DIR))

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
