#!/usr/bin/env bash
# Create bench/mintpy-env: a separate venv with MintPy, the peer time-series package the Sydney benchmark row
# runs beside sarlake. Kept out of the project's uv.lock on purpose: MintPy is a benchmark reference, not a
# dependency, and `make test` never needs it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
UV="$(command -v uv 2>/dev/null || echo "$ROOT/.tools/bin/uv")"
ENV="$HERE/mintpy-env"
export UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
if [[ ! -x "$ENV/bin/python" ]]; then
  "$UV" venv --python "${PYTHON_BIN:-python3.11}" "$ENV"
fi
"$UV" pip install --python "$ENV/bin/python" "mintpy==1.6.4"
"$ENV/bin/python" -c "import mintpy, h5py; print('mintpy', mintpy.__version__)"
