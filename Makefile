# Ocean Sync. The two set-up commands are `make demo` and `make test`; the rest are helpers.
SHELL := /bin/bash

# sqlx::test creates one database per test through this server connection.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export REDIS_URL ?= redis://127.0.0.1:6379/

.PHONY: demo test services tools migrate build lint fmt ci bench validate

## Run the whole fleet locally against the simulator until Ctrl-C.
demo: services
	@scripts/demo.sh

## Run the whole test suite against real Postgres and Redis (and a real Prometheus scraping the binaries).
test: services tools
	DATABASE_URL=$(TEST_DATABASE_URL) cargo test --workspace --locked

## Start (or install) Postgres and Redis when they are not running.
services:
	@scripts/services.sh

## Install what the tests run besides Postgres and Redis when missing: promtool, prometheus, the Postgres and
## Redis exporters, Chromium and ChromeDriver (Debian packages, as root).
tools:
	@scripts/tools.sh

## Apply migrations to DATABASE_URL (default: the local ocean_sync database); safe to run twice.
migrate: services
	cargo run --quiet --locked -p ocean-api -- migrate

build:
	cargo build --workspace --locked

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

## Benchmarks on release builds: marketplace limits, writes, scheduler emission, crash to resume, queue vs BullMQ.
## Prints a table and writes target/bench/results.json; BENCH_ARGS=--quick for a smoke run (see --help).
bench: services
	@# npm ci refuses a lock that lacks optional platform packages a registry mirror does not serve; then install.
	@npm ci --prefix bench/bullmq --no-audit --no-fund --loglevel=silent 2>/dev/null \
		|| npm install --prefix bench/bullmq --no-audit --no-fund --loglevel=error
	cargo build --release --locked -p ocean-worker -p ocean-bench
	target/release/ocean-bench $(BENCH_ARGS)

## What CI runs.
ci: lint test

## Validate deploy/ offline (kustomize overlays, Kubernetes and CRD schemas, promtool checks and rule tests,
## the Grafana dashboard against @grafana/schema, docker files); installs its tools on first run.
validate:
	@scripts/validate.sh
