"""POST /sessions/{id}/finalize/async and the task behind it.

A job is queued under the session lock (a repeated request joins the queued or running
job: a partial unique constraint says there is at most one), its task is sent on commit,
and the task claims it queued → running with a compare-and-set, so a redelivered task
(acks_late) finds it taken. A job left `running` by a worker that died is claimed again
once STALE_AFTER has passed. The work itself is session_finalize, which is safe twice.
"""

import logging
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone

from checkout.failures import reason_for_finalization_error
from checkout.locks import lock_finalization_job, lock_session, lock_session_pk
from checkout.models import CheckoutSession, FinalizationJob
from checkout.services.finalize import session_finalize
from checkout.services.lifecycle import session_failure_mark, timeline_record
from core.exceptions import DomainError, ServiceUnavailable
from payments.exceptions import GatewayUnavailable

logger = logging.getLogger(__name__)

JobStatus = FinalizationJob.Status
STALE_AFTER = timedelta(minutes=10)
# Worth another try: the database or a provider may be back in a moment.
TRANSIENT = (DatabaseError, GatewayUnavailable, ServiceUnavailable)


class FinalizationRetry(Exception):
    """The job met a transient error and went back to `queued`; the task retries it."""


def finalization_job_create(
    *, merchant_id: int, checkout_id: str, actor: str, order_service_hint: dict | None = None
) -> FinalizationJob:
    """Queues the session's finalization, or returns the job already queued or running
    (which keeps the order_service_hint it was queued with).

    Locks the session. Raises NotFound (404). Everything else (not paid, wrong status)
    is found by the job and reported as its error.
    """
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        active = FinalizationJob.objects.filter(session=session, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        job = active.first()
        if job is not None:
            return job
        job = FinalizationJob.objects.create(
            merchant_id=merchant_id, session=session, actor=actor, order_service_hint=order_service_hint or {}
        )
        timeline_record(session, type="finalization.queued", actor=actor, data={"job_id": job.public_id})
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_pk: int) -> None:
    from checkout.tasks import run_finalization_job  # tasks import services, not the other way round

    run_finalization_job.delay(job_pk)


def _claim(job_pk: int, now) -> bool:
    """Two workers never run one job: the row lock (skipped, not awaited, when another
    worker holds it) decides, and the status moves only through the `start` transition.
    A RUNNING job is taken over only once its worker is presumed dead."""
    with transaction.atomic():
        job = lock_finalization_job(job_pk, skip_locked=True)
        if job is None:
            return False
        stale = job.status == JobStatus.RUNNING and job.started_at is not None and job.started_at <= now - STALE_AFTER
        if job.status != JobStatus.QUEUED and not stale:
            return False
        job.start(at=now)
        job.save()
    return True


def finalization_job_run(*, job_pk: int, last_try: bool = False) -> str:
    """Runs a queued job once; returns its status afterwards.

    Raises FinalizationRetry after a transient error (the job is queued again) unless
    `last_try`, when the job fails with that error instead.
    """
    if not _claim(job_pk, timezone.now()):
        job = FinalizationJob.objects.filter(pk=job_pk).only("status").first()
        return job.status if job else "missing"
    job = FinalizationJob.objects.select_related("session").get(pk=job_pk)
    try:
        result = session_finalize(
            merchant_id=job.merchant_id,
            checkout_id=job.session.public_id,
            actor=job.actor,
            order_service_hint=job.order_service_hint,
        )
    except TRANSIENT as exc:
        error = {"code": getattr(exc, "code", "temporarily_unavailable"), "message": str(exc)[:500]}
        logger.warning("finalization job %s: transient %s", job.public_id, error["code"])
        if last_try:
            return _finish(job_pk, error=error)
        _finish(job_pk, error=error, requeue=True)
        raise FinalizationRetry(error["code"]) from exc
    except DomainError as exc:
        return _finish(job_pk, error={"code": exc.code, "message": exc.message})
    return _finish(job_pk, order=result.order)


def _finish(job_pk: int, *, order=None, error=None, requeue=False) -> str:
    """Records the outcome under the session's lock, then the job's (house order)."""
    session_pk = FinalizationJob.objects.filter(pk=job_pk).values_list("session_id", flat=True).first()
    with transaction.atomic():
        session = lock_session_pk(session_pk)
        job = lock_finalization_job(job_pk)
        if job.status != JobStatus.RUNNING:
            return job.status
        now = timezone.now()
        if requeue:
            job.requeue(error=error)
        elif order is not None:
            job.succeed(order=order, at=now)
        else:
            job.fail(error=error, at=now)
            if session.status == CheckoutSession.Status.PAYMENT_PROCESSING:
                # Paid, not finalized: listed among the failures until a retry succeeds.
                session_failure_mark(session, reason_for_finalization_error(error["code"]))
        job.save()
        timeline_record(
            session,
            type=f"finalization.{job.status}",
            actor=job.actor,
            data={
                "job_id": job.public_id,
                **({"order_id": order.public_id} if order else {}),
                **({"error": error} if error else {}),
            },
        )
    return job.status
