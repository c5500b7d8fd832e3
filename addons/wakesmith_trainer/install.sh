#!/bin/sh
# The image's install step (Dockerfile):
#   install.sh VENV SOURCE
# creates the virtual environment VENV and installs wakesmith[train,voices,edge,server,embedding] from SOURCE, a pip
# location such as git+https://github.com/wakesmith/wakesmith@v0.1.0. torch comes from its CPU index
# (on x86_64 PyPI's torch is a CUDA build of several GB); the train extra pins its version.
set -eu
venv="$1"
source="$2"
python3 -m venv "$venv"
"$venv/bin/pip" install --no-cache-dir --disable-pip-version-check \
    --extra-index-url https://download.pytorch.org/whl/cpu \
    "wakesmith[train,voices,edge,server,embedding] @ ${source}"
"$venv/bin/python" -c "import wakesmith.server.addon, wakesmith.server.app, torch"
"$venv/bin/wakesmith" trainer-addon --help > /dev/null
