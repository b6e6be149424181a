import pytest

from core.models import IdempotencyKey
from core.tasks import prune_idempotency_keys
from tests.celery_worker import wait_until
from tests.factories import MerchantFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_the_prune_task(celery_worker):
    merchant = MerchantFactory()
    old = IdempotencyKey.objects.create(
        merchant=merchant, key="k", request_method="POST", request_path="/", request_fingerprint="f",
        locked_at="2000-01-01T00:00Z",
    )  # fmt: skip
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at="2000-01-01T00:00Z")
    result = prune_idempotency_keys.delay()
    assert result.id
    wait_until(lambda: not IdempotencyKey.objects.filter(pk=old.pk).exists())
    assert "core.prune_idempotency_keys" in celery_worker.log_file.read_text()


@pytest.fixture
def worker_keeping_connections(monkeypatch, request):
    # As in production: connections kept for a minute, checked before reuse.
    monkeypatch.setenv("DB_CONN_MAX_AGE", "60")
    # Connections an earlier test of this process left open are not the worker's.
    leftover = {pid for pid, _ in _other_backends()}
    worker = request.getfixturevalue("celery_worker")
    worker.leftover_backends = leftover
    return worker


def _other_backends():
    """Client connections to the test database other than this test's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND client_port IS NOT NULL AND backend_type = 'client backend'"
        )
        return cursor.fetchall()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_keeps_its_database_connection_between_tasks(worker_keeping_connections):
    """CONN_MAX_AGE holds in the worker: tasks reuse one connection instead of opening
    (and closing) one each, which at peak costs a PostgreSQL backend start per task."""
    for _ in range(3):
        prune_idempotency_keys.delay()
    log = worker_keeping_connections.log_file
    wait_until(lambda: log.read_text().count("succeeded") >= 3)
    leftover = worker_keeping_connections.leftover_backends
    backends = [(pid, started) for pid, started in _other_backends() if pid not in leftover]
    # Closed after each task, no worker connection would remain; kept, exactly one stays.
    assert len(backends) == 1, backends
