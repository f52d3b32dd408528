#!/usr/bin/env bash
# Installs (idempotent) and runs the main job on this machine's CPU, a priori:
# 1. the profile, in its own process, before anything it will be judged against;
# 2. real runs -> simulations (corrected, stock, naive baseline, calibrated) -> verdict -> report.
# The main job's workload is steady60 (about 7 minutes here); pass --gst-workloads tiny for a
# smoke run (too few requests for a decided verdict: INCONCLUSIVE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
workloads=(--gst-workloads steady60)
for arg in "$@"; do
    case "$arg" in --gst-workloads*) workloads=() ;; esac
done
.venv/bin/python -m pytest benchmarks/test_profile.py -m cpu --gst-reprofile -q \
    "${workloads[@]}" "$@"
exec .venv/bin/python -m pytest benchmarks -m "cpu and not profile" "${workloads[@]}" "$@"
