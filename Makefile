# fourx front door. Thin on purpose: the logic lives in Python (deploy/local, package fourx-local).
SHELL := /bin/bash
UV_VERSION := 0.13.8
# uv from PATH, else the one `setup` installs with pip (usable as `python3 -m uv`).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
DEV := $(UV) run --frozen fourx-dev

.PHONY: help setup up down status demo run test test-unit bench bench-scale faults asyncapi error-codes deploy-check contract-check contract-update k8s-render images

# Districts for `make bench-scale` (N=100: the quick variant).
N ?= 2800
# Processes of each service for `make up` (REPLICAS=3: three of each, one consumer group per service).
REPLICAS ?= 1

help:
	@echo "make run        set up, start the stack, run the demo month, print the weekly bulletin, stop"
	@echo "make test       set up and run every test (unit, integration, end-to-end)"
	@echo "make setup      install uv, the Python workspace, the Kafka broker jars; build the web console; Chromium"
	@echo "make up|down|status|demo   drive the local stack by hand (make up REPLICAS=3: three of each service)"
	@echo "make bench      throughput figures against a raw-client baseline"
	@echo "make bench-scale [N=2800]   fourx at the scale of N districts (N=100: quick); ends with one 'scale:' line"
	@echo "make faults     the fault suite: kill, stop, poison, rebalance; lost/doubled/stalled per case"
	@echo "make asyncapi   regenerate docs/asyncapi.json (the event catalog as AsyncAPI 3.0) from the code"
	@echo "make error-codes   regenerate docs/error-codes.json (API error codes and their Chinese messages) from the code"
	@echo "make deploy-check   offline: render + validate the Kubernetes manifests, check compose, lint Dockerfiles, contract check"
	@echo "make contract-check | contract-update   event schemas vs the committed ones | rewrite them after a compatible change"
	@echo "make k8s-render [OVERLAY=production]   plain manifests into deploy/k8s/out/OVERLAY"
	@echo "make images     docker build each service's image, tagged with its own version (needs a Docker engine)"

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
	  || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --frozen --all-packages
	$(DEV) fetch-kafka
	$(DEV) setup-web

up:
	$(DEV) up --replicas $(REPLICAS)

down:
	$(DEV) down

status:
	$(DEV) status

demo:
	$(DEV) demo

run: setup
	$(DEV) run

test: setup
	$(UV) run --frozen pytest -q -p no:cacheprovider

test-unit:
	$(UV) run --frozen pytest -q tests/unit

bench: setup
	$(UV) run --frozen python -m bench

bench-scale: setup
	$(UV) run --frozen python -m bench.scale --districts $(N)

faults: setup
	$(UV) run --frozen python -m faults

asyncapi:
	$(DEV) asyncapi

error-codes:
	$(DEV) error-codes

# No Kafka jars needed: only the workspace (a clean clone works).
deploy-check:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
	  || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --all-packages --quiet
	$(UV) run --frozen python -m deploy.checks

contract-check:
	$(UV) run --frozen python -m deploy.checks.contract

contract-update:
	$(UV) run --frozen python -m deploy.checks.contract --update

OVERLAY ?= production
k8s-render:
	$(UV) run --frozen python deploy/k8s/render.py --overlay $(OVERLAY)

images:
	@for s in meetings issues notify portal; do v=$$(python3 deploy/versions.py $$s); \
	  echo "docker build ghcr.io/fourx/$$s:$$v"; \
	  docker build -f services/$$s/Dockerfile --build-arg VERSION=$$v -t ghcr.io/fourx/$$s:$$v . || exit 1; done
