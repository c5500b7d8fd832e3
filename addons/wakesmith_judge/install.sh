#!/bin/sh
# The image's install step (Dockerfile), also run by tests/addons from a clean checkout:
#   install.sh VENV SOURCE
# creates the virtual environment VENV and installs wakesmith[judge] from SOURCE, a pip location
# such as git+https://github.com/wakesmith/wakesmith@v0.1.0 (the add-on) or
# git+file://localhost/path/to/clone@<commit> (the test). Then it checks that the Judge's entry points import.
set -eu
venv="$1"
source="$2"
python3 -m venv "$venv"
"$venv/bin/pip" install --no-cache-dir --disable-pip-version-check "wakesmith[judge] @ ${source}"
"$venv/bin/python" -c "import wakesmith.judge.addon, wakesmith.judge.service"
"$venv/bin/wakesmith" judge-addon --help > /dev/null
