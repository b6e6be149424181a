from celery import shared_task

from checkout.services.sessions import sessions_expire_due


@shared_task(name="checkout.expire_sessions", acks_late=True)
def expire_sessions() -> int:
    return sessions_expire_due()
