#!/usr/bin/env bash
# Installs (idempotent) and runs the suite's own tests: the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Two workers: the suite's own tests are independent, and the machine has two cores.
exec .venv/bin/python -m pytest -n 2 "$@"
