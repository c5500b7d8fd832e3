#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: ./scripts/test.sh
# Installs the Debian packages, then nox runs one session per environment (see noxfile.py).
# Extra arguments go to nox, e.g. ./scripts/test.sh -s runtime
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/system-deps.sh
[ -x .venv-nox/bin/nox ] || { python3 -m venv .venv-nox && .venv-nox/bin/pip install -q --disable-pip-version-check nox; }
exec .venv-nox/bin/nox "$@"
