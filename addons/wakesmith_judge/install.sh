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
# A judge_embedding model runs the speech_embedding front end: the two ONNX files openwakeword ships.
# wakesmith only reads those files (never imports the package), so its dependencies are not needed.
"$venv/bin/pip" install --no-cache-dir --disable-pip-version-check --no-deps "openwakeword==0.5.1"
"$venv/bin/python" -c "import wakesmith.judge.addon, wakesmith.judge.service"
"$venv/bin/wakesmith" judge-addon --help > /dev/null
