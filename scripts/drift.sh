#!/usr/bin/env bash
# The CI drift gate, on the CPU, without a GPU and without timing anything real:
# Vidur simulates the committed workloads from the committed CPU profile, mirroring the
# committed real runs (their output lengths and scheduler settings); each simulated artifact
# must equal its committed baseline in reports/baselines/ (exact), and its fidelity against
# the committed real artifact is judged and reported (configs/gate/drift.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
REFERENCE=reports/cpu-reference/store
WORK=tmp/drift
if [ ! -d "$REFERENCE" ]; then
    echo "no committed reference store at $REFERENCE; see reports/cpu-reference/README.md" >&2
    exit 2
fi
rm -rf "$WORK"
mkdir -p "$WORK"
cp -r "$REFERENCE"/. "$WORK"/
exec "${GST_PYTHON:-.venv/bin/python}" -m pytest benchmarks -m "(sim or fidelity or drift) and cpu" \
    --gst-workloads tiny,steady100,paced100 \
    --gst-out "$WORK" --gst-set gate=drift -p no:cacheprovider "$@"
