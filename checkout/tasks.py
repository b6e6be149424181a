from celery import shared_task

from checkout.services.inventory import reservations_expire_lapsed
from checkout.services.sessions import sessions_expire_due


@shared_task(name="checkout.expire_sessions", acks_late=True)
def expire_sessions() -> int:
    return sessions_expire_due()


@shared_task(name="checkout.tidy_reservations", acks_late=True)
def tidy_reservations() -> int:
    # Bookkeeping only: lapsed holds already stopped counting against stock.
    return reservations_expire_lapsed()
