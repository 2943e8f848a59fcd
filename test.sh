#!/usr/bin/env bash
# Install everything the test suite needs and run all of it:
#   lint (ruff), the import contracts (import-linter), types (mypy), the tests on SQLite, the tests on
#   PostgreSQL. Tests run on two processes (pytest-xdist); each worker has its own database. Both runs
#   include the seeded, bounded Schemathesis fuzz of the OpenAPI document (tests/api/test_schemathesis.py).
# Works on a fresh Debian machine as root; set RCC_TEST_DATABASE_URL to use another PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3}
PG_URL=${RCC_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

log() { printf '\n== %s\n' "$*"; }

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "installing PostgreSQL (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  # the tests connect as postgres over 127.0.0.1 without a password, as this machine kind is set up
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if [ -f "$hba" ] && ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
  if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
    su postgres -c "createdb test" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres test
  fi
}

ensure_browser_tools() {
  # the browser tests drive Debian's Chromium with Playwright (never `playwright install`) and check
  # accessibility with axe-core from npm, kept in .test-tools
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Chromium (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -f .test-tools/node_modules/axe-core/axe.min.js ]; then
    if ! command -v npm >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq npm >/dev/null
    fi
    log "installing axe-core (npm) into .test-tools"
    mkdir -p .test-tools
    npm install --prefix .test-tools --silent --no-audit --no-fund axe-core@4 >/dev/null
  fi
}

log "installing the package and its test tools"
if [ ! -x .venv/bin/python ]; then "$PY" -m venv --system-site-packages .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
export PATH="$PWD/.venv/bin:$PATH"

log "ruff"
ruff check .
log "import contracts"
lint-imports
log "types (mypy; settings in pyproject.toml)"
mypy

log "tests on SQLite"
env -u RCC_TEST_DATABASE_URL python -m pytest -p no:warnings -n 2

log "database tests on PostgreSQL ($PG_URL), the web pages in Chromium among them"
ensure_postgres
ensure_browser_tools
RCC_TEST_DATABASE_URL="$PG_URL" python -m pytest -p no:warnings -n 2 tests/api tests/services  # the database-backed tests

log "system test on PostgreSQL: 2 API processes + 2 workers, one killed mid-job (starts and stops its own processes)"
RCC_TEST_DATABASE_URL="$PG_URL" python -m pytest -p no:warnings -s tests/system
# the browser journeys share one uvicorn and demo region per module: one process
RCC_TEST_DATABASE_URL="$PG_URL" python -m pytest -p no:warnings tests/web
