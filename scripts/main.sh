#!/usr/bin/env bash
# Installs (idempotent) and runs the main job on this machine's CPU:
# profile (or reuse) -> real runs -> simulated runs -> comparison -> verdict -> report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m pytest benchmarks -m cpu "$@"
