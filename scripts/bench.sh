#!/usr/bin/env bash
# Benchmark on demand (not part of the tests): gunicorn + PostgreSQL on loopback.
# Arguments go to bench/run.py (e.g. scripts/bench.sh --flows 100 --soak 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
. scripts/services.sh
ensure_venv requirements-dev.txt
ensure_postgres
ensure_redis
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS payments_bench" >/dev/null
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE payments_bench" >/dev/null
export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/payments_bench
export CELERY_BROKER_URL=redis://127.0.0.1:6379/0
exec .venv/bin/python bench/run.py "$@"
