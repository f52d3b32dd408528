#!/usr/bin/env bash
# The CI drift gate, on the CPU, without a GPU and without timing anything real:
# 1. Vidur (and the naive baseline) simulate the committed workloads from the committed CPU
#    profile, mirroring the committed real runs (output lengths and scheduler settings); each
#    simulated artifact must equal its committed baseline in reports/baselines/ (exact);
# 2. the re-judged reference must reproduce the committed report's figures and hold every claim
#    of reports/cpu-reference/claims.yaml (python -m gst_compare.claims).
set -euo pipefail
cd "$(dirname "$0")/.."
REFERENCE=reports/cpu-reference
WORK=tmp/drift
PYTHON="${GST_PYTHON:-.venv/bin/python}"
if [ ! -d "$REFERENCE/store" ]; then
    echo "no committed reference store at $REFERENCE/store; see $REFERENCE/README.md" >&2
    exit 2
fi
rm -rf "$WORK"
mkdir -p "$WORK"
cp -r "$REFERENCE/store"/. "$WORK"/
status=0
"$PYTHON" -m pytest benchmarks -m "(sim or fidelity or drift) and cpu" \
    --gst-workloads tiny,steady60,heldout_bursty,heldout_longprompt,heldout_nearcap,loadsweep \
    --gst-out "$WORK" --gst-set gate=drift -p no:cacheprovider "$@" || status=$?
case " $* " in *" --gst-accept-baseline "*) exit "$status" ;; esac
"$PYTHON" -m gst_compare.claims "$WORK/reports/latest/comparison.json" \
    --reference "$REFERENCE/report/comparison.json" --claims "$REFERENCE/claims.yaml" || status=1
exit "$status"
