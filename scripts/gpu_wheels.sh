#!/usr/bin/env bash
# Downloads the wheels a GPU run needs beside the GPU image's own packages (Python 3.12,
# torch 2.11, transformers 5.17, pytest, numpy/pandas/scipy/matplotlib, scikit-learn...) into
# one folder, for scripts/gpu_reference.sh to install with no index. Prints their total size:
# one run on the GPU machine may carry 64 MiB in all. Usage: scripts/gpu_wheels.sh [DIR]
# The set was found by blocking every import not on the image and running the sims: vidur and
# hydra, and what vidur.simulator imports at module level (wandb, plotly). transformers is left
# out: the suite supports the image's 5.17 (scripts/transformers_range.sh tests it).
# GST_WHEELS_PYTHON=3.11 makes the same set for this CPU's Python (the rehearsal).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-tmp/gpu-wheels}"
PYVER="${GST_WHEELS_PYTHON:-3.12}"
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
WHEELS=(
    vidur==0.0.26 hydra-core==1.3.8 omegaconf==2.3.1
    scikit-learn==1.9.1 joblib==1.6.0 cloudpickle==3.1.3 threadpoolctl==3.8.0
    narwhals==2.29.0 ddsketch==3.0.1 fasteners==0.20
    wandb==0.31.0 plotly==7.1.0 plotly-express==0.4.1 pydantic==2.14.4 pydantic-core==2.50.5
    protobuf==7.36.2 opentelemetry-api==1.45.2 xxhash==4.1.0 platformdirs==4.14.8
    typing-inspection==0.4.5 annotated-types==0.8.0 typing-extensions==4.16.0
)
PLATFORMS=()
for tag in manylinux_2_28 manylinux_2_27 manylinux_2_17 manylinux2014 manylinux1; do
    PLATFORMS+=(--platform "${tag}_x86_64")
done
rm -rf "$DIR"
mkdir -p "$DIR"
"${PIP[@]}" download --no-deps --only-binary=:all: --python-version "$PYVER" \
    --implementation cp "${PLATFORMS[@]}" -d "$DIR" "${WHEELS[@]}"
# antlr4-python3-runtime 4.9.3 (omegaconf's pin) is a source release only: build its wheel.
"${PIP[@]}" wheel --no-deps -w "$DIR" antlr4-python3-runtime==4.9.3
count=$(find "$DIR" -name '*.whl' | wc -l)
bytes=$(find "$DIR" -name '*.whl' -printf '%s\n' | awk '{s += $1} END {print s}')
awk -v b="$bytes" -v n="$count" -v d="$DIR" \
    'BEGIN {printf "%d wheels in %s: %.1f MiB (%d bytes; a GPU run carries at most 64 MiB)\n", n, d, b / 2^20, b}'
if [ "$bytes" -ge $((64 * 1024 * 1024)) ]; then
    echo "the wheels exceed 64 MiB: they cannot travel to the GPU machine" >&2
    exit 1
fi
