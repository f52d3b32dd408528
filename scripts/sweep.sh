#!/usr/bin/env bash
# Installs (idempotent) and runs the load sweep on this machine's CPU, a priori:
# 1. the profile, in its own process, before anything it will be judged against (every level's
#    rate is a fraction of the serial capacity this profile prices);
# 2. real runs and simulations at every level of configs/workload/loadsweep.yaml (simulations
#    also at its simulated-only levels) -> one verdict per pair -> the capacity of each backend
#    and variant against the real one (gate: capacity_objective_ms, capacity_rel_error) -> report.
# About 22 minutes on this project's CPU with Qwen3-0.6B, 17 of them real runs (docs/method.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
workloads=(--gst-workloads loadsweep)
for arg in "$@"; do
    case "$arg" in --gst-workloads*) workloads=() ;; esac
done
.venv/bin/python -m pytest benchmarks/test_profile.py -m cpu --gst-reprofile -q \
    "${workloads[@]}" "$@"
exec .venv/bin/python -m pytest benchmarks -m "cpu and not profile" "${workloads[@]}" "$@"
