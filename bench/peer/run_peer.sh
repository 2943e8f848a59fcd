#!/usr/bin/env bash
# Peer benchmark: Social Finance's cs-demand-model 0.5.1 in its own venv (it pins pandas<2,
# numpy<2), run on the same data and origins as bench/forecast_backtest.py.
# Usage: bash bench/peer/run_peer.sh [--data-dir DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import cs_demand_model" 2>/dev/null; then
  "$venv/bin/pip" install -q "cs-demand-model==0.5.1"
fi
exec "$venv/bin/python" "$here/run_peer.py" "$@"
