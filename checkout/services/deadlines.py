"""The time-limit jobs: sessions whose merchant or shopper did not act in time, and paid
sessions nobody finalized.

checkout.enforce_deadlines, per due session (awaiting_approval, approved, reserved or
payment_processing past payment_deadline_at, or payment_processing past expires_at):
  - payment captured: never expired; it is finalized instead (paid money gets an order);
  - payment attempt in flight (processing, 3-D Secure): left alone this run; payments'
    own time-outs settle it and a later run decides;
  - authorization, unconfirmed or failed intent: claim (short transaction: the session
    is marked closing, so finalize refuses it) → cancel or void through payments with no
    transaction open → expire in a short transaction that re-checks the state, releasing
    the holds and sending `checkout.expired` (also POSTed to the callback_url);
  - no payment, or one already closed: expired at once.
An authorization still unfinalized at the deadline is voided: the merchant's time limit
bounds how long a shopper's funds are held without an order. With the default delays
(finalize_paid after 120 s, the time limit 10 minutes) finalize_paid gets there first.

A claim whose payment call got no answer stays set; the next runs retry it with the key
payments stored, then close the session.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checkout.locks import lock_session_pk
from checkout.models import CheckoutSession
from checkout.order_selectors import sessions_paid_unfinalized
from checkout.services.finalize import IN_FLIGHT, PENDING, payment_give_back, session_finalize
from checkout.services.inventory import session_holds_release
from checkout.services.lifecycle import session_touch, session_transition
from core.exceptions import DomainError
from payments.selectors import payment_intent_get

logger = logging.getLogger(__name__)

Status = CheckoutSession.Status
DEADLINE_STATUSES = [Status.AWAITING_APPROVAL, Status.APPROVED, Status.RESERVED, Status.PAYMENT_PROCESSING]
# Only a settled, untouched capture can still become an order. Money already refunded or
# under dispute cannot: such a session expires (what is left of a partial refund goes
# back), or finalize would refuse it on every run and the batch would wedge on it.
CAPTURED = ("completed",)
RUNNING = ("processing", "requires_action")
GIVE_BACK = ("authorized", "pending", "failed", "partially_refunded")
BATCH = 200
# A claim older than this had its payment call fail or its worker die: try it again.
RETRY_CLAIM_AFTER = timedelta(minutes=2)
ACTOR = "system:deadlines"

EXPIRE = "expire"
FINALIZE = "finalize"
SKIP = "skip"


def _is_due(session: CheckoutSession, now) -> bool:
    if session.status not in DEADLINE_STATUSES:
        return False
    past_deadline = session.payment_deadline_at is not None and session.payment_deadline_at <= now
    return past_deadline or (session.status == Status.PAYMENT_PROCESSING and session.expires_at <= now)


def _reason(session: CheckoutSession) -> str:
    if session.status == Status.AWAITING_APPROVAL:
        return "The merchant did not answer within the time limit."
    if session.payment_deadline_at is not None:
        return "The payment was not completed within the time limit."
    return "The session passed its expiry time."


def _expire_locked(session: CheckoutSession, *, data=None) -> None:
    session.closing_claimed_at = None
    session_transition(session, "expire", actor=ACTOR, data=data, reason=_reason(session))
    session_holds_release(session, actor=ACTOR, reason="session expired")


def _claim(session_pk: int, now) -> tuple[str, CheckoutSession | None]:
    """Short transaction: decide what the due session needs, claiming it if money must go back."""
    with transaction.atomic():
        session = lock_session_pk(session_pk, skip_locked=True)
        if session is None or not _is_due(session, now) or session.closing_claimed_at is not None:
            return SKIP, None
        state = None
        if session.payment_intent_id:
            state = payment_intent_get(
                merchant_id=session.merchant_id, payment_intent_id=session.payment_intent_id
            ).state
        if state in CAPTURED:
            return FINALIZE, session
        if state in RUNNING:
            return SKIP, None
        if state in GIVE_BACK:
            session.closing_claimed_at = now
            session_touch(session, actor=ACTOR, type="deadline.passed", data={"payment_intent_state": state})
            return "give_back", session
        _expire_locked(session, data={"payment_intent_state": state} if state else None)
        return EXPIRE, session


def _close(session_pk: int, outcome: str, now) -> bool:
    """Record step after the payment call, under the lock, state re-checked."""
    with transaction.atomic():
        session = lock_session_pk(session_pk)
        if session is None or session.closing_claimed_at is None:
            return False
        if outcome == IN_FLIGHT:
            # An attempt started before our cancel: the payment decides, not the clock.
            session.closing_claimed_at = None
            session_touch(session, actor=ACTOR, type="deadline.deferred", data={"payment": outcome})
            return False
        if _is_due(session, now):
            _expire_locked(session, data={"payment": outcome})
            if outcome == PENDING:
                # Expired all the same; the claim stays so a later run gives the money back.
                session.closing_claimed_at = now
                session.save(update_fields=["closing_claimed_at"])
            return True
        if outcome == PENDING:
            return False
        # A failed finalization or a rollback claimed it and did not get to the end.
        session.closing_claimed_at = None
        session_touch(session, actor=ACTOR, type="payment.given_back", data={"payment": outcome})
        if session.status == Status.PAYMENT_PROCESSING:
            reason = "The session was closed after its payment was given back."
            session_transition(session, "fail", actor=ACTOR, data={"payment": outcome}, reason=reason)
            session_holds_release(session, actor=ACTOR, reason="session closed")
        return False


def _give_back(session: CheckoutSession) -> str:
    return payment_give_back(
        merchant_id=session.merchant_id,
        payment_intent_id=session.payment_intent_id,
        actor=ACTOR,
        reason="The checkout's time limit passed.",
    )


def sessions_enforce_deadlines(*, now=None, batch_size: int = BATCH) -> int:
    """Expires the sessions past their time limits; returns how many it expired.

    Safe to run twice or in parallel: sessions are claimed with skip_locked and every
    step re-checks the state under the lock.
    """
    now = now or timezone.now()
    due = (
        CheckoutSession.objects.filter(
            Q(status__in=DEADLINE_STATUSES, payment_deadline_at__lte=now)
            | Q(status=Status.PAYMENT_PROCESSING, expires_at__lte=now)
        )
        .filter(closing_claimed_at__isnull=True)
        .order_by("id")
        .values_list("pk", flat=True)[:batch_size]
    )
    expired = 0
    for session_pk in list(due):
        decision, session = _claim(session_pk, now)
        if decision == EXPIRE:
            expired += 1
        elif decision == FINALIZE:
            try:
                session_finalize(merchant_id=session.merchant_id, checkout_id=session.public_id, actor=ACTOR)
            except DomainError as exc:
                logger.warning("could not finalize paid session %s past its deadline: %s", session, exc.code)
        elif decision == "give_back":
            expired += _close(session_pk, _give_back(session), now)

    stranded = (
        CheckoutSession.objects.filter(closing_claimed_at__lte=now - RETRY_CLAIM_AFTER)
        .order_by("closing_claimed_at")
        .select_related("merchant")[:batch_size]
    )
    for session in list(stranded):
        expired += _close(session.pk, _give_back(session), now)
    if expired:
        logger.info("expired %s checkout sessions past their time limits", expired)
    return expired


def sessions_finalize_paid(*, now=None, batch_size: int = BATCH) -> int:
    """Finalizes sessions paid at least the merchant's auto_finalize_after_seconds ago
    (default 120) that nobody finalized (the shopper closed the tab). Returns how many
    orders it created. Sessions someone else holds are skipped (skip_locked) and picked
    up next run; finalizing twice returns the same order, so running twice is harmless.
    """
    now = now or timezone.now()
    created = 0
    for paid in sessions_paid_unfinalized(limit=batch_size):
        if paid.paid_at + paid.finalize_after > now:
            continue
        try:
            result = session_finalize(
                merchant_id=paid.merchant_id,
                checkout_id=paid.checkout_id,
                actor="system:finalize_paid",
                skip_locked=True,
            )
        except DomainError as exc:
            logger.warning("could not finalize paid session %s: %s", paid.checkout_id, exc.code)
            continue
        created += bool(result and result.created)
    return created
