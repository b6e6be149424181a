#!/usr/bin/env bash
# The whole test suite on a fresh machine: dependencies, PostgreSQL, Redis, ruff, pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh tests/checkout -x).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
. scripts/services.sh

ensure_venv requirements-dev.txt
ensure_postgres
ensure_redis
ensure_chromium

export APP_ENV=test
export DATABASE_URL=${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/payments}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}

echo "==> ruff check"
.venv/bin/ruff check --output-format concise .
echo "==> pytest"
status=0
# Parallel processes (pytest-xdist), one file per process at a time so module fixtures are
# built once; each has its own test database and cache (see the settings). Much of the
# suite waits on workers, browsers and servers, so more processes than cores still pays.
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-3}" --dist loadfile "$@" || status=$?
# Exit 5 means no test was collected: that is a failure for us, never a silent pass.
exit "$status"
