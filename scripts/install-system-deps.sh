#!/usr/bin/env bash
# Install the Debian packages that labfleet's tests need, if any is missing (idempotent).
set -euo pipefail

# chromium: tests/test_browser.py drives it through Playwright (never Playwright's own browser downloads)
# postgresql: tests/test_postgres.py runs the core of the suite on a cluster of its own
# pebble: tests/test_https.py gets certificates from a real ACME server
# nftables: labfleet limits each account's connections to the proxy (tests/test_isolation.py)
# git: links that bring material pull a repository served on loopback (tests/test_environments.py)
# e2fsprogs, mount: users' disks of their own, loop-mounted ext4 images (tests/test_disks.py)
packages=(python3 python3-venv passwd util-linux chromium postgresql pebble nftables e2fsprogs mount git)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "labfleet tests need these Debian packages: ${missing[*]}" >&2
    echo "install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
