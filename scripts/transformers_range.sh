#!/usr/bin/env bash
# Runs the real-backend tests under the lowest transformers 5.x the suite supports (5.17.0, the
# GPU image's), in a second venv: .venv has the newest. Usage: scripts/transformers_range.sh [pytest args]
# transformers 5.17 needs huggingface-hub < 2 (5.24 takes 2.x), pinned here only.
set -euo pipefail
cd "$(dirname "$0")/.."
LOWEST="${GST_LOWEST_TRANSFORMERS:-5.17.0}"
VENV="tmp/venv-tf${LOWEST%.*}"
PYTHON="${PYTHON:-python3}"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"${PIP[@]}" install "${GST_TORCH_SPEC:-torch==2.13.0}"
"${PIP[@]}" install -e ".[test]" "transformers==$LOWEST" "huggingface-hub>=1.5,<2"
"$VENV/bin/python" -c "import transformers; print('transformers', transformers.__version__)"
# -p no:cacheprovider: the second venv must not rewrite .venv's .pytest_cache
exec "$VENV/bin/python" -m pytest tests/real -q -p no:cacheprovider "$@"
