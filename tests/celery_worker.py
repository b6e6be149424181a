"""A real Celery worker for tests about scheduling and retries.

Use the `celery_worker` fixture with `@pytest.mark.django_db(transaction=True)`: the worker
is a separate process on the test database and Redis, so it only sees committed rows.
Each use gets its own queue, so parallel runs never steal each other's tasks.
"""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

# A worker imports the whole project before it says "ready.": about 20 s on a loaded
# two-core machine, so the bound leaves room for worse.
WORKER_START_TIMEOUT = 90


def _database_url():
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue, log_file, *, also=()):
    """A worker process on the test database and Redis, consuming `queue` (its default
    queue, where the tasks it sends go) and the queues named in `also`; returns once it is
    ready (bounded wait) or raises with its log."""
    return wait_ready(spawn_worker(queue, log_file, also=also))


def spawn_worker(queue, log_file, *, also=()):
    """start_worker without the wait: several workers start side by side, then
    `wait_ready` each (their start-ups overlap instead of adding up)."""
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            ",".join([queue, *also]),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],  # fmt: skip
        env=env,
        stdout=log_file.open("w"),
        stderr=subprocess.STDOUT,
    )
    process.log_file = log_file
    process.queue = queue
    process.started_at = time.monotonic()
    return process


def wait_ready(process):
    deadline = process.started_at + WORKER_START_TIMEOUT
    while "ready." not in process.log_file.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"Celery worker did not start:\n{process.log_file.read_text()}")
        time.sleep(0.2)
    return process


def stop_worker(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:12]}"
    process = start_worker(queue, tmp_path / "worker.log")
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        stop_worker(process)


def wait_until(predicate, *, timeout=30.0, interval=0.2, explain=None):
    """Polls `predicate` until it is truthy or `timeout` seconds pass (bounded, never forever).
    `explain()`: what the failure message should show (a worker's log, say)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s" + (f"\n{explain()}" if explain else ""))
