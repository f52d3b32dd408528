#!/usr/bin/env bash
# Installs (idempotent) and runs the suite's own tests: the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m pytest "$@"
