"""The one way a session with money on it is closed: claim → give back → record.

The deadline job (expire), a finalization that failed after payment (fail) and a rollback
(fail) all come here:
  1. claim, in the caller's short transaction under the session lock: the session moves
     to `closing` (an FSM state, so finalize, a new intent and a confirm all refuse it:
     payments asks checkout's payable check under the same session lock before any
     confirm), remembering the intent it is giving back and how it will end;
  2. give back, with no transaction open: payments voids, cancels or refunds the intent
     under its stored idempotency key;
  3. record, in a short transaction under the lock, the state re-checked: the session
     ends (expired, failed, canceled) against the intent it gave back, its holds released.
An attempt still in flight when the money was to go back is the caller's choice: the
deadline job and a rollback reopen the session (the payment decides); a failed
finalization closes it anyway and asks payments to give the money back once the attempt
settles (the janitor). No answer from the gateway leaves the session `closing`, and the
deadline job resumes it with the same keys.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from checkout.locks import lock_session_pk
from checkout.models import CheckoutSession
from checkout.models.session import CLOSE_CANCEL, CLOSE_EXPIRE, CLOSE_FAIL
from checkout.services.inventory import session_holds_release
from checkout.services.lifecycle import session_touch, session_transition
from payments.services.returns import (
    IN_FLIGHT,
    PENDING,
    payment_intent_give_back,
    payment_return_request,
)

logger = logging.getLogger(__name__)
Status = CheckoutSession.Status

# What to do when an attempt is still running at the gateway.
REOPEN = "reopen"
LEAVE_TO_JANITOR = "leave_to_janitor"
TRANSITIONS = {CLOSE_EXPIRE: "expire", CLOSE_FAIL: "fail", CLOSE_CANCEL: "cancel"}


@dataclass(frozen=True)
class CloseResult:
    session: CheckoutSession
    payment: str  # what the money did (payments.services.returns outcomes)
    closed: bool  # the session reached its end state in this run
    released: int = 0


def session_close_claim(
    session: CheckoutSession, *, kind: str, reason: str, actor: str, data=None, failure_code: str = ""
) -> None:
    """Step 1. The caller holds the session's lock in its open transaction.
    `failure_code` (checkout.failures) lists the session as failed from the claim on.
    Raises InvalidStateTransition (409) from a status that cannot close."""
    if failure_code:
        session.failure_code = failure_code  # saved by the transition
    session_transition(
        session,
        "begin_closing",
        actor=actor,
        data={"closing": kind, "payment_intent_id": session.payment_intent_id, **(data or {})},
        kind=kind,
        reason=reason,
        at=timezone.now(),
    )


def session_close_run(*, session_pk: int, actor: str, on_in_flight: str = LEAVE_TO_JANITOR) -> CloseResult:
    """Steps 2 and 3 for a claimed session; also resumes a claim whose worker died.

    No transaction may be open. Locks the session only to record, never during the call.
    """
    session = CheckoutSession.objects.get(pk=session_pk)
    outcome = payment_intent_give_back(
        merchant_id=session.merchant_id,
        payment_intent_id=session.closing_intent_id,
        actor=actor,
        reason=session.closing_reason or "The checkout session was closed.",
    )
    return _record(session_pk, outcome, actor=actor, on_in_flight=on_in_flight)


def _record(session_pk: int, outcome: str, *, actor: str, on_in_flight: str) -> CloseResult:
    with transaction.atomic(durable=True):
        session = lock_session_pk(session_pk)
        if session.status != Status.CLOSING:
            return CloseResult(session=session, payment=outcome, closed=False)
        data = {"payment": outcome, "payment_intent_id": session.closing_intent_id}
        if session.payment_intent_id != session.closing_intent_id:
            # Cannot happen while intents are refused on a closing session; if it ever
            # does, the new intent is given back by the next resume, never closed over.
            session.closing_intent_id = session.payment_intent_id
            session.closing_claimed_at = timezone.now()
            session_touch(session, actor=actor, type="closing.intent_changed", data=data)
            return CloseResult(session=session, payment=outcome, closed=False)
        if outcome == PENDING:
            # Still closing: the deadline job resumes it after a while, same keys.
            session.closing_claimed_at = timezone.now()
            session_touch(session, actor=actor, type="closing.pending", data=data)
            return CloseResult(session=session, payment=outcome, closed=False)
        if outcome == IN_FLIGHT:
            if on_in_flight == REOPEN:
                session_transition(session, "reopen", actor=actor, data=data, announce=False)
                return CloseResult(session=session, payment=outcome, closed=False)
            # Closed all the same; payments gives the money back once the attempt settles.
            payment_return_request(
                merchant_id=session.merchant_id,
                payment_intent_id=session.closing_intent_id,
                actor=actor,
                reason=session.closing_reason or "The checkout session was closed.",
            )
        released = session_holds_release(session, actor=actor, reason=f"session closing: {session.closing_kind}")
        data["holds_released"] = released
        kind, came_from, reason = session.closing_kind, session.closing_from, session.closing_reason
        if kind == CLOSE_FAIL and came_from == Status.FAILED:
            # A rollback of a session that had already failed: it stays failed, announced once.
            session_transition(session, "reopen", actor=actor, data=data, announce=False)
        else:
            session_transition(session, TRANSITIONS[kind], actor=actor, data=data, reason=reason)
    return CloseResult(session=session, payment=outcome, closed=True, released=released)


def sessions_close_resume(*, older_than, actor: str, batch_size: int) -> int:
    """Resumes closings whose give-back got no answer or whose worker died; returns how
    many sessions it closed. An attempt found in flight is left to payments' janitor."""
    stranded = (
        CheckoutSession.objects.filter(status=Status.CLOSING, closing_claimed_at__lte=older_than)
        .order_by("closing_claimed_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    closed = 0
    for session_pk in list(stranded):
        result = session_close_run(session_pk=session_pk, actor=actor)
        closed += result.closed
    return closed
