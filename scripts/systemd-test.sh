#!/bin/bash
# heapwatch under a real, booted systemd: boots a cached minimal Debian root with systemd-nspawn,
# installs heapwatchd/heapwatchctl with `make install-files`, and checks with real commands that the
# hardened unit works: READY, STATUS, a capture of another user's leaking Node app with its journal
# fields, reload (good and broken config), each capability really needed, the watchdog, a clean stop.
#
#   scripts/systemd-test.sh            (root; `make test-systemd` builds first and calls this)
#
# HEAPWATCH_BIN_DIR   where heapwatchd and heapwatchctl are (default: swift build --show-bin-path)
# HEAPWATCH_SYSTEMD_ROOT  the cached root (default .build-systemd-root; see scripts/systemd-root.sh)
# KEEP=1              leave the container running on failure, for a look inside
#
# Prints "ok"/"FAIL" per check and a last line "N passed, N failed"; exit 1 if any failed.
# When this machine cannot run a container at all (not root, no systemd-nspawn, no Debian root) it
# prints "SKIPPED: reason" and exits 0; a container that fails to boot twice is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUN=$REPO/.build-systemd-run
MACHINE=heapwatch-test
PASSED=0
FAILED=0
NSPAWN_PID=
LEADER=
STARTED=$(date +%s)

say() { echo "# $*"; }
ok() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
# check DESCRIPTION COMMAND…: passes when the command succeeds.
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
# has_lines TEXT PATTERN...: every extended regular expression matches a line of TEXT (which is
# passed as data, never as shell code: journal messages hold quotes).
has_lines() { local text=$1 pattern; shift; for pattern; do grep -qE -- "$pattern" <<<"$text" || return 1; done; }
# expect DESCRIPTION WANT GOT
expect() { if [[ $3 == "$2" ]]; then ok "$1"; else not_ok "$1 (want '$2', got '$3')"; fi; }
# not_here WHAT REASON: a check this machine cannot make; counted and named in the summary.
NOT_HERE=()
not_here() { NOT_HERE+=("$1"); echo "SKIP - $1: $2"; }
# skip REASON: the container checks cannot run here; say so (never a silent pass).
skip() { echo "SKIPPED: $*"; echo "$PASSED passed, $FAILED failed (container checks skipped: $*)"; exit $(( FAILED > 0 )); }

