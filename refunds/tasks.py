"""Celery tasks: thin wrappers that take ids and call one service each."""

import random

from celery import shared_task

from payments.exceptions import GatewayUnavailable
from refunds.exceptions import RefundCallInFlight
from refunds.services import notifications, processing

# Tries of one refund's gateway call before it is FAILED (outcome unknown): waits of
# 10 s, 20 s, 40 s … capped at 10 minutes, about half an hour in all.
REFUND_MAX_RETRIES = 8
REFUND_BACKOFF_SECONDS = 10
REFUND_BACKOFF_MAX_SECONDS = 600
# SMTP and network failures (smtplib.SMTPException is an OSError): worth another try.
MAIL_ERRORS = (OSError,)


def backoff_seconds(retries: int) -> float:
    delay = min(REFUND_BACKOFF_SECONDS * 2**retries, REFUND_BACKOFF_MAX_SECONDS)
    # Jitter, so refunds that failed together do not all return together.
    return delay * random.uniform(0.8, 1.0)  # noqa: S311 - timing, not security


@shared_task(bind=True, name="refunds.process_refund", acks_late=True, max_retries=REFUND_MAX_RETRIES)
def process_refund(self, refund_pk: int) -> str:
    try:
        return processing.refund_process(refund_pk=refund_pk).state
    except (GatewayUnavailable, RefundCallInFlight) as exc:
        if self.request.retries >= self.max_retries:
            return processing.refund_give_up(refund_pk=refund_pk).state
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from None


@shared_task(name="refunds.resume_stuck", acks_late=True)
def resume_stuck() -> int:
    return processing.refunds_resume_stuck()


@shared_task(
    name="refunds.email_reviewers",
    acks_late=True,
    autoretry_for=MAIL_ERRORS,
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=5,
)
def email_reviewers(refund_pk: int) -> int:
    return notifications.refund_reviewers_email(refund_pk=refund_pk)


@shared_task(
    name="refunds.email_receipt",
    acks_late=True,
    autoretry_for=MAIL_ERRORS,
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=5,
)
def email_receipt(refund_pk: int) -> bool:
    return notifications.refund_receipt_email(refund_pk=refund_pk)
