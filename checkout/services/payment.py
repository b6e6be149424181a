"""Paying for a session: checkout's side of payments.

Payments knows nothing of sessions. Checkout creates an intent for exactly the amount
of the session's current calculation, and hears back through the listener it registers
in CheckoutConfig.ready() (`session_payment_notice`).
"""

import logging

from django.db import transaction

from checkout.locks import lock_session
from checkout.models import CheckoutSession, SessionEvent
from checkout.services.inventory import session_holds_release
from checkout.services.lifecycle import session_touch, session_transition, timeline_record
from core.exceptions import Conflict, NotFound
from payments import hooks
from payments.services import payment_intent_cancel, payment_intent_create, payment_intent_lock

logger = logging.getLogger(__name__)

Status = CheckoutSession.Status
# An intent in one of these states may be replaced by a fresh one (nothing is held).
REPLACEABLE = {"pending", "failed"}
CLOSED = {"cancelled", "expired"}


def _current_grand_total(session: CheckoutSession) -> int:
    calc = session.current_calculation
    if calc is None:
        raise Conflict("Calculate the session's totals before paying.", code="calculation_missing")
    if not session.calculation_is_current or calc.currency != session.currency:
        raise Conflict(
            "The session changed since its totals were calculated; calculate again.", code="stale_calculation"
        )
    if calc.grand_total <= 0:
        raise Conflict("This session's total is zero: there is nothing to pay.", code="nothing_to_pay")
    return calc.grand_total


def session_payment_intent_create(
    *,
    merchant_id: int,
    checkout_id: str,
    actor: str,
    capture_mode: str | None = None,
    return_url: str = "",
    metadata: dict | None = None,
):
    """An intent for the session's current grand total, in its currency.

    Locks the session (then, through payments, the previous intent if it must be
    cancelled). Idempotent: an open intent for the same amount is returned as it is; a
    pending or failed one for another amount is cancelled and replaced. The first intent
    moves the session to payment_processing. Raises 409 calculation_missing,
    stale_calculation, nothing_to_pay, payment_in_progress, invalid_state_transition, and
    approval_required for a merchant-approval merchant's session not yet approved.
    """
    with transaction.atomic():
        session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
        if session.merchant.approval_mode == "merchant" and session.approved_at is None:
            raise Conflict(
                "The merchant must approve this order before it can be paid.",
                code="approval_required",
                explain="place the order (POST /sessions/{id}/place) and wait for the merchant's approval",
            )
        amount = _current_grand_total(session)
        if session.payment_intent_id:
            # Locked (session → payment), so a confirm cannot move it to authorized between
            # this check and the cancel below: cancelling a pending or failed intent never
            # calls the gateway, and this transaction must not.
            existing = payment_intent_lock(merchant_id=merchant_id, payment_intent_id=session.payment_intent_id)
            same = existing.amount == amount and existing.currency == session.currency
            if same and existing.state not in CLOSED:
                return session, existing
            if existing.state in REPLACEABLE:
                payment_intent_cancel(
                    merchant_id=merchant_id,
                    payment_intent_id=existing.public_id,
                    actor=actor,
                    reason="Replaced: the session's total changed.",
                )
            elif existing.state not in CLOSED:
                raise Conflict(
                    "This session's payment is already under way; cancel it first.", code="payment_in_progress"
                )
        payment = payment_intent_create(
            merchant_id=merchant_id,
            amount=amount,
            currency=session.currency,
            reference=session.public_id,
            capture_mode=capture_mode or session.capture_mode or None,
            return_url=return_url or session.success_url,
            metadata={**(metadata or {}), "checkout_id": session.public_id},
            actor=actor,
        )
        session.payment_intent_id = payment.public_id
        data = {"payment_intent_id": payment.public_id, "amount": amount, "currency": session.currency}
        if session.status == Status.PAYMENT_PROCESSING:
            session_touch(session, actor=actor, type="payment.intent_created", data=data)
        else:
            session_transition(session, "start_payment", actor=actor, data=data)
    return session, payment


def _already_recorded(session: CheckoutSession, notice: hooks.PaymentNotice, type: str) -> bool:
    return SessionEvent.objects.filter(
        session=session,
        type=type,
        data__payment_intent_id=notice.payment_intent_id,
        data__payment_version=notice.version,
    ).exists()


def session_payment_notice(notice: hooks.PaymentNotice) -> None:
    """Payments' listener: a change of the session's payment, after it committed.

    Runs in its own transaction under the session's lock (never inside the payment's,
    so the lock order session → payment is kept). Idempotent: a notice already on the
    timeline is skipped; a notice about an intent the session no longer uses is ignored.
    A success keeps the session in payment_processing, ready to finalize; a failure with
    no attempt left, or a cancelled intent, fails the session and releases its holds.
    """
    type = f"payment.{notice.type}"
    with transaction.atomic():
        try:
            session = lock_session(merchant_id=notice.merchant_id, checkout_id=notice.reference)
        except NotFound:
            return
        if session.payment_intent_id != notice.payment_intent_id or _already_recorded(session, notice, type):
            return
        data = {
            "payment_intent_id": notice.payment_intent_id,
            "payment_version": notice.version,
            "amount": notice.amount,
            "currency": notice.currency,
            **({"reason": notice.reason} if notice.reason else {}),
        }
        timeline_record(session, type=type, actor="system:payments", data=data)
        closing = notice.type == hooks.CANCELED or (notice.type == hooks.FAILED and not notice.retryable)
        # A session claimed for closing (deadline expiry, failed finalization) is closed
        # by whoever claimed it, with the reason that matters, once the payment is back.
        if closing and session.status == Status.PAYMENT_PROCESSING and session.closing_claimed_at is None:
            reason = "The payment was canceled." if notice.type == hooks.CANCELED else "The payment failed."
            session_transition(session, "fail", actor="system:payments", data=data, reason=reason)
            # Stock held for a session that can no longer pay goes back on sale now, not
            # when the hold would have lapsed.
            session_holds_release(session, actor="system:payments", reason=reason)
        elif notice.type == hooks.SUCCEEDED and session.status != Status.PAYMENT_PROCESSING:
            logger.warning("payment %s succeeded for %s session %s", notice.payment_intent_id, session.status, session)


def session_risk_facts(*, merchant_id: int, reference: str) -> dict:
    """Payments' risk-facts provider: what the session (the payment's reference) knows of
    the payer, for fraud scoring. Reads only; runs inside the confirm's claim."""
    session = (
        CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=reference)
        .prefetch_related("addresses")
        .first()
    )
    if session is None:
        return {}
    countries = {address.kind: address.country for address in session.addresses.all()}
    return {
        "email": session.customer_email,
        "billing_country": countries.get("billing", ""),
        "shipping_country": countries.get("shipping", ""),
    }
