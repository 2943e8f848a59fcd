#!/usr/bin/env bash
# DfE's SSDA903 validator, csc-validator-be-903 0.1.17, in its own venv (it pins pandas<2 and
# numpy<1.25, which this project cannot share). bench/ssda903_diff.py calls this script with a
# JSON manifest on stdin; see bench/ssda903/run_dfe.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import lac_validator" 2>/dev/null; then
  "$venv/bin/pip" install -q "csc-validator-be-903==0.1.17" >&2
fi
exec "$venv/bin/python" "$here/run_dfe.py" "$@"
