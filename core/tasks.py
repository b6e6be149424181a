from celery import shared_task

from core.idempotency import idempotency_keys_prune


@shared_task(name="core.prune_idempotency_keys", acks_late=True)
def prune_idempotency_keys() -> int:
    return idempotency_keys_prune()
