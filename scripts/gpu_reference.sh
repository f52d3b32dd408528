#!/usr/bin/env bash
# The first run on a GPU machine (no index there): installs the wheels scripts/gpu_wheels.sh
# downloaded, prints the device and the versions, detects the hardware id, runs the main job
# on `tiny` and `gpu200`, and packs the store and the report into at most 8 files in OUT.
#   scripts/gpu_reference.sh [OUT]        (default: $OUT, else tmp/gpu-reference)
# GST_PYTHON: the interpreter that holds torch (python3); GST_WHEELS: the wheels folder
# (tmp/gpu-wheels); GST_WORKLOADS: the workloads (tiny,gpu200); extra pytest args after --.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST="${1:-${OUT:-tmp/gpu-reference}}"
shift $(($# > 0 ? 1 : 0))
[ "${1:-}" = "--" ] && shift
PY="${GST_PYTHON:-python3}"
WHEELS="${GST_WHEELS:-tmp/gpu-wheels}"
WORKLOADS="${GST_WORKLOADS:-tiny,gpu200}"
SITE="tmp/gpu-site"
mkdir -p "$DEST"
DEST="$(cd "$DEST" && pwd)"
if ! ls "$WHEELS"/*.whl >/dev/null 2>&1; then
    echo "no wheels in $WHEELS: run scripts/gpu_wheels.sh $WHEELS where pip has an index" >&2
    exit 2
fi

rm -rf "$SITE"
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" \
    "$WHEELS"/*.whl
# The suite itself: its two packages under their installed names, from this checkout.
ln -s "$PWD/plugin" "$SITE/gst_compare"
ln -s "$PWD/fixtures" "$SITE/gst_bench"
export PYTHONPATH="$PWD/$SITE:$PWD"

"$PY" - >"$DEST/environment.txt" <<'EOF'
import pathlib

import yaml

from gst_bench.device.hardware import detect
from gst_compare import provenance

presets = {p.stem: yaml.safe_load(p.read_text()) for p in pathlib.Path("configs/hardware").glob("*.yaml")}
device = detect(presets)
print(f"hardware_id={device.hardware_id}")
print(f"device={device.name}")
for name, version in provenance.versions().items():
    print(f"{name}={version}")
import torch

if torch.cuda.is_available():
    props = torch.cuda.get_device_properties(0)
    print(f"cuda={torch.version.cuda} memory_gib={props.total_memory / 2**30:.1f}")
EOF
cat "$DEST/environment.txt"
HW=$(sed -n 's/^hardware_id=//p' "$DEST/environment.txt")
if [ ! -f "configs/hardware/$HW.yaml" ]; then
    echo "no configs/hardware preset matches this device ($(sed -n 's/^device=//p' "$DEST/environment.txt")):" \
        "add configs/hardware/<id>.yaml with its cuda_name (see h200.yaml)" >&2
    exit 2
fi

RUN="$DEST/run"
set +e
PYTHONUNBUFFERED=1 "$PY" -m pytest benchmarks -m "$HW" --gst-workloads "$WORKLOADS" \
    --gst-out "$RUN" -p no:cacheprovider "$@" 2>&1 | tee "$DEST/pytest.log"
status=${PIPESTATUS[0]}
set -e
# Pack: the store (artifacts, profiles, reports) in one archive, the newest report beside it.
if [ -d "$RUN" ]; then
    report=$(find "$RUN" -name report.md -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
    if [ -n "$report" ]; then
        cp "$report" "$DEST/report.md"
    fi
    tar -czf "$DEST/store.tar.gz" -C "$DEST" run
    rm -rf "$RUN"
fi
echo "main job exit status $status; packed into $DEST: $(ls "$DEST" | tr '\n' ' ')"
exit "$status"
