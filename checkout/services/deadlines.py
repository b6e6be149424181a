"""The time-limit jobs: sessions whose merchant or shopper did not act in time, and paid
sessions nobody finalized.

checkout.enforce_deadlines, per due session (awaiting_approval, approved, reserved or
payment_processing past payment_deadline_at, or payment_processing past expires_at):
  - payment captured: never expired; it is finalized instead (paid money gets an order);
  - payment attempt in flight (processing, 3-D Secure): left alone this run; payments'
    own time-outs settle it and a later run decides;
  - authorization, unconfirmed or failed intent, refunded capture: closed through the
    close service (checkout.services.closing): the session moves to `closing` (nothing
    may pay it from then on) → the money is given back through payments with no
    transaction open → the session expires in a short transaction that re-checks the
    state, releasing the holds and sending `checkout.expired` (also POSTed to the
    callback_url);
  - no payment, or one already closed: expired at once.
An authorization still unfinalized at the deadline is voided: the merchant's time limit
bounds how long a shopper's funds are held without an order. With the default delays
(finalize_paid after 120 s, the time limit 10 minutes) finalize_paid gets there first.

A closing whose payment call got no answer stays `closing`; the next runs resume it with
the key payments stored, then close the session.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checkout.locks import lock_session_pk
from checkout.models import CheckoutSession
from checkout.models.session import CLOSE_EXPIRE
from checkout.order_selectors import sessions_paid_unfinalized
from checkout.services.closing import REOPEN, session_close_claim, session_close_run, sessions_close_resume
from checkout.services.finalize import session_finalize
from checkout.services.inventory import session_holds_release
from checkout.services.lifecycle import session_transition, timeline_record
from core.exceptions import DomainError
from payments.selectors import (
    payment_intent_get,
    payment_is_closed,
    payment_is_in_flight,
    payment_is_settled,
    payment_review_open,
)

logger = logging.getLogger(__name__)

Status = CheckoutSession.Status
DEADLINE_STATUSES = [Status.AWAITING_APPROVAL, Status.APPROVED, Status.RESERVED, Status.PAYMENT_PROCESSING]
BATCH = 200
# A closing older than this had its payment call fail or its worker die: try it again.
RETRY_CLAIM_AFTER = timedelta(minutes=2)
ACTOR = "system:deadlines"

EXPIRE = "expire"
FINALIZE = "finalize"
GIVE_BACK = "give_back"
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


def _claim(session_pk: int, now) -> str:
    """Short transaction: decide what the due session needs, claiming it for closing if
    money must go back."""
    with transaction.atomic(durable=True):
        session = lock_session_pk(session_pk, skip_locked=True)
        if session is None or not _is_due(session, now):
            return SKIP
        payment = None
        if session.payment_intent_id:
            payment = payment_intent_get(merchant_id=session.merchant_id, payment_intent_id=session.payment_intent_id)
        # Only a settled, untouched capture can still become an order. Money already
        # refunded or under dispute cannot: such a session expires (what is left of a
        # partial refund goes back), or finalize would refuse it on every run.
        if payment is not None and payment_is_settled(payment):
            return FINALIZE
        if payment is not None and payment_is_in_flight(payment):
            return SKIP  # the payment decides, not the clock; a later run looks again
        if payment is not None and payment_review_open(payment):
            # Held for a fraud review: the reviewer decides, or the authorization's own
            # validity lapses (payments voids it then and the session fails).
            return SKIP
        data = {"payment_intent_state": payment.state} if payment is not None else None
        if payment is not None and not payment_is_closed(payment):
            timeline_record(session, type="deadline.passed", actor=ACTOR, data=data)
            session_close_claim(session, kind=CLOSE_EXPIRE, reason=_reason(session), actor=ACTOR, data=data)
            return GIVE_BACK
        session_transition(session, "expire", actor=ACTOR, data=data, reason=_reason(session))
        session_holds_release(session, actor=ACTOR, reason="session expired")
        return EXPIRE


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
        .order_by("id")
        .values_list("pk", flat=True)[:batch_size]
    )
    expired = 0
    for session_pk in list(due):
        decision = _claim(session_pk, now)
        if decision == EXPIRE:
            expired += 1
        elif decision == FINALIZE:
            session = CheckoutSession.objects.get(pk=session_pk)
            try:
                session_finalize(merchant_id=session.merchant_id, checkout_id=session.public_id, actor=ACTOR)
            except DomainError as exc:
                logger.warning("could not finalize paid session %s past its deadline: %s", session, exc.code)
        elif decision == GIVE_BACK:
            # An attempt that started before the claim reopens the session: it decides.
            expired += session_close_run(session_pk=session_pk, actor=ACTOR, on_in_flight=REOPEN).closed

    expired += sessions_close_resume(older_than=now - RETRY_CLAIM_AFTER, actor=ACTOR, batch_size=batch_size)
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
