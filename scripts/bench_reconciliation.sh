#!/usr/bin/env bash
# Reconciliation benchmark on demand (not part of the tests): 100,000 lines on PostgreSQL.
# Arguments go to bench/reconciliation.py (e.g. scripts/bench_reconciliation.sh --lines 20000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
. scripts/services.sh
ensure_venv requirements-dev.txt
ensure_postgres
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS payments_bench_reconciliation" >/dev/null
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE payments_bench_reconciliation" >/dev/null
export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/payments_bench_reconciliation
export APP_ENV=${APP_ENV:-local} DEBUG=false CELERY_TASK_ALWAYS_EAGER=true
exec .venv/bin/python bench/reconciliation.py "$@"
