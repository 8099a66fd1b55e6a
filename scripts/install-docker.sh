#!/usr/bin/env bash
# Install the Docker engine (Debian's docker.io) and debootstrap, which
# labfleet needs to run and build its lab containers. Idempotent: does
# nothing when everything is already installed.
set -euo pipefail

PACKAGES=(docker.io debootstrap iptables ca-certificates)

die() { echo "install-docker: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v apt-get >/dev/null || die "apt-get not found (Debian/Ubuntu required)"

# Packages not yet installed (dpkg status "install ok installed").
missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
    echo "install-docker: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    apt-get update -qq >"$log" 2>&1 \
        || { tail -n 20 "$log" >&2; die "apt-get update failed"; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 \
        || { tail -n 20 "$log" >&2; die "apt-get install ${missing[*]} failed"; }
fi

# A bare client in /usr/local/bin may shadow /usr/bin/docker; what matters is
# that the daemon and its runtime are present.
for bin in dockerd containerd runc debootstrap; do
    command -v "$bin" >/dev/null || die "$bin not found after installation"
done

echo "install-docker: ok ($(dockerd --version))"
