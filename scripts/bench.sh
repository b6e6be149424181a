#!/usr/bin/env bash
# Benchmark on demand (not part of the tests): the whole checkout flow, gunicorn + one
# Celery worker + PostgreSQL + Redis on loopback. Arguments go to bench/checkout_bench.py
# (e.g. scripts/bench.sh --duration 30 --concurrency 4 16). `bench/run.py` is the older
# per-endpoint and memory benchmark: `scripts/bench.sh --api [its arguments]`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
. scripts/services.sh
ensure_venv requirements-dev.txt
ensure_postgres
ensure_redis
# BENCH_DB / BENCH_BROKER_URL: another database and Redis db when several benches share a server.
BENCH_DB=${BENCH_DB:-payments_bench}
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $BENCH_DB" >/dev/null
export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/$BENCH_DB
export CELERY_BROKER_URL=${BENCH_BROKER_URL:-redis://127.0.0.1:6379/0}
if [ "${1:-}" = "--api" ]; then
  shift
  exec .venv/bin/python bench/run.py "$@"
fi
exec .venv/bin/python bench/checkout_bench.py "$@"
