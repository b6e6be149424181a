from celery import shared_task

from checkout.services import deadlines, finalize_jobs
from checkout.services.inventory import reservations_expire_lapsed
from checkout.services.sessions import sessions_expire_due


@shared_task(name="checkout.expire_sessions", acks_late=True)
def expire_sessions() -> int:
    return sessions_expire_due()


@shared_task(name="checkout.tidy_reservations", acks_late=True)
def tidy_reservations() -> int:
    # Bookkeeping only: lapsed holds already stopped counting against stock.
    return reservations_expire_lapsed()


@shared_task(name="checkout.enforce_deadlines", acks_late=True)
def enforce_deadlines() -> int:
    return deadlines.sessions_enforce_deadlines()


@shared_task(name="checkout.finalize_paid", acks_late=True)
def finalize_paid() -> int:
    return deadlines.sessions_finalize_paid()


FINALIZE_MAX_RETRIES = 5


@shared_task(name="checkout.run_finalization_job", bind=True, acks_late=True, max_retries=FINALIZE_MAX_RETRIES)
def run_finalization_job(self, job_pk: int) -> str:
    last_try = self.request.retries >= FINALIZE_MAX_RETRIES
    try:
        return finalize_jobs.finalization_job_run(job_pk=job_pk, last_try=last_try)
    except finalize_jobs.FinalizationRetry as exc:
        # Capped exponential backoff: 5 s, 10 s, 20 s … at most 5 minutes.
        raise self.retry(exc=exc, countdown=min(5 * 2**self.request.retries, 300)) from exc


@shared_task(name="checkout.send_order_confirmation", bind=True, acks_late=True, max_retries=5)
def send_order_confirmation(self, order_pk: int) -> bool:
    from checkout.services.confirmation import order_confirmation_send

    try:
        return order_confirmation_send(order_pk=order_pk)
    except OSError as exc:
        # SMTP unreachable or refused: the claim was given back, so a retry sends it.
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 600)) from exc


@shared_task(name="checkout.resend_order_receipt", bind=True, acks_late=True, max_retries=5)
def resend_order_receipt(self, order_pk: int, request_event_pk: int) -> bool:
    from checkout.services.support import order_receipt_resend_send

    try:
        return order_receipt_resend_send(order_pk=order_pk, request_event_pk=request_event_pk)
    except OSError as exc:
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 600)) from exc
