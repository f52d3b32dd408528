#!/usr/bin/env bash
# Creates .venv (if missing) and installs the suite with its test extras.
# The CPU torch pin goes in first: an unpinned torch would pull a multi-GB CUDA build.
# On a GPU machine, install your CUDA torch first and set GST_TORCH_SPEC to it (or "skip").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
"${PIP[@]}" install --upgrade pip
TORCH_SPEC="${GST_TORCH_SPEC:-torch==2.13.0}"
if [ "$TORCH_SPEC" != "skip" ]; then
    "${PIP[@]}" install "$TORCH_SPEC"
fi
"${PIP[@]}" install -e ".[test]"
