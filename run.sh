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
# The synthetic SSDA903 sample (one LA's five returns) as the first member LA's returns, so that
# forecasts, the gap and the sufficiency report have data; rows DfE's rules reject are quarantined.
FIRST_LA=$(python -c "import sys; from rcc.cli import first_member_la; print(first_member_la(sys.argv[1]))" "$REGION")
echo "== submitting the SSDA903 sample as $FIRST_LA's returns"
rcc returns submit-sample --la "$FIRST_LA" --quarantine | tail -n 5
echo
echo "== open http://127.0.0.1:$PORT/docs and use one of the keys above as the Bearer token"
exec rcc serve --host 127.0.0.1 --port "$PORT"
