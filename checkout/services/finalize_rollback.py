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
from checkout.services.finalize import IN_FLIGHT, PENDING, payment_give_back
from checkout.services.inventory import session_holds_release
from checkout.services.lifecycle import session_touch, session_transition
from core.exceptions import Conflict, InvalidStateTransition

Status = CheckoutSession.Status
ROLLBACK_FROM = (Status.PAYMENT_PROCESSING, Status.FAILED)


@dataclass(frozen=True)
class RollbackResult:
    session: CheckoutSession
    holds_released: int
    payment: str


# A closing claim older than this belongs to a process presumed dead (as the deadline job
# presumes when it retries one).
CLAIM_PRESUMED_DEAD = timedelta(minutes=2)


def session_finalize_rollback(*, merchant_id: int, checkout_id: str, actor: str) -> RollbackResult:
    """Claims the session, gives the money back, then closes it; see the module docstring.

    Locks the session for the claim and again for the record, never during the payment
    call. Raises NotFound (404); Conflict `order_exists` (409) for a finalized session;
    InvalidStateTransition (409) from any status but payment_processing or failed;
    Conflict `payment_in_progress` (409, nothing changed) while a payment attempt runs.
    """
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        order = lock_session_order(session=session)
        if order is not None:
            raise Conflict(
                f"The session was finalized into order {order.public_id}; refund it instead.",
                code="order_exists",
            )
        if session.status not in ROLLBACK_FROM:
            raise InvalidStateTransition(
                f"A {session.status} session has no finalization to roll back.",
                explain="rollback applies to sessions in payment_processing or failed",
            )
        now = timezone.now()
        if session.closing_claimed_at is not None and session.closing_claimed_at > now - CLAIM_PRESUMED_DEAD:
            # A compensation or the deadline job is giving the money back right now.
            raise Conflict(
                "Another process is already closing this session; try again shortly.", code="closing_in_progress"
            )
        # From here finalize refuses the session, and the payment listener leaves it to us.
        session.closing_claimed_at = now
        session_touch(session, actor=actor, type="finalization.rollback_started")
        payment_intent_id = session.payment_intent_id

    outcome = payment_give_back(
        merchant_id=merchant_id,
        payment_intent_id=payment_intent_id,
        actor=actor,
        reason="The finalization was rolled back.",
    )

    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if outcome == IN_FLIGHT:
            session.closing_claimed_at = None
            session_touch(session, actor=actor, type="finalization.rollback_aborted", data={"payment": outcome})
            in_flight = True
        else:
            in_flight = False
            released = session_holds_release(session, actor=actor, reason="finalization rolled back")
            if outcome != PENDING:
                session.closing_claimed_at = None
            data = {"payment": outcome, "holds_released": released}
            session_touch(session, actor=actor, type="finalization.rolled_back", data=data)
            if session.status == Status.PAYMENT_PROCESSING:
                session_transition(session, "fail", actor=actor, data=data, reason="Finalization was rolled back.")
    if in_flight:
        # Raised after the commit: the abort stays on the timeline.
        raise Conflict("A payment attempt is still running; roll back once it has settled.", code="payment_in_progress")
    return RollbackResult(session=session, holds_released=released, payment=outcome)
