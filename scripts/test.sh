#!/usr/bin/env bash
# Installs (idempotent) and runs the suite's own tests: the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Two workers that steal work from each other: the suite's own tests are independent and of
# very unequal cost, and the machine has two cores. The 25 slowest tests are listed at the end,
# so a test that grows slow shows in every CI log.
exec .venv/bin/python -m pytest -n 2 --dist worksteal --durations=25 "$@"
