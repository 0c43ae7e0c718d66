#!/bin/bash
# Build (or reuse) the cached Debian root that scripts/systemd-test.sh boots with systemd-nspawn.
#
#   scripts/systemd-root.sh [CACHE_DIR]     default: .build-systemd-root
#
# The root lives in CACHE_DIR/rootfs; CACHE_DIR/stamp records the suite, mirror and package list it
# was built from, and the root is rebuilt whenever that changes. Prints the rootfs path on stdout.
# Exit status 3 means "cannot build a root here" (no debootstrap, no mirror): the caller skips.
set -euo pipefail

CACHE_DIR=${1:-${HEAPWATCH_SYSTEMD_ROOT:-.build-systemd-root}}
SUITE=${DEBIAN_SUITE:-bookworm}
# What the booted root needs: systemd as pid 1, dbus for systemctl, node for the leaky app,
# passwd/util-linux for users and setpriv, procps for the checks.
PACKAGES=systemd,systemd-sysv,dbus,nodejs,procps,passwd,util-linux

mirror_from_apt_sources() {
    local uri
    uri=$(grep -rhsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -E 'debian(/| |$)' | grep -v -- '-security' | head -n1 \
        | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*$//')
    echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${DEBIAN_MIRROR:-$(mirror_from_apt_sources)}
WANT="suite=$SUITE mirror=$MIRROR packages=$PACKAGES"

mkdir -p "$CACHE_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
ROOT=$CACHE_DIR/rootfs

if [[ -d $ROOT && -f $CACHE_DIR/stamp && $(cat "$CACHE_DIR/stamp") == "$WANT" ]]; then
    echo "$ROOT"
    exit 0
fi

command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 3; }

echo "building the Debian root ($SUITE: $PACKAGES) in $ROOT from $MIRROR; this takes a minute or two" >&2
rm -rf "$ROOT" "$ROOT.new" "$CACHE_DIR/stamp"
started=$(date +%s)
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT.new" "$MIRROR" \
        >"$CACHE_DIR/debootstrap.log" 2>&1; then
    echo "debootstrap failed (see $CACHE_DIR/debootstrap.log):" >&2
    tail -n 5 "$CACHE_DIR/debootstrap.log" >&2
    rm -rf "$ROOT.new"
    exit 3
fi
# Smaller and quieter boots: no apt caches, no getty on the (passive) console.
rm -rf "$ROOT.new"/var/cache/apt/archives/*.deb "$ROOT.new"/var/lib/apt/lists/*
ln -sf /dev/null "$ROOT.new/etc/systemd/system/console-getty.service"
ln -sf /dev/null "$ROOT.new/etc/systemd/system/getty@.service"
echo heapwatch-test > "$ROOT.new/etc/hostname"
mv "$ROOT.new" "$ROOT"
echo "$WANT" > "$CACHE_DIR/stamp"
echo "root built in $(( $(date +%s) - started ))s ($(du -sh "$ROOT" | cut -f1))" >&2
echo "$ROOT"
