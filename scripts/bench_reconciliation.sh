#!/usr/bin/env bash
# Reconciliation benchmark on demand (not part of the tests): 100,000 lines on PostgreSQL.
# Arguments go to bench/reconciliation.py (e.g. scripts/bench_reconciliation.sh --lines 20000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
. scripts/services.sh
ensure_venv requirements-dev.txt
ensure_postgres
# BENCH_DB names the database (recreated), so runs on a shared server do not clash.
BENCH_DB=${BENCH_DB:-payments_bench_reconciliation}
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $BENCH_DB" >/dev/null
export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/$BENCH_DB
export APP_ENV=${APP_ENV:-local} DEBUG=false CELERY_TASK_ALWAYS_EAGER=true
exec .venv/bin/python bench/reconciliation.py "$@"
