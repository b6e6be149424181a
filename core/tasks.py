from celery import shared_task

from core.idempotency import idempotency_keys_prune


@shared_task(name="core.prune_idempotency_keys", acks_late=True)
def prune_idempotency_keys() -> int:
    return idempotency_keys_prune()


@shared_task(name="core.heartbeat", acks_late=True, ignore_result=True)
def heartbeat() -> None:
    """Sent by beat every 30 s: the worker that runs it is alive and keeps up."""
    import socket

    from core.heartbeats import WORKER, heartbeat_record

    heartbeat_record(WORKER, detail={"hostname": socket.gethostname()})
