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
