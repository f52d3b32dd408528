#!/usr/bin/env bash
# Installs (idempotent) and runs the main job on this machine's CPU:
# real runs (the profile timed in their idle gaps) -> rest of the profile -> simulated runs ->
# fidelity and drift tests -> verdict -> report.
# The main job's workload is steady60 (about 6.5 minutes here); pass --gst-workloads tiny for
# a three-minute smoke run (too few requests for a decided verdict: INCONCLUSIVE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
workloads=(--gst-workloads steady60)
for arg in "$@"; do
    case "$arg" in --gst-workloads*) workloads=() ;; esac
done
exec .venv/bin/python -m pytest benchmarks -m cpu "${workloads[@]}" "$@"
