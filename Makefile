# heapwatch: `make run` and `make test` are the whole set-up on a fresh Debian machine.
SWIFT ?= swift
DEB_PACKAGES := libsystemd-dev zlib1g-dev libssl-dev pkg-config
BIN_DIR = $(shell $(SWIFT) build --show-bin-path)

.PHONY: deps build test run

## Install what the build needs (Debian packages) when it is missing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (run: sudo apt-get install -y$$missing)"; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	HEAPWATCH_BIN_DIR=$(BIN_DIR) $(SWIFT) test --skip-build
