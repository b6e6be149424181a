#!/usr/bin/env bash
# Runs the whole product on embedded defaults: SQLite, a filesystem broker, web + worker +
# beat, and a demo merchant. Set DATABASE_URL / CELERY_BROKER_URL to use real services.
# PORT (default 8000; `make run PORT=8001`) moves the server and, unless PUBLIC_BASE_URL is
# set, every link it hands out (settings derive PUBLIC_BASE_URL from it).
set -euo pipefail
cd "$(dirname "$0")/.."
# Checked first: a typo should not wait for an install to be reported.
export PORT=${PORT:-8000}
if ! [[ $PORT =~ ^[0-9]{1,5}$ ]] || (( PORT < 1 || PORT > 65535 )); then
  echo "PORT must be a number from 1 to 65535, not '$PORT'" >&2
  exit 2
fi
. scripts/_venv.sh

ensure_venv requirements.txt
export APP_ENV=${APP_ENV:-local}
export WEBHOOKS_ALLOW_PRIVATE_URLS=${WEBHOOKS_ALLOW_PRIVATE_URLS:-true}
mkdir -p var/broker/processed var/broker/control
# Web and worker add their Prometheus counters up in one directory (multiprocess mode);
# last run's numbers are not this run's.
if [[ -z ${PROMETHEUS_MULTIPROC_DIR:-} ]]; then
  rm -rf var/metrics
  mkdir -p var/metrics
  export PROMETHEUS_MULTIPROC_DIR=$PWD/var/metrics
fi

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py bootstrap_demo
.venv/bin/python manage.py bootstrap_backoffice_demo
.venv/bin/python manage.py demo_checkout
.venv/bin/python manage.py ledger_demo

# Ctrl-C (or either process dying) stops everything this script started.
trap 'trap - INT TERM EXIT; kill 0 2>/dev/null; wait' INT TERM EXIT
.venv/bin/celery -A config worker --beat --loglevel INFO --concurrency 2 \
  --scheduler core.beat:HeartbeatScheduler \
  --schedule var/celerybeat-schedule &
.venv/bin/python manage.py runserver "127.0.0.1:$PORT" --noreload &
wait -n
