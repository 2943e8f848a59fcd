#!/usr/bin/env bash
# Install the service, load the demo region and serve it on the embedded SQLite default.
#   REGION="London" SEED=2 PORT=8000 ./run.sh
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
REGION=${REGION:-North East}
SEED=${SEED:-1}
PORT=${PORT:-8000}

if [ ! -x .venv/bin/python ]; then "$PY" -m venv --system-site-packages .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
export PATH="$PWD/.venv/bin:$PATH"

echo "== loading the demo region '$REGION' (seed $SEED) into ${RCC_DATABASE_URL:-var/rcc.db}"
rcc demo --region "$REGION" --seed "$SEED"
# `rcc demo` also stores every member LA's SSDA903 returns (five collection years up to the last
# 31 March, simulated from the same children as the register), so forecasts and the gap cover them all.
FIRST_LA=$(python -c "import sys; from rcc.cli import first_member_la; print(first_member_la(sys.argv[1]))" "$REGION")
echo "== demo sign-ins for the web pages (password: demo password 2026)"
for who in "officer@demo.rcc la_officer --la $FIRST_LA" "data@demo.rcc la_officer --la $FIRST_LA" \
           "commissioner@demo.rcc rcc_commissioner --rcc 1" "provider@demo.rcc provider --provider 1"; do
  set -- $who
  echo "demo password 2026" | rcc user create "$1" --role "$2" "$3" "$4" --password-stdin 2>/dev/null || true
done
echo
echo "== sign in at http://127.0.0.1:$PORT/ as officer@, data@, commissioner@ or provider@demo.rcc;"
echo "   the API: http://127.0.0.1:$PORT/docs with one of the keys above as the Bearer token"
export RCC_WEB_COOKIE_SECURE=${RCC_WEB_COOKIE_SECURE:-false}  # plain http on loopback only
exec rcc serve --host 127.0.0.1 --port "$PORT"
