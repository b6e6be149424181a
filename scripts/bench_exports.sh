#!/usr/bin/env bash
# Export benchmark on demand (not part of the tests): 1,000,000 rows on PostgreSQL.
# Arguments go to bench/exports.py (e.g. scripts/bench_exports.sh --rows 200000 --format jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
. scripts/services.sh
ensure_venv requirements-dev.txt
ensure_postgres
DB=${BENCH_DB:-payments_bench_exports}
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" >/dev/null
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB" >/dev/null
export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/$DB
export APP_ENV=${APP_ENV:-local} DEBUG=false CELERY_TASK_ALWAYS_EAGER=true
exec .venv/bin/python bench/exports.py "$@"
