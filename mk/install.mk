# `make install` / `make uninstall`: binaries, systemd unit, sysusers.d/tmpfiles.d files, the
# default config, shell completions and man pages. Included from the Makefile.
#
#   make install                      release build, installed under PREFIX (/usr/local)
#   make install DESTDIR=/tmp/stage   staged, for packaging
#   make install-files INSTALL_BIN_DIR=.build/debug   install already-built binaries (no build)
#
# systemd reads units, sysusers.d and tmpfiles.d from both /usr/lib and /usr/local/lib, so the
# default PREFIX works as is; for another PREFIX set UNITDIR/SYSUSERSDIR/TMPFILESDIR to one of those.
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
# The binaries to install; `make install` builds them in release mode, linking the Swift runtime
# statically so the installed daemon does not depend on a Swift toolchain being present.
INSTALL_BIN_DIR ?= $(CURDIR)/.build/release
SWIFT_RELEASE_FLAGS ?= -c release --static-swift-stdlib
INSTALL_PROGRAMS := heapwatchd heapwatchctl

.PHONY: install install-files uninstall

install: deps
	$(SWIFT) build $(SWIFT_RELEASE_FLAGS)
	@$(MAKE) --no-print-directory install-files INSTALL_BIN_DIR="$$($(SWIFT) build $(SWIFT_RELEASE_FLAGS) --show-bin-path)"

install-files:
	@for p in $(INSTALL_PROGRAMS); do test -x "$(INSTALL_BIN_DIR)/$$p" || { echo "no $(INSTALL_BIN_DIR)/$$p: build first (make install builds it)"; exit 1; }; done
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(SYSUSERSDIR)" "$(DESTDIR)$(TMPFILESDIR)" \
	  "$(DESTDIR)$(SYSCONFDIR)/heapwatch" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(MANDIR)/man8" \
	  "$(DESTDIR)$(DATADIR)/bash-completion/completions" "$(DESTDIR)$(DATADIR)/zsh/site-functions" \
	  "$(DESTDIR)$(DATADIR)/fish/vendor_completions.d"
	install -m 0755 $(addprefix "$(INSTALL_BIN_DIR)"/,$(INSTALL_PROGRAMS)) "$(DESTDIR)$(BINDIR)/"
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/etc/heapwatch/|$(SYSCONFDIR)/heapwatch/|g' \
	  systemd/heapwatch.service > "$(DESTDIR)$(UNITDIR)/heapwatch.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/heapwatch.service"
	install -m 0644 systemd/heapwatch.sysusers.conf "$(DESTDIR)$(SYSUSERSDIR)/heapwatch.conf"
	install -m 0644 systemd/heapwatch.tmpfiles.conf "$(DESTDIR)$(TMPFILESDIR)/heapwatch.conf"
	@# The config is the admin's: installed once, never overwritten.
	@# (The unit names the file with --config, so one must exist: an empty one means the defaults.)
	@if [ -e "$(DESTDIR)$(SYSCONFDIR)/heapwatch/heapwatch.toml" ]; then echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/heapwatch/heapwatch.toml"; \
	elif [ -f config/heapwatch.toml ]; then install -m 0644 config/heapwatch.toml "$(DESTDIR)$(SYSCONFDIR)/heapwatch/heapwatch.toml"; \
	else printf '# heapwatch: empty means the defaults (watch every Node process). Keys: README "Configuration".\n' \
	  > "$(DESTDIR)$(SYSCONFDIR)/heapwatch/heapwatch.toml"; chmod 0644 "$(DESTDIR)$(SYSCONFDIR)/heapwatch/heapwatch.toml"; fi
	@for p in $(INSTALL_PROGRAMS); do \
	  "$(INSTALL_BIN_DIR)/$$p" --generate-completion-script bash > "$(DESTDIR)$(DATADIR)/bash-completion/completions/$$p" && \
	  "$(INSTALL_BIN_DIR)/$$p" --generate-completion-script zsh > "$(DESTDIR)$(DATADIR)/zsh/site-functions/_$$p" && \
	  "$(INSTALL_BIN_DIR)/$$p" --generate-completion-script fish > "$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$$p.fish" || exit 1; \
	done
	scripts/man-from-help.sh "$(INSTALL_BIN_DIR)/heapwatchd" 8 > "$(DESTDIR)$(MANDIR)/man8/heapwatchd.8"
	scripts/man-from-help.sh "$(INSTALL_BIN_DIR)/heapwatchctl" 1 > "$(DESTDIR)$(MANDIR)/man1/heapwatchctl.1"
	@echo "installed under $(DESTDIR)$(PREFIX); to start: systemd-sysusers heapwatch.conf && systemd-tmpfiles --create heapwatch.conf && systemctl daemon-reload && systemctl enable --now heapwatch"

## Removes what install put in place, except the config and the snapshot store (/var/lib/heapwatch).
uninstall:
	rm -f $(addprefix "$(DESTDIR)$(BINDIR)"/,$(INSTALL_PROGRAMS)) \
	  "$(DESTDIR)$(UNITDIR)/heapwatch.service" "$(DESTDIR)$(SYSUSERSDIR)/heapwatch.conf" "$(DESTDIR)$(TMPFILESDIR)/heapwatch.conf" \
	  "$(DESTDIR)$(MANDIR)/man8/heapwatchd.8" "$(DESTDIR)$(MANDIR)/man1/heapwatchctl.1"
	for p in $(INSTALL_PROGRAMS); do rm -f "$(DESTDIR)$(DATADIR)/bash-completion/completions/$$p" \
	  "$(DESTDIR)$(DATADIR)/zsh/site-functions/_$$p" "$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$$p.fish"; done
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/heapwatch and /var/lib/heapwatch (snapshots); remove them by hand if you want them gone"
