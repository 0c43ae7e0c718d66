# heapwatch: `make run` and `make test` are the whole set-up on a fresh Debian machine.
SWIFT ?= swift
DEB_PACKAGES := libsystemd-dev zlib1g-dev libssl-dev libsqlite3-dev pkg-config nodejs
# Only the tests need these: a local HTTP client, and promtool (in Debian's prometheus package).
DEB_TEST_PACKAGES := curl prometheus
PREFIX ?= /usr/local
# `make run` keeps its state here, so it needs no root and leaves the system alone.
RUN_DIR ?= $(CURDIR)/.run

.PHONY: deps test-deps install-packages build release test run check-config bench bench-detect bench-analyze bench-sampling bench-forecast clean

## Install what the build needs (Debian packages) when it is missing; `test-deps` adds the tests' tools.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PACKAGES)"
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install Swift 6 (https://swift.org/install)"; exit 1; }

test-deps: deps
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_TEST_PACKAGES)"

install-packages:
	@missing=""; for p in $(PACKAGES); do \
	  if [ "$$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi; \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing — run: sudo apt-get install -y$$missing"; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## Build and run the daemon in the foreground on a default config that watches every Node process here.
run: build
	@mkdir -p $(RUN_DIR)
	@echo "heapwatchd: state in $(RUN_DIR); in another shell: $$($(SWIFT) build --show-bin-path)/heapwatchctl --socket $(RUN_DIR)/control.sock status"
	$$($(SWIFT) build --show-bin-path)/heapwatchd --config config/heapwatch.toml --state-dir $(RUN_DIR)/state --socket $(RUN_DIR)/control.sock

check-config: build
	$$($(SWIFT) build --show-bin-path)/heapwatchd --check-config --config config/heapwatch.toml

## Build and run every test.
test: test-deps
	$(SWIFT) build --build-tests
	HEAPWATCH_BIN_DIR=$$($(SWIFT) build --show-bin-path) $(SWIFT) test --skip-build
	$(MAKE) --no-print-directory test-systemd

## Benchmarks (not CI): detection against naive baselines, analysis against a JSON.parse baseline,
## the daemon's own cost watching 100 Node processes, and the crash forecast on real heap-limit crashes.
bench: bench-detect bench-analyze bench-sampling bench-forecast

bench-detect: deps
	$(SWIFT) run -c release heapwatch-bench-detect

bench-analyze: deps
	scripts/bench-analyze.sh

bench-sampling: release
	scripts/bench-sampling.sh

bench-forecast: build
	scripts/bench-forecast.sh

clean:
	rm -rf .build .run

include mk/systemd.mk
include mk/install.mk
