# tgauth: `make test` builds everything and runs every suite (Rust, C, Python, Node,
# Telethon interop, packaging). It installs what it needs: a Python virtualenv in .venv, the
# Node package's npm dependencies, and cmake and pkg-config when missing (apt-get, as root).

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
# The one version (Cargo.toml's [package] version; packaging/version.py keeps the copies equal).
VERSION := $(shell awk -F'"' '/^\[/ { p = ($$0 == "[package]") } p && /^version *=/ { print $$2; exit }' Cargo.toml)

# make install: where the C library goes (DESTDIR stages for packagers).
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/tgauth

.PHONY: all build test lint test-rust test-c test-examples test-python test-node \
        test-interop test-fuzz header bench fuzz soak clean install uninstall version \
        test-version test-install test-packages

all: build

build:
	$(CARGO) build --release

test: lint test-version test-rust test-c test-examples test-install test-interop test-python \
      test-node test-packages test-fuzz
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
	$(CARGO) run --release --example login | tee target/login_rs.out
	grep -q "signed in: id=9996721234 first_name=Test" target/login_rs.out
	rm -f target/login_cli.session target/login_cli.session.lock
	$(CARGO) run --release --bin tgauth -- login --session target/login_cli.session < /dev/null | tee target/login_cli.out
	grep -q "Signed in as Test (id 9996721234, phone +9996721234)" target/login_cli.out
	$(CARGO) run --release --bin tgauth -- export-session --session target/login_cli.session | grep -q "^1"
	$(CARGO) run --release --bin tgauth -- export-session --session target/login_cli.session --format gramjs | grep -q "^1"
	$(CARGO) run --release --bin tgauth -- export-session --session target/login_cli.session --format pyrogram | grep -Eq "^[A-Za-z0-9_-]{300,}$$"
	rc=0; $(CARGO) run --release --bin tgauth -- export-session --format telethon || rc=$$?; test $$rc -eq 2
	rc=0; $(CARGO) run --release --bin tgauth -- export-session --session target/login_cli.session --format nope || rc=$$?; test $$rc -eq 2
	$(CARGO) run --release --bin tgauth -- qr-login < /dev/null | tee target/qr_login_cli.out
	grep -q "Signed in as Test (id 9996621234, phone +9996621234)" target/qr_login_cli.out

# The header, libtgauth.so.X.Y.Z (soname libtgauth.so.X) with its links, libtgauth.a, tgauth.pc
# and the CMake package (tgauth::tgauth). Builds first when cargo is on PATH; under sudo
# without cargo it installs what `make build` made.
install: $(if $(shell command -v $(CARGO)),build)
	PREFIX="$(PREFIX)" LIBDIR="$(LIBDIR)" INCLUDEDIR="$(INCLUDEDIR)" PKGCONFIGDIR="$(PKGCONFIGDIR)" \
	CMAKEDIR="$(CMAKEDIR)" DESTDIR="$(DESTDIR)" BUILD_DIR="$(LIB_DIR)" VERSION="$(VERSION)" \
	    bash packaging/install.sh

uninstall:
	rm -f "$(DESTDIR)$(INCLUDEDIR)/tgauth.h" "$(DESTDIR)$(LIBDIR)/libtgauth.so" \
	      "$(DESTDIR)$(LIBDIR)/libtgauth.so.$(firstword $(subst ., ,$(VERSION)))" \
	      "$(DESTDIR)$(LIBDIR)/libtgauth.so.$(VERSION)" "$(DESTDIR)$(LIBDIR)/libtgauth.a" \
	      "$(DESTDIR)$(PKGCONFIGDIR)/tgauth.pc" "$(DESTDIR)$(CMAKEDIR)/tgauthConfig.cmake" \
	      "$(DESTDIR)$(CMAKEDIR)/tgauthConfigVersion.cmake"
	-rmdir "$(DESTDIR)$(CMAKEDIR)" 2>/dev/null

# `make version` checks that the Python and Node packages carry Cargo.toml's version;
# `make version NEW=X.Y.Z` sets X.Y.Z everywhere (then rebuild: tg_version() reads it).
version:
	$(PYTHON) packaging/version.py $(if $(NEW),--set $(NEW),--check)

test-version:
	$(PYTHON) packaging/version.py --check

# make install into a temporary prefix; examples/c built with pkg-config and with CMake.
test-install: build
	MAKE="$(MAKE)" CC="$(CC)" bash packaging/test-install.sh

# The artifacts users install without a toolchain: the wheel (fresh venv, no cargo on PATH,
# auditwheel checks its manylinux tag) and the npm tarball (prebuilt addon, no compiler on
# PATH). In `make test` it runs after test-python, whose build of the wheel's library (cargo rustc
# with setuptools-rust's flags, in target/) the wheel build then finds up to date.
test-packages: build $(VENV)/bin/python
	VENV=$(VENV) bash packaging/test-wheel.sh
	TGAUTH_LIB_DIR=$(LIB_DIR) bash packaging/test-npm.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

test-python: build $(VENV)/bin/python
	VENV=$(VENV) bindings/python/run-tests.sh

test-node: build
	cd bindings/node && TGAUTH_LIB_DIR=$(LIB_DIR) npm install --no-audit --no-fund && npm test

test-interop: build $(VENV)/bin/python
	$(CARGO) build --release --example sessions
	VENV=$(VENV) TGAUTH_TESTDC=$(LIB_DIR)/tgauth-testdc \
		TGAUTH_SESSIONS=$(LIB_DIR)/examples/sessions tests/interop/run.sh

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
# ASan/UBSan/LeakSanitizer (`make test` runs 3,000, and 600 per fault alone).
soak: build
	SOAK_REQUESTS=10000 LIB=$(LIB_DIR)/libtgauth.a tests/c/run.sh test_soak

clean:
	$(CARGO) clean
	rm -rf $(VENV) bindings/node/node_modules bindings/node/build bindings/node/prebuilds
