"""Scheduled upkeep: expiring what waited too long, settling calls left without an answer."""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.exceptions import DomainError
from fraud.selectors import review_for_payment
from fraud.services import review_close
from payments.locks import lock_next_due
from payments.models import PaymentAttempt, PaymentTransaction, State
from payments.services.confirm import call_is_stale, payment_sync
from payments.services.log import payment_transition
from payments.services.operations import operation_claim, operation_run, payment_release
from payments.services.outcomes import attempts_cancel_open
from payments.services.returns import payment_return_run

logger = logging.getLogger(__name__)
Status = PaymentAttempt.Status
BATCH = 200


def payments_expire_due(*, now=None, batch_size: int = BATCH) -> int:
    """Expires intents stuck in REQUIRES_ACTION past the 3-D Secure timeout and
    authorizations past their validity, each in its own short transaction (skip_locked,
    so several workers may run it), then voids them at the gateway, outside it."""
    now = now or timezone.now()
    due = PaymentTransaction.objects.filter(
        Q(state=State.REQUIRES_ACTION, action_expires_at__lte=now)
        | Q(state=State.AUTHORIZED, authorization_expires_at__lte=now, pending_operation="")
    ).order_by("id")
    expired = []
    for _ in range(batch_size):
        with transaction.atomic():
            payment = lock_next_due(due)
            if payment is None:
                break
            why = (
                "3-D Secure was not completed in time."
                if payment.state == State.REQUIRES_ACTION
                else ("The authorization lapsed.")
            )
            held = payment.attempts.exclude(gateway_reference="").exists()
            attempts_cancel_open(payment, at=now)
            payment.release_pending = held
            payment_transition(payment, "expire", actor="system:expiry", reason=why)
            _close_lapsed_review(payment)
            expired.append(payment.pk)
    for pk in expired:
        payment_release(payment_pk=pk, actor="system:expiry")
    if expired:
        logger.info("expired %s payment intents", len(expired))
    return len(expired)


def _close_lapsed_review(payment: PaymentTransaction) -> None:
    """A review nobody decided before the authorization lapsed closes as refused: the
    money is released with the expiry, never captured later."""
    review = review_for_payment(merchant_id=payment.merchant_id, payment_intent_id=payment.public_id)
    if review is not None and review.is_open_review:
        review_close(
            merchant_id=payment.merchant_id,
            assessment_id=review.public_id,
            approve=False,
            lapsed=True,
            actor="system:expiry",
            reason="The authorization lapsed before the review was decided.",
        )


def payments_settle_open(*, now=None, batch_size: int = BATCH) -> int:
    """The janitor: asks the gateway about attempts left pending or unknown (a process
    died between call and record, a timeout), retries releases and captures that got no
    answer. Each repeat uses the stored key, so nothing is charged twice."""
    now = now or timezone.now()
    settled = 0
    open_attempts = PaymentAttempt.objects.filter(
        Q(status=Status.UNKNOWN) | Q(status__in=[Status.PENDING, Status.PROCESSING])
    ).order_by("claimed_at")[:batch_size]
    for attempt in open_attempts:
        if attempt.status != Status.UNKNOWN and not call_is_stale(attempt.claimed_at):
            continue
        # Compare-and-set, so two janitors never ask about the same attempt at once.
        if not PaymentAttempt.objects.filter(pk=attempt.pk, claimed_at=attempt.claimed_at).update(claimed_at=now):
            continue
        try:
            payment_sync(payment_pk=attempt.transaction_id, actor="system:janitor", source="janitor", claimed=True)
            settled += 1
        except DomainError as exc:
            logger.warning("janitor could not settle %s: %s", attempt.public_id, exc.code)
    for pk in PaymentTransaction.objects.filter(release_pending=True).values_list("pk", flat=True)[:batch_size]:
        settled += payment_release(payment_pk=pk, actor="system:janitor")
    settled += _resume_operations(batch_size=batch_size)
    settled += payments_return_due(batch_size=batch_size)
    settled += _settle_splits(now=now, batch_size=batch_size)
    settled += _settle_bnpl_applications(now=now, batch_size=batch_size)
    return settled


def _settle_splits(*, now, batch_size: int) -> int:
    from payments.wallet.split import splits_settle_stuck

    return splits_settle_stuck(now=now, batch_size=batch_size)


def _settle_bnpl_applications(*, now, batch_size: int) -> int:
    from payments.bnpl.services.applications import applications_retry_unanswered

    return applications_retry_unanswered(now=now, batch_size=batch_size)


def payments_return_due(*, batch_size: int = BATCH) -> int:
    """Gives back the payments marked for return (their payable closed under them) whose
    attempt has settled since; one still in flight waits for the next run."""
    returned = 0
    due = PaymentTransaction.objects.filter(return_requested_at__isnull=False).order_by("return_requested_at")
    for pk in list(due.values_list("pk", flat=True)[:batch_size]):
        try:
            returned += payment_return_run(payment_pk=pk, actor="system:janitor")
        except DomainError as exc:
            logger.warning("janitor could not give back payment %s: %s", pk, exc.code)
    return returned


def _resume_operations(*, batch_size: int) -> int:
    """Finishes captures, voids and refunds whose process died after claiming them: the
    claimed key is repeated, so the gateway does the operation at most once. Until then
    the claim blocks every other operation on the payment."""
    resumed = 0
    stalled = (
        PaymentTransaction.objects.exclude(pending_operation="")
        .order_by("pending_operation_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    for pk in stalled:
        with transaction.atomic():
            payment = lock_next_due(PaymentTransaction.objects.filter(pk=pk).exclude(pending_operation=""))
            if payment is None:
                continue
            claimed_at = payment.pending_operation_at
            if claimed_at is not None and not call_is_stale(claimed_at):
                continue  # its request may still be calling the gateway
            kind = payment.pending_operation
            operation = operation_claim(payment, kind, payment.pending_operation_amount, actor="system:janitor")
        try:
            operation_run(operation, actor="system:janitor")
            resumed += 1
        except DomainError as exc:
            logger.warning("janitor could not finish the %s of %s: %s", kind, payment.public_id, exc.code)
    return resumed
