#!/usr/bin/env bash
# Start the Docker daemon for labfleet without systemd.
#
# Does nothing if the engine at unix:///var/run/docker.sock already answers.
# Otherwise starts dockerd in the background (log: $LABFLEET_DOCKERD_LOG) and
# waits until it answers. If dockerd exits during start-up, the next, more
# restricted set of flags is tried. labfleet containers use host networking
# only, so dockerd can run without its bridge network and iptables rules.
#
# Environment:
#   LABFLEET_DOCKERD_FLAGS    use exactly these dockerd flags (no fallbacks)
#   LABFLEET_DOCKERD_LOG      log file (default /var/log/labfleet-dockerd.log)
#   LABFLEET_DOCKERD_TIMEOUT  seconds to wait for the engine (default 60)
set -euo pipefail

SOCK=/var/run/docker.sock
PIDFILE=/var/run/docker.pid
LOG=${LABFLEET_DOCKERD_LOG:-/var/log/labfleet-dockerd.log}
TIMEOUT=${LABFLEET_DOCKERD_TIMEOUT:-60}

if [[ -n ${LABFLEET_DOCKERD_FLAGS+x} ]]; then
    CANDIDATES=("$LABFLEET_DOCKERD_FLAGS")
else
    # labfleet's containers use the host network only: no bridge, no firewall rules
    CANDIDATES=(
        "--iptables=false --ip6tables=false --bridge=none"
        "--iptables=false --ip6tables=false --bridge=none --storage-driver=vfs"
    )
fi

say() { echo "start-dockerd: $*"; }
die() {
    echo "start-dockerd: ERROR: $*" >&2
    if [[ -f $LOG ]]; then
        echo "--- last lines of $LOG ---" >&2
        tail -n 25 "$LOG" >&2
    fi
    exit 1
}

engine_up() { docker -H "unix://$SOCK" version >/dev/null 2>&1; }
alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v dockerd >/dev/null || die "dockerd not installed (run scripts/install-docker.sh)"
command -v docker >/dev/null || die "docker client not installed"

if engine_up; then
    say "engine already running ($(docker -H "unix://$SOCK" version -f '{{.Server.Version}}'))"
    exit 0
fi

deadline=$((SECONDS + TIMEOUT))

# A dockerd that is still starting up: wait for it instead of starting another.
pid=$(cat "$PIDFILE" 2>/dev/null || true)
if alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]]; then
    say "dockerd (pid $pid) is running but not answering yet; waiting"
    while ((SECONDS < deadline)); do
        engine_up && { say "engine ready"; exit 0; }
        alive "$pid" || break
        sleep 1
    done
    die "dockerd (pid $pid) did not answer within ${TIMEOUT}s"
fi

mkdir -p "$(dirname "$LOG")"
for flags in "${CANDIDATES[@]}"; do
    say "starting dockerd ${flags:-(default flags)}; log: $LOG"
    echo "=== $(date -Is) dockerd $flags" >>"$LOG"
    # setsid + nohup: the daemon outlives this script and its terminal.
    # shellcheck disable=SC2086  # flags are intentionally word-split
    setsid nohup dockerd -H "unix://$SOCK" $flags >>"$LOG" 2>&1 </dev/null &
    pid=$!
    while ((SECONDS < deadline)); do
        if engine_up; then
            say "engine ready (dockerd pid $pid, $(docker -H "unix://$SOCK" version -f '{{.Server.Version}}'))"
            exit 0
        fi
        alive "$pid" || break
        sleep 1
    done
    if alive "$pid"; then
        kill "$pid" 2>/dev/null || true
        die "dockerd did not answer within ${TIMEOUT}s (stopped pid $pid)"
    fi
    say "dockerd exited during start-up with flags '${flags}'"
    ((SECONDS < deadline)) || break
done
die "could not start dockerd"