# Runs a command inside the container, with a clean environment.
in_ct() {
    nsenter -t "$LEADER" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
prop() { in_ct systemctl show -p "$2" --value "$1"; }
# now_ms; seconds_since MS: elapsed seconds with two decimals (no bc on a minimal machine).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
seconds_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%02d' $(( d / 1000 )) $(( d % 1000 / 10 )); }
# wait_for SECONDS COMMAND…: polls every 0.5 s until the command succeeds.
wait_for() {
    local deadline=$(( $(date +%s) + $1 )); shift
    until "$@" 2>/dev/null; do (( $(date +%s) >= deadline )) && return 1; sleep 0.5; done
}

# power_off: asks the container's systemd to power off, kills nspawn after 10 s.
power_off() {
    [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null || return 0
    # SIGRTMIN+4 asks systemd for a clean poweroff, as `machinectl poweroff` does.
    [[ -n $LEADER ]] && kill -s RTMIN+4 "$LEADER" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$NSPAWN_PID" 2>/dev/null && { say "container did not power off in 10 s: killing it"; kill -KILL "$NSPAWN_PID"; }
    wait "$NSPAWN_PID" 2>/dev/null
    NSPAWN_PID= LEADER=
}
# systemd-nspawn --keep-unit without a host systemd leaves its cgroups behind.
cleanup_cgroups() {
    local dir
    for dir in /sys/fs/cgroup/*/payload /sys/fs/cgroup/*/supervisor; do
        [[ -d $dir ]] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    return 0
}
cleanup() {
    local status=$?
    if [[ ${KEEP:-0} == 1 && $FAILED -gt 0 && -n $LEADER ]]; then
        say "KEEP=1: container left running; enter with: nsenter -t $LEADER -a bash"
        return
    fi
    power_off
    mountpoint -q "$RUN/root" && umount "$RUN/root"
    rm -rf "$RUN"
    cleanup_cgroups
    return $status
}

# --- can this machine boot a container? -----------------------------------------------------
[[ $(id -u) == 0 ]] || skip "needs root (debootstrap, systemd-nspawn)"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed (apt-get install systemd-container)"
command -v nsenter >/dev/null || skip "nsenter is not installed (util-linux)"
BIN_DIR=${HEAPWATCH_BIN_DIR:-$(swift build --show-bin-path 2>/dev/null)}
[[ -x $BIN_DIR/heapwatchd && -x $BIN_DIR/heapwatchctl ]] || { echo "FAIL - no heapwatchd/heapwatchctl in '$BIN_DIR': run swift build"; echo "0 passed, 1 failed"; exit 1; }

# --- static checks of the unit (no container needed) ------------------------------------------
SCORE=$(systemd-analyze security --offline=true systemd/heapwatch.service 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
security_ok() { systemd-analyze security --offline=true --threshold=25 systemd/heapwatch.service >/dev/null 2>&1; }
check "systemd-analyze security --offline: exposure $SCORE <= 2.5 (--threshold=25)" security_ok

# --- the root: cached Debian, plus a per-run overlay --------------------------------------------
ROOTFS=$(scripts/systemd-root.sh); rc=$?
(( rc == 3 )) && skip "cannot build a Debian root here (debootstrap or mirror unavailable)"
(( rc != 0 )) && { echo "FAIL - scripts/systemd-root.sh failed"; echo "0 passed, 1 failed"; exit 1; }

trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup 2>/dev/null   # a previous run that was killed
mkdir -p "$RUN/upper" "$RUN/work" "$RUN/root"
if ! mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$RUN/upper,workdir=$RUN/work" "$RUN/root" 2>/dev/null; then
    say "overlayfs unavailable: copying the root"
    cp -a "$ROOTFS/." "$RUN/root/"
fi
ROOT=$RUN/root

# heapwatch, installed as a user would (with the build's binaries), and the Swift runtime they link.
make -s --no-print-directory install-files DESTDIR="$ROOT" PREFIX=/usr/local INSTALL_BIN_DIR="$BIN_DIR" >"$RUN/install.log" 2>&1 \
    || { cat "$RUN/install.log"; echo "FAIL - make install-files"; echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1; }
for lib in $(ldd "$BIN_DIR/heapwatchd" "$BIN_DIR/heapwatchctl" | awk '$3 ~ /^\// {print $3}' | sort -u); do
    [[ -e $ROOT$lib ]] || cp --parents -L "$lib" "$ROOT"
done

# The test's own config: sample every 250 ms, call a growth over 9 s a leak (the window must hold
# at least 36 samples).
write_config() {  # INTERVAL GROWTH_MAX [BROKEN]
    cat >"$ROOT/etc/heapwatch/heapwatch.toml" <<EOF
[daemon]
interval = "$1"

[metrics]
listen = "127.0.0.1:9464"

[[target]]
name = "leaky"
command = 'leaky-app\.js'
capture = "signal"
growth_max = "$2"
window = "9s"
cooldown = "1h"

[[target]]
name = "leaky-http"
command = 'leaky-http\.js'
capture = "http://127.0.0.1:3111/heap-snapshot"
growth_max = "100GiB/h"

[[target]]
name = "leaky-inspect"
command = 'leaky-inspect\.js'
capture = "inspector"
growth_max = "100GiB/h"

# A hook (exec sink) that records the capabilities it runs with, in the runtime directory.
[[sink]]
name = "caps-probe"
type = "exec"
command = ["/bin/sh", "-c", "grep -E '^Cap(Eff|Prm|Amb):' /proc/self/status > /run/heapwatch/hook-\$HEAPWATCH_EVENT"]
EOF
    [[ ${3:-} == broken ]] && printf '[daemon\ninterval = \n' >>"$ROOT/etc/heapwatch/heapwatch.toml"
    chmod 0644 "$ROOT/etc/heapwatch/heapwatch.toml"
}
mkdir -p "$ROOT/etc/heapwatch"
write_config 250ms 1MiB/h

# The leaking app: another user, a private home (0700), its snapshots written into its cwd.
mkdir -p "$ROOT/usr/local/share/heapwatch-test" "$ROOT/etc/sysusers.d" "$ROOT/etc/tmpfiles.d"
echo 'u leaky - "heapwatch test app" /home/leaky' >"$ROOT/etc/sysusers.d/leaky.conf"
echo 'd /home/leaky 0700 leaky leaky -' >"$ROOT/etc/tmpfiles.d/leaky.conf"
# app_unit UNIT SCRIPT PORT DESCRIPTION [NODE_FLAG]: examples/leaky-app.js copied as SCRIPT (the
# targets match it by that name), run by UNIT as user leaky in its home.
app_unit() {
    cp examples/leaky-app.js "$ROOT/usr/local/share/heapwatch-test/$2"
    cat >"$ROOT/etc/systemd/system/$1.service" <<EOF
[Unit]
Description=heapwatch test: $4
[Service]
User=leaky
WorkingDirectory=/home/leaky
Environment=PORT=$3 REQUESTS_PER_SEC=100
ExecStart=/usr/bin/node ${5:+$5 }/usr/local/share/heapwatch-test/$2
EOF
}
app_unit leaky leaky-app.js 0 "a leaking Node app run as another user" --heapsnapshot-signal=SIGUSR2
# The same app under another name, captured through its own HTTP endpoint (an AF_INET connection).
app_unit leaky-http leaky-http.js 3111 "a leaking Node app with a /heap-snapshot endpoint"
# ... and under a third, started without any flag, captured through the inspector (SIGUSR1).
app_unit leaky-inspect leaky-inspect.js 3112 "a leaking Node app started without any heapwatch flag"

# --- boot -------------------------------------------------------------------------------------
NSPAWN_LOG=$(dirname "$ROOTFS")/nspawn.log
find_leader() {
    local child
    for child in $(cat /proc/"$NSPAWN_PID"/task/*/children 2>/dev/null); do
        [[ $(cat /proc/"$child"/comm 2>/dev/null) == systemd ]] && { LEADER=$child; return 0; }
    done
    return 1
}
# boot ATTEMPT: starts the container and waits for systemd to finish booting; sets state and
# boot_problem. Its own network namespace (loopback only): the apps' ports and the inspector's
# 9229 cannot clash with whatever else runs on this machine.
boot() {
    local log=$NSPAWN_LOG.$1 started
    started=$(now_ms)
    systemd-nspawn -D "$ROOT" -b --register=no --keep-unit --console=passive --private-network -M "$MACHINE" >"$log" 2>&1 &
    NSPAWN_PID=$!
    state=
    if ! wait_for 20 find_leader; then
        boot_problem="systemd-nspawn did not start systemd in the container in 20 s"
    else
        state=$(timeout 90 nsenter -t "$LEADER" -a systemctl is-system-running --wait 2>"$log.nsenter")
        boot_problem="the container did not finish booting in $(seconds_since "$started")s (state '$state'; $(head -c 300 "$log.nsenter" | tr '\n' ' '))"
    fi
    boot_seconds=$(seconds_since "$started")
    [[ $state == running || $state == degraded ]]
}
# This machine has root, nspawn and a root tree: a container that does not boot is a failure, not a
# skip. Once is retried (after a clean power-off), with both logs kept for a look.
if ! boot 1; then
    say "boot 1 failed: $boot_problem; log $NSPAWN_LOG.1; booting again"
    tail -n 20 "$NSPAWN_LOG.1"
    power_off
    cleanup_cgroups
    if ! boot 2; then
        tail -n 20 "$NSPAWN_LOG.2"
        not_ok "boot the container twice: $boot_problem (logs $NSPAWN_LOG.1 and .2)"
        echo "$PASSED passed, $FAILED failed"
        exit 1
    fi
fi
say "container booted in ${boot_seconds}s: $state (pid 1 is host pid $LEADER)"
[[ $state == degraded ]] && say "failed units in the container: $(in_ct systemctl --failed --plain --no-legend | awk '{print $1}' | xargs)"

# --- install steps a package would run ----------------------------------------------------------
# The README's commands, as written.
check "systemd-sysusers heapwatch.conf creates the heapwatch user" in_ct sh -c 'systemd-sysusers heapwatch.conf && getent passwd heapwatch >/dev/null'
check "systemd-tmpfiles --create heapwatch.conf makes the store 0700 heapwatch" in_ct sh -c \
    'systemd-tmpfiles --create heapwatch.conf && test "$(stat -c "%a %U" /var/lib/heapwatch/snapshots)" = "700 heapwatch"'
in_ct sh -c 'systemd-sysusers leaky.conf && systemd-tmpfiles --create leaky.conf'
in_ct systemctl daemon-reload
verify=$(in_ct systemd-analyze verify --man=no heapwatch.service 2>&1)
check "systemd-analyze verify heapwatch.service is clean (man pages: no man in the root)${verify:+: $verify}" test -z "$verify"

# --- the leaking app, then heapwatch ---------------------------------------------------------
MID_LEAK=43560567e8a84b95b8a0880709165392
MID_CAPTURED=52414fcb6b264f24a8f7132100749f3f
MID_REJECTED=ef395e95e93d4b09a951f5b7f00ce661
EXPECTED_CAPS=(cap_kill cap_sys_ptrace cap_dac_override)

in_ct systemctl start leaky.service leaky-http.service leaky-inspect.service
APP_PID=$(prop leaky.service MainPID)
# The SIGUSR2 handler is installed during node's start-up: wait until SigCgt shows it.
# status_field PID FIELD: a line of /proc/PID/status inside the container (pids are the container's).
status_field() { in_ct awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null; }
sigusr2_caught() { local m; m=$(status_field "$APP_PID" SigCgt) && [[ -n $m ]] && (( 0x$m & 0x800 )); }
check "leaky.service (user leaky) runs and catches SIGUSR2" wait_for 15 sigusr2_caught

t0=$(now_ms)
in_ct systemctl start heapwatch.service; rc=$?
start_seconds=$(seconds_since "$t0")
check "systemctl start heapwatch returns 0 (${start_seconds}s)" test "$rc" = 0
if (( rc != 0 )); then  # nothing below can pass: show why and stop
    in_ct journalctl -u heapwatch --no-pager -n 15 -o cat
    echo "$PASSED passed, $FAILED failed (stopped: heapwatch did not start)"
    exit 1
fi
expect "active/running as soon as start returns" "active/running" "$(prop heapwatch ActiveState)/$(prop heapwatch SubState)"
# READY=1 comes after the socket is bound and the first sample taken: both must be visible now.
check "control socket answers right after start (READY after bind)" in_ct sh -c "heapwatchctl status --json >/dev/null"
status_text=$(prop heapwatch StatusText)
check "STATUS= set by the first READY: '$status_text'" test -n "$status_text"
check "systemctl status shows the Status: line" sh -c "nsenter -t $LEADER -a systemctl status --no-pager heapwatch | grep -q '^ *Status: \"'"
DAEMON_PID=$(prop heapwatch MainPID)
expect "heapwatchd runs as user heapwatch" heapwatch "$(in_ct ps -o user= -p "$DAEMON_PID")"

# Capabilities: exactly the three, in the effective, permitted and bounding sets; no new privileges;
# seccomp filter on.
caps_of() { status_field "$DAEMON_PID" "$1"; }
want_mask=0
for c in "${EXPECTED_CAPS[@]}"; do
    case $c in cap_dac_override) b=1 ;; cap_dac_read_search) b=2 ;; cap_kill) b=5 ;; cap_sys_ptrace) b=19 ;; esac
    want_mask=$(( want_mask | (1 << b) ))
done
for set in CapEff CapPrm CapBnd; do
    expect "$set is exactly ${EXPECTED_CAPS[*]}" "$(printf '%016x' "$want_mask")" "$(caps_of $set)"
done
# systemd passes them in the ambient set; heapwatchd empties it at start so what it runs gets none.
expect "CapAmb emptied by heapwatchd once started" 0000000000000000 "$(caps_of CapAmb)"
expect "NoNewPrivs and seccomp filter" "1 2" "$(caps_of NoNewPrivs) $(caps_of Seccomp)"
expect "unit properties: OOMScoreAdjust, MemoryMax, OOMPolicy" "-900 2147483648 continue" \
    "$(prop heapwatch OOMScoreAdjust) $(prop heapwatch MemoryMax) $(prop heapwatch OOMPolicy)"
# Lowering oom_score_adj needs CAP_SYS_RESOURCE, which some machines (this sandbox) do not have at all.
if (( 0x$(awk '/^CapBnd:/ {print $2}' /proc/"$LEADER"/status) & (1 << 24) )); then
    expect "OOMScoreAdjust in force: the OOM killer takes the app first" -900 "$(in_ct cat /proc/"$DAEMON_PID"/oom_score_adj)"
else
    not_here "OOMScoreAdjust in force" "no CAP_SYS_RESOURCE on this machine: nothing here can lower oom_score_adj"
fi
# MemoryMax= as the kernel sees it: cgroup v2 memory.max, or v1 memory.limit_in_bytes on a hybrid host.
memory_limit() {
    in_ct sh -c 'cg=$(sed -n "s/^0::\(.*\)/\1/p" /proc/'"$DAEMON_PID"'/cgroup); v1=$(sed -n "s/^[0-9]*:memory:\(.*\)/\1/p" /proc/'"$DAEMON_PID"'/cgroup)
        cat "/sys/fs/cgroup$cg/memory.max" 2>/dev/null || cat "/sys/fs/cgroup/unified$cg/memory.max" 2>/dev/null \
        || cat "/sys/fs/cgroup/memory$v1/memory.limit_in_bytes" 2>/dev/null || echo "no memory controller"'
}
limit=$(memory_limit | head -n1)
if [[ $limit == 2147483648 ]]; then ok "MemoryMax=2G is in force in the daemon's cgroup"
elif [[ ! -e /sys/fs/cgroup/cgroup.controllers || -d /sys/fs/cgroup/unified ]]; then
    not_here "MemoryMax in force" "cgroup v1/hybrid host: the container gets no memory controller (limit '$limit')"
else not_ok "MemoryMax=2G is in force in the daemon's cgroup (got '$limit')"; fi

# journalctl -o json, one object per line; prints the entries with MESSAGE_ID $1 as FIELD=value lines.
journal_fields() {
    in_ct journalctl -u heapwatch -o json --no-pager "MESSAGE_ID=$1" | node -e '
        const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
        for (const l of lines) { const e = JSON.parse(l);
            for (const k of ["MESSAGE_ID","HEAPWATCH_TARGET","TARGET_PID","SNAPSHOT_PATH","RSS_BYTES","SLOPE_BYTES_PER_HOUR","PRIORITY","MESSAGE"])
                if (k in e) console.log(k + "=" + e[k]);
            console.log("--"); }'
}
captured() { [[ -n $(in_ct journalctl -u heapwatch -o cat --no-pager "MESSAGE_ID=$MID_CAPTURED") ]]; }
t0=$(date +%s)
# 15-18 s over five runs at 100 requests/s. At 20 requests/s it was usually 25 s, but the 9 s window
# over the app's GC sawtooth could flip between ok and leaking for a minute first (89 and 93 s seen).
if wait_for 180 captured; then
    ok "leak detected and snapshot captured automatically in $(( $(date +%s) - t0 ))s after start"
else
    not_ok "no snapshot-captured journal entry within 180 s"; in_ct journalctl -u heapwatch --no-pager | tail -n 20
fi
# The baseline snapshot can be taken when the app first reads as `growing`, before `leaking`
# (which needs 2 of the last 4 bucket closes): wait for the leak's own entry.
leak_logged() { [[ -n $(in_ct journalctl -u heapwatch -o cat --no-pager "MESSAGE_ID=$MID_LEAK") ]]; }
wait_for 60 leak_logged || in_ct journalctl -u heapwatch --no-pager | tail -n 20
leak=$(journal_fields $MID_LEAK)
check "journal: leak-detected entry with HEAPWATCH_TARGET=leaky, TARGET_PID, RSS_BYTES, SLOPE" \
    has_lines "$leak" '^HEAPWATCH_TARGET=leaky$' "^TARGET_PID=$APP_PID\$" '^RSS_BYTES=[0-9]' '^SLOPE_BYTES_PER_HOUR='

cap=$(journal_fields $MID_CAPTURED)
check "journal: snapshot-captured entry with MESSAGE_ID, HEAPWATCH_TARGET=leaky, TARGET_PID=$APP_PID" \
    has_lines "$cap" "^MESSAGE_ID=$MID_CAPTURED\$" '^HEAPWATCH_TARGET=leaky$' "^TARGET_PID=$APP_PID\$"
SNAP=$(echo "$cap" | sed -n 's/^SNAPSHOT_PATH=//p' | head -n1)
check "SNAPSHOT_PATH names a stored file: $SNAP" test -n "$SNAP" -a -f "$ROOT$SNAP"
expect "stored snapshot is 0600 heapwatch, in a 0700 directory" "600 heapwatch 700" \
    "$(in_ct stat -c '%a %U' "$SNAP" 2>/dev/null) $(in_ct stat -c %a "$(dirname "$SNAP")" 2>/dev/null)"
check "stored snapshot is complete (ends with ]}) with its manifest" \
    sh -c "test \"\$(tail -c 2 '$ROOT$SNAP')\" = ']}' && test -f '${ROOT}${SNAP%.heapsnapshot}.json'"
check "the original in the app's 0700 home was removed" \
    sh -c "! ls $ROOT/home/leaky/ | grep -q heapsnapshot && ! nsenter -t $LEADER -a journalctl -u heapwatch --no-pager | grep -q 'could not remove the original'"
# Each stored snapshot is analyzed by a worker process under the unit's sandbox (fork/exec, the
# store writable): its summary is kept beside it and `heapwatchctl report` answers from the first one.
analyzed() { [[ -n $(in_ct journalctl -u heapwatch -o cat --no-pager | grep 'leaky pid .*: first snapshot analyzed') ]]; }
wait_for 60 analyzed
check "analysis worker ran under the unit: first snapshot analyzed" analyzed
expect "kept summary is 0600 heapwatch" "600 heapwatch" "$(in_ct stat -c '%a %U' "${SNAP%.heapsnapshot}.summary" 2>/dev/null)"
check "heapwatchctl report leaky answers with the analysis" \
    sh -c "nsenter -t $LEADER -a heapwatchctl report leaky --json | grep -q '\"top_classes\"'"
check "no analysis worker left running" sh -c "! nsenter -t $LEADER -a pgrep -f -- --analysis-job >/dev/null"
# Hooks run under the unit (fork/exec allowed), but must not inherit heapwatchd's capabilities: a
# hook with CAP_DAC_OVERRIDE and CAP_SYS_PTRACE could read and write any file of any process.
hook_ran() { in_ct sh -c 'ls /run/heapwatch/hook-* >/dev/null 2>&1'; }
wait_for 10 hook_ran
check "exec sink ran under the unit for events: $(in_ct sh -c 'cd /run/heapwatch && ls hook-* 2>/dev/null' | sed 's/hook-//' | xargs)" hook_ran
expect "exec sink runs without capabilities (CapEff CapPrm CapAmb)" "0000000000000000 0000000000000000 0000000000000000" \
    "$(in_ct sh -c 'cat /run/heapwatch/hook-* | sort -u' | awk '$1 == "CapEff:" {e=$2} $1 == "CapPrm:" {p=$2} $1 == "CapAmb:" {a=$2} END {print e, p, a}')"

# libdispatch cannot raise a worker thread's priority (a negative nice needs CAP_SYS_NICE, which the
# unit does not grant) and says so once; the thread runs at the default priority. Shown, not failed.
noise=$(in_ct journalctl -u heapwatch --no-pager -o cat | grep -c 'Failed to set thread priority')
(( noise > 0 )) && say "note: libdispatch logged 'Failed to set thread priority for worker thread' $noise time(s) (no CAP_SYS_NICE; harmless)"

# The sandbox is in force in the daemon's mount namespace: / and /home read-only, the store
# writable, /tmp private.
in_ct sh -c 'echo probe > /tmp/heapwatch-probe'
check "sandbox: /usr, /etc, /home read-only; the store writable; /tmp private" in_ct nsenter -t "$DAEMON_PID" -m sh -c \
    '! touch /etc/hw-probe 2>/dev/null && ! touch /usr/hw-probe 2>/dev/null && ! touch /home/hw-probe 2>/dev/null \
     && touch /var/lib/heapwatch/hw-probe && rm /var/lib/heapwatch/hw-probe && ! test -e /tmp/heapwatch-probe'
# An HTTP capture: the app's /heap-snapshot over 127.0.0.1 (RestrictAddressFamilies, IP allowed),
# the file resolved through /proc/PID/cwd into the other user's home.
wait_for 10 in_ct bash -c 'exec 3<>/dev/tcp/127.0.0.1/3111'
OUT=$(timeout 60 nsenter -t "$LEADER" -a heapwatchctl snapshot leaky-http --wait 2>&1); RC=$?
check "HTTP capture of the other user's app stored: ${OUT:0:120}" sh -c "[ $RC = 0 ] && nsenter -t $LEADER -a test -f '$OUT' && ! ls $ROOT/home/leaky | grep -q heapsnapshot"
# Prometheus /metrics on 127.0.0.1 (a listening AF_INET socket under the unit).
metrics() { in_ct timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9464 && printf "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n" >&3 && cat <&3'; }
check "GET /metrics answers with heapwatch_rss_bytes for the leaky target" sh -c "$(declare -f in_ct metrics); LEADER=$LEADER; metrics | grep -q '^heapwatch_rss_bytes{.*leaky'"
# An inspector capture: SIGUSR1 to an unprepared node (CAP_KILL), its listener checked through
# /proc/net/tcp and /proc/PID/fd (CAP_SYS_PTRACE), the snapshot streamed over a WebSocket.
OUT=$(timeout 60 nsenter -t "$LEADER" -a heapwatchctl snapshot leaky-inspect --wait 2>&1); RC=$?
check "inspector capture of the other user's unprepared app stored: ${OUT:0:120}" sh -c "[ $RC = 0 ] && nsenter -t $LEADER -a test -f '$OUT'"
check "inspector capture: the app lives on" sh -c "[ \$(nsenter -t $LEADER -a systemctl show -p ActiveState --value leaky-inspect) = active ]"
# The inspector it opened is closed again (no TCP listener on 9229 left).
inspector_closed() { ! in_ct sh -c "grep -q ':240D 00000000:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null"; }
check "inspector capture: the inspector is closed again (no listener on 9229)" wait_for 10 inspector_closed
check "heapwatchctl snapshots lists the automatic capture" sh -c "nsenter -t $LEADER -a heapwatchctl snapshots --json | grep -qF '$SNAP'"

errors=$(in_ct journalctl -u heapwatch -p err --no-pager -o cat | grep -v 'Failed to set thread priority')
[[ -n $errors ]] && say "errors logged so far (none expected): $errors"
check "no error-priority journal entries from heapwatchd so far" test -z "$errors"
say "heapwatchd after 3 captures: VmRSS $(status_field "$DAEMON_PID" VmRSS) kB, VmHWM $(status_field "$DAEMON_PID" VmHWM) kB (MemoryMax=2G)"

# --- reload ------------------------------------------------------------------------------------
interval_now() { in_ct heapwatchctl status --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).interval_seconds)'; }
# From here on no automatic captures (growth_max far above the app's growth): only on-demand ones.
write_config 200ms 100GiB/h
check "systemctl reload with a good config succeeds" in_ct systemctl reload heapwatch
expect "the new config is in force (interval_seconds)" 0.2 "$(interval_now)"
write_config 250ms 100GiB/h broken
if in_ct systemctl reload heapwatch 2>/dev/null; then not_ok "systemctl reload with a broken config fails"; else ok "systemctl reload with a broken config fails"; fi
expect "after the broken reload the daemon still runs, same pid" "active $DAEMON_PID" "$(prop heapwatch ActiveState) $(prop heapwatch MainPID)"
expect "after the broken reload the old config stays in force" 0.2 "$(interval_now)"
check "journal: config-rejected entry" sh -c "nsenter -t $LEADER -a journalctl -u heapwatch -o cat --no-pager MESSAGE_ID=$MID_REJECTED | grep -q ."
write_config 200ms 100GiB/h

# --- each capability is needed ---------------------------------------------------------------
# (/run inside the container is its own tmpfs: drop-ins go to /etc.)
DROPIN=/etc/systemd/system/heapwatch.service.d
mkdir -p "$ROOT$DROPIN"
# with_caps CAP…: restart heapwatch with only these capabilities (none: no arguments).
with_caps() {
    printf '[Service]\nCapabilityBoundingSet=\nCapabilityBoundingSet=%s\nAmbientCapabilities=\nAmbientCapabilities=%s\n' "$*" "$*" >"$ROOT$DROPIN/50-caps.conf"
    in_ct systemctl daemon-reload && in_ct systemctl restart heapwatch
}
# capture_now: an on-demand capture; sets OUT and RC.
capture_now() { OUT=$(timeout 40 nsenter -t "$LEADER" -a heapwatchctl snapshot leaky --wait 2>&1); RC=$?; }
originals() { ls "$ROOT/home/leaky" | grep -c heapsnapshot; }
app_alive() { [[ $(prop leaky.service MainPID) == "$APP_PID" && $(prop leaky.service ActiveState) == active ]]; }

# Each capability taken away in turn (with a 5 s capture timeout, so a capture that cannot see its
# file gives up quickly): the capture of the other user's app must not succeed fully, and the app
# must live on. With all four, the automatic capture above succeeded.
printf '[Service]\nExecStart=\nExecStart=/usr/local/bin/heapwatchd --config /etc/heapwatch/heapwatch.toml --capture-timeout 5\n' \
    >"$ROOT$DROPIN/40-capture-timeout.conf"
# with_caps_capture WANT CAP…: restart with these capabilities, capture on demand, and check the
# outcome (fail: no snapshot; stored-original-left: stored, but the app's file could not be removed).
with_caps_capture() {
    local want=$1; shift
    with_caps "$@"
    local before; before=$(originals)
    capture_now
    local left=$(( $(originals) - before ))
    case $want in
        fail) if (( RC != 0 )); then ok "with only $*: the capture fails (${OUT:0:140})"
              else not_ok "with only $*: the capture should fail, got rc=$RC: $OUT"; fi ;;
        stored-original-left) if (( RC == 0 && left == 1 )); then ok "with only $*: stored, but the original stays in the app's directory"
              else not_ok "with only $*: want stored with the original left, got rc=$RC, $left left: $OUT"; fi ;;
    esac
    check "with only $*: the app was not harmed" app_alive
    rm -f "$ROOT"/home/leaky/Heap.*.heapsnapshot
}
with_caps_capture fail CAP_SYS_PTRACE CAP_DAC_OVERRIDE        # no CAP_KILL: pidfd_send_signal EPERM
with_caps_capture fail CAP_KILL CAP_DAC_OVERRIDE              # no CAP_SYS_PTRACE: /proc/PID/cwd denied
with_caps_capture fail CAP_KILL CAP_SYS_PTRACE                # no DAC capability: the 0700 home denied
# CAP_DAC_READ_SEARCH instead of CAP_DAC_OVERRIDE: reads, but cannot remove the original.
with_caps_capture stored-original-left CAP_KILL CAP_SYS_PTRACE CAP_DAC_READ_SEARCH
rm -f "$ROOT$DROPIN"/40-capture-timeout.conf

# A stop while a capture is still waiting for its file (default capture timeout, 60 s) must not
# wait for that capture. The app is stopped (SIGSTOP), so its SIGUSR2 stays pending and no file
# comes until it is continued.
with_caps CAP_KILL CAP_SYS_PTRACE CAP_DAC_OVERRIDE
sent_count() { in_ct journalctl -u heapwatch --no-pager -o cat | grep -c "sent SIGUSR2 to leaky pid $APP_PID"; }
sent_before=$(sent_count)
capture_pending() { (( $(sent_count) > sent_before )); }
in_ct kill -STOP "$APP_PID"
in_ct heapwatchctl snapshot leaky >/dev/null 2>&1
check "a capture is pending: SIGUSR2 sent to the stopped app" wait_for 10 capture_pending
t0=$(now_ms)
in_ct systemctl stop heapwatch
pending_ms=$(( $(now_ms) - t0 ))
check "stop during a pending capture took ${pending_ms}ms (< 5 s), result $(prop heapwatch Result)" \
    test "$(( pending_ms < 5000 ))/$(prop heapwatch Result)" = 1/success
# Continued, the app handles the pending SIGUSR2 and writes its snapshot (nobody stores it now).
in_ct kill -CONT "$APP_PID"
late_written() { local f; f=$(ls "$ROOT"/home/leaky/Heap.*.heapsnapshot 2>/dev/null | head -1) && [[ -n $f && $(tail -c 2 "$f") == ']}' ]]; }
check "continued, the app writes the pending snapshot" wait_for 30 late_written
check "... and lives on" app_alive
rm -f "$ROOT"/home/leaky/Heap.*.heapsnapshot "$ROOT$DROPIN"/*.conf
in_ct systemctl daemon-reload

# --- watchdog ------------------------------------------------------------------------------------
printf '[Service]\nWatchdogSec=2s\nRestartSec=1s\nTimeoutAbortSec=5s\n' >"$ROOT$DROPIN/60-watchdog.conf"
in_ct systemctl daemon-reload && in_ct systemctl restart heapwatch
stopped_pid=$(prop heapwatch MainPID)
restarts_before=$(prop heapwatch NRestarts)
t0=$(now_ms)
# (Never "kill -STOP 0": that would stop this script's own process group.)
[[ $stopped_pid =~ ^[1-9][0-9]*$ ]] && in_ct kill -STOP "$stopped_pid"
came_back() { local p; p=$(prop heapwatch MainPID); [[ $p != 0 && $p != "$stopped_pid" && $(prop heapwatch ActiveState) == active ]]; }
check "SIGSTOP: the watchdog fires and Restart= brings heapwatchd back" wait_for 30 came_back
say "watchdog: back $(seconds_since "$t0")s after SIGSTOP (WatchdogSec=2s)"
check "journal: 'Watchdog timeout' and result 'watchdog'" sh -c \
    "nsenter -t $LEADER -a journalctl -u heapwatch --no-pager -o cat | grep -q 'Watchdog timeout' && nsenter -t $LEADER -a journalctl -u heapwatch --no-pager -o cat | grep -q \"Failed with result 'watchdog'\""
expect "NRestarts went up by one" $(( restarts_before + 1 )) "$(prop heapwatch NRestarts)"
rm -f "$ROOT$DROPIN"/*.conf
in_ct systemctl daemon-reload

# --- a clean stop ------------------------------------------------------------------------------
in_ct systemctl restart heapwatch
journal_count() { in_ct journalctl -u heapwatch --no-pager -o cat | grep -c -e "$@"; }
killed_before=$(journal_count SIGKILL -e 'Killing process' -e 'code=killed' -e 'status=1/FAILURE')
deactivated_before=$(journal_count 'Deactivated successfully')
t0=$(now_ms)
in_ct systemctl stop heapwatch
stop_ms=$(( $(now_ms) - t0 ))
expect "systemctl stop: Result=success, inactive" "success inactive" "$(prop heapwatch Result) $(prop heapwatch ActiveState)"
expect "systemctl stop: 'Deactivated successfully' (main process exited 0)" $(( deactivated_before + 1 )) "$(journal_count 'Deactivated successfully')"
expect "systemctl stop: no SIGKILL, no failure exit" "$killed_before" "$(journal_count SIGKILL -e 'Killing process' -e 'code=killed' -e 'status=1/FAILURE')"
check "systemctl stop took ${stop_ms}ms (< 5 s)" test "$stop_ms" -lt 5000
check "the watched app was never harmed: the same pid, still running" app_alive

say "boot ${boot_seconds}s, whole run $(( $(date +%s) - STARTED ))s"
not_checked=$(printf '%s; ' "${NOT_HERE[@]}")
echo "$PASSED passed, $FAILED failed${NOT_HERE:+ (not checkable on this machine: ${not_checked%; })}"
(( FAILED == 0 ))
