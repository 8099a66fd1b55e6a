#!/usr/bin/env bash
# Install everything the test suite needs (Debian and Python packages), then run it all.
# Extra arguments go to pytest, e.g. scripts/test.sh -x tests/test_hub.py
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-deps.sh

# The lab accounts run servers from this environment, so it is built on Debian's python3,
# which every account can reach (a Python under /root could not be run by them).
if ! [ -x .venv/bin/python ] || [ "$(.venv/bin/python -c 'import sys; print(sys.base_prefix)')" != /usr ]; then
    rm -rf .venv
    /usr/bin/python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'

# The docker backend's tests run on a real engine and the lab image (built once, then reused).
# Setting them up needs root; without it those tests are skipped unless an engine answers.
if [ "$(id -u)" -eq 0 ]; then
    scripts/install-docker.sh
    scripts/start-dockerd.sh
    scripts/build-lab-image.sh
fi

exec .venv/bin/pytest "$@"
