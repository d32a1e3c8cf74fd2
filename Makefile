# tgauth: `make test` builds everything and runs every suite (Rust, C, Python, Node,
# Telethon interop). It installs what it needs: a Python virtualenv in .venv and the
# Node package's npm dependencies.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
CC ?= cc
# One profile for everything keeps CI to a single build of the dependencies.
PROFILE := release
LIB_DIR := $(CURDIR)/target/$(PROFILE)
CFLAGS_STRICT := -std=c11 -Wall -Wextra -Werror -g -Iinclude
CLIBS := -lpthread -ldl -lm

.PHONY: all build test lint test-rust test-c test-examples test-python test-node \
        test-interop test-fuzz header bench fuzz soak clean

all: build

build:
	$(CARGO) build --release

test: lint test-rust test-c test-examples test-interop test-python test-node test-fuzz
	@echo "make test: every suite passed"

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --all-targets -- -D warnings

# Includes the check that include/tgauth.h is what cbindgen generates now.
test-rust:
	$(CARGO) test --release

# Regenerates include/tgauth.h from src/ffi (commit the result).
header:
	$(CARGO) build --release --lib
	cp "$$(ls -t target/release/build/tgauth-*/out/tgauth.h | head -n 1)" include/tgauth.h

test-c: build
	LIB=$(LIB_DIR)/libtgauth.a tests/c/run.sh

test-examples: build
	$(CC) $(CFLAGS_STRICT) examples/c/send_code.c $(LIB_DIR)/libtgauth.a $(CLIBS) -o target/send_code_c
	./target/send_code_c | tee target/send_code_c.out
	grep -q "phone_code_hash=" target/send_code_c.out
	$(CC) $(CFLAGS_STRICT) examples/c/login.c $(LIB_DIR)/libtgauth.a $(CLIBS) -o target/login_c
	./target/login_c | tee target/login_c.out
	grep -q "^signed in as Test" target/login_c.out
	$(CARGO) run --release --example send_code | tee target/send_code_rs.out
	grep -q "phone_code_hash=" target/send_code_rs.out
	$(CARGO) run --release --bin tgauth -- send-code | tee target/send_code_cli.out
	grep -q "Login code sent" target/send_code_cli.out

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

test-python: build $(VENV)/bin/python
	VENV=$(VENV) bindings/python/run-tests.sh

test-node: build
	cd bindings/node && TGAUTH_LIB_DIR=$(LIB_DIR) npm install --no-audit --no-fund && npm test

test-interop: build $(VENV)/bin/python
	VENV=$(VENV) TGAUTH_TESTDC=$(LIB_DIR)/tgauth-testdc tests/interop/run.sh

# Fuzzing (cargo-fuzz, nightly toolchain): a short run of every target in `make test`,
# a minute each in `make fuzz`. Without a nightly toolchain fuzz/run.sh says so and skips.
test-fuzz:
	bash fuzz/run.sh 10

fuzz:
	bash fuzz/run.sh 60

# Benchmarks (not part of `make test`): release builds, tgauth-testdc in its own process,
# Telethon (+ cryptg when a wheel exists) in $(VENV); writes BENCHMARKS.md. See tools/bench/run.sh.
bench: $(VENV)/bin/python
	VENV=$(VENV) PYTHON=$(PYTHON) CARGO=$(CARGO) CC=$(CC) bash tools/bench/run.sh

# The full soak: 10,000 sendCodes through the C ABI with every fault mixed in, under
# ASan/UBSan/LeakSanitizer (`make test` runs 1,000).
soak: build
	SOAK_REQUESTS=10000 LIB=$(LIB_DIR)/libtgauth.a tests/c/run.sh test_soak

clean:
	$(CARGO) clean
	rm -rf $(VENV) bindings/node/node_modules bindings/node/build
