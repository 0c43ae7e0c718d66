# `make test-systemd`: heapwatch under a real, booted systemd (scripts/systemd-test.sh).
# Needs root, debootstrap and systemd-nspawn (`make deps` installs them when run as root); the
# Debian root is built once into .build-systemd-root/ and reused. Prints "SKIPPED: reason" and
# succeeds when this machine cannot run a container at all (not root, no nspawn, no Debian root);
# a container that fails to boot twice fails the run.
SYSTEMD_TEST_PACKAGES := debootstrap systemd-container

.PHONY: test-systemd deps-systemd systemd-security clean-systemd

deps-systemd:
	@missing=""; for p in $(SYSTEMD_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (needed by test-systemd, which is skipped without root)"; fi; \
	fi

# `make test` installs them (a prerequisite of test-deps; the recipe stays in the Makefile).
test-deps: deps-systemd

test-systemd: test-deps
	$(SWIFT) build
	HEAPWATCH_BIN_DIR=$$($(SWIFT) build --show-bin-path) scripts/systemd-test.sh

## The unit's exposure score; fails above 2.5.
systemd-security:
	systemd-analyze security --offline=true --threshold=25 systemd/heapwatch.service

clean-systemd:
	rm -rf .build-systemd-root .build-systemd-run .build-systemd-nspawn.log
