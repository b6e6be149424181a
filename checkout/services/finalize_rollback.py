"""POST /sessions/{id}/finalize/rollback: undo what a finalization that did not complete
left behind. Best effort, every step on the session's timeline.

What it undoes, in order:
  1. the session's active stock hold is released (nothing is decremented yet: stock is
     only committed inside the finalize transaction, together with the order);
  2. the money: an authorization is voided, an unconfirmed intent canceled, a capture
     refunded in full, through payments and outside any transaction;
  3. a session still in payment_processing fails with "Finalization was rolled back."
     (a session that already failed keeps its status and reason).
What it never needs to undo: an order, a stock commit or a promotion use, because
finalize makes them in one transaction that either commits all of them or none.
A completed session (it has an order) is refused with 409 `order_exists`: undoing a
delivered order is a refund, which has approval rules of its own.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from checkout.locks import lock_session, lock_session_order
from checkout.models import CheckoutSession
from checkout.models.session import CLOSE_FAIL
from checkout.services.closing import REOPEN, session_close_claim, session_close_run
from checkout.services.finalize import IN_FLIGHT
from checkout.services.lifecycle import timeline_record
from core.exceptions import Conflict, InvalidStateTransition

Status = CheckoutSession.Status
ROLLBACK_FROM = (Status.PAYMENT_PROCESSING, Status.FAILED)
REASON = "Finalization was rolled back."


@dataclass(frozen=True)
class RollbackResult:
    session: CheckoutSession
    holds_released: int
    payment: str


# A closing claim older than this belongs to a process presumed dead (as the deadline job
# presumes when it resumes one).
CLAIM_PRESUMED_DEAD = timedelta(minutes=2)


def session_finalize_rollback(*, merchant_id: int, checkout_id: str, actor: str) -> RollbackResult:
    """Claims the session for closing, gives the money back, then closes it; see the
    module docstring. Through the close service (checkout.services.closing).

    Locks the session for the claim and again for the record, never during the payment
    call. Raises NotFound (404); Conflict `order_exists` (409) for a finalized session;
    InvalidStateTransition (409) from any status but payment_processing or failed;
    Conflict `closing_in_progress` (409) while another process closes it; Conflict
    `payment_in_progress` (409, the session reopened) while a payment attempt runs.
    """
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        order = lock_session_order(session=session)
        if order is not None:
            raise Conflict(
                f"The session was finalized into order {order.public_id}; refund it instead.",
                code="order_exists",
            )
        resume = False
        if session.status == Status.CLOSING:
            claimed = session.closing_claimed_at
            if claimed is not None and claimed > timezone.now() - CLAIM_PRESUMED_DEAD:
                # A compensation or the deadline job is giving the money back right now.
                raise Conflict(
                    "Another process is already closing this session; try again shortly.", code="closing_in_progress"
                )
            resume = True  # its closer died: finish its give-back, with its keys
        elif session.status not in ROLLBACK_FROM:
            raise InvalidStateTransition(
                f"A {session.status} session has no finalization to roll back.",
                explain="rollback applies to sessions in payment_processing or failed",
            )
        else:
            timeline_record(session, type="finalization.rollback_started", actor=actor)
            session_close_claim(session, kind=CLOSE_FAIL, reason=REASON, actor=actor)
        session_pk = session.pk

    result = session_close_run(session_pk=session_pk, actor=actor, on_in_flight=REOPEN)
    data = {"payment": result.payment, "holds_released": result.released}
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if result.payment == IN_FLIGHT and not result.closed:
            timeline_record(session, type="finalization.rollback_aborted", actor=actor, data=data)
        else:
            timeline_record(session, type="finalization.rolled_back", actor=actor, data={**data, "resumed": resume})
    if result.payment == IN_FLIGHT and not result.closed:
        # Raised after the commit: the abort stays on the timeline.
        raise Conflict("A payment attempt is still running; roll back once it has settled.", code="payment_in_progress")
    return RollbackResult(session=session, holds_released=result.released, payment=result.payment)
