#!/usr/bin/env bash
# One command from a fresh clone to a calibrated wake-word model:
#   ./scripts/quickstart.sh "hey katya"
# Installs the Debian packages and a virtual environment (.venv, with the studio: `wakesmith serve`),
# then runs `wakesmith quickstart`.
# Data goes to $WAKESMITH_HOME (default ~/.local/share/wakesmith).
set -euo pipefail
cd "$(dirname "$0")/.."
phrase="${1:-hey katya}"
shift || true
./scripts/system-deps.sh
[ -x .venv/bin/python ] || python3 -m venv .venv
# torch is pinned to its CPU build; the constraint keeps every later install from upgrading it.
PIP_CONSTRAINT="$PWD/constraints.txt" .venv/bin/pip install -q --disable-pip-version-check -e ".[train,voices,server]"
exec .venv/bin/wakesmith quickstart "$phrase" "$@"
