"""Paying for a session: checkout's side of payments.

Payments knows nothing of sessions. Checkout creates an intent for exactly the amount
of the session's current calculation, and hears back through the listener it registers
in CheckoutConfig.ready() (`session_payment_notice`).
"""

import logging

from django.db import transaction
from django.db.models import OuterRef, Subquery

from checkout.failures import PAYMENT_DECLINED, reason_for_payment_failure
from checkout.inventory_selectors import session_hold_is_partial
from checkout.locks import lock_session, lock_session_to_pay
from checkout.models import Address, CheckoutSession, SessionEvent
from checkout.models.session import TERMINAL
from checkout.selectors import session_address, session_seen
from checkout.services.inventory import session_holds_keep_until, session_holds_release
from checkout.services.lifecycle import (
    session_failure_clear,
    session_failure_mark,
    session_touch,
    session_transition,
    timeline_record,
)
from core.exceptions import Conflict, DomainError, NotFound
from payments import hooks
from payments.exceptions import PayableClosed
from payments.selectors import payment_awaits_transfer, payment_intent_get, payment_is_closed, payment_is_unpaid
from payments.services import payment_intent_cancel, payment_intent_create, payment_intent_lock
from payments.services.intents import payment_intent_set_method_types
from payments.services.returns import payment_return_request, payment_return_run
from payments.wallet.split import split_payment_prepare

logger = logging.getLogger(__name__)

Status = CheckoutSession.Status
NOT_PAYABLE = "session_not_payable"


def _not_payable_message(session: CheckoutSession) -> str:
    if session.status == Status.CLOSING:
        return "This checkout session is closing and its payment is being given back; it can no longer be paid."
    return f"This checkout session is {session.status}; it can no longer be paid."


def session_payable_check(*, merchant_id: int, reference: str, payment_intent_id: str | None):
    """Payments' question, registered in CheckoutConfig.ready(): may this payment still
    be paid? Runs inside payments' transaction and locks the session first (house order
    session → payment) until it commits, so the session cannot start closing between
    this answer and payments' claim. None when the reference is no session of ours.

    At creation (no intent id): refused once closing or terminal. At confirm: only the
    session's current intent, while it is in payment_processing.
    """
    try:
        session = lock_session(merchant_id=merchant_id, checkout_id=reference)
    except NotFound:
        return None
    session_seen(session)
    if payment_intent_id is None:
        payable = session.status != Status.CLOSING and session.status not in TERMINAL
    else:
        payable = session.status == Status.PAYMENT_PROCESSING and session.payment_intent_id == payment_intent_id
    if payable:
        return hooks.PAYABLE
    return hooks.Payability(payable=False, code=NOT_PAYABLE, message=_not_payable_message(session))


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


def _card_amount_due(session: CheckoutSession) -> tuple[int, list[dict]]:
    from checkout.services.wallet import wallet_allocation, wallet_balance_parts

    allocation = wallet_allocation(session)
    if allocation.amount_due <= 0:
        raise Conflict(
            "Gift cards and store credit cover this session: there is nothing to pay by card.",
            code="covered_by_wallet",
            explain="finalize the session (POST /sessions/{id}/finalize): the balances are taken then",
        )
    return allocation.amount_due, wallet_balance_parts(session, allocation=allocation)


def _check_expected(session: CheckoutSession, amount: int, expected_amount, expected_currency) -> None:
    due = {"amount_due": amount, "currency": session.currency, "calculation_id": session.current_calculation.public_id}
    if expected_currency is not None and expected_currency != session.currency:
        raise DomainError(
            f"currency must be the session's, {session.currency}.",
            code="currency_mismatch",
            param="currency",
            explain=due,
        )
    if expected_amount is not None and expected_amount != amount:
        raise DomainError(
            f"amount must be the session's amount due, {amount} (minor units); calculate again if the cart changed.",
            code="amount_mismatch",
            param="amount",
            explain=due,
        )


def session_payment_intent_create(
    *,
    merchant_id: int,
    checkout_id: str,
    actor: str,
    capture_mode: str | None = None,
    return_url: str = "",
    metadata: dict | None = None,
    expected_amount: int | None = None,
    expected_currency: str | None = None,
    method_types: list[str] | None = None,
):
    """An intent for the session's current grand total, in its currency, accepting
    `method_types` (none named: card).

    The session is authoritative: an `expected_amount` or `expected_currency` the caller
    sends (the API document's body carries them) must be the amount due, else DomainError
    400 amount_mismatch / currency_mismatch, with nothing written.

    Locks the session (then, through payments, the previous intent if it must be
    cancelled). Idempotent: an open intent for the same amount is returned as it is; a
    pending or failed one for another amount is cancelled and replaced. The first intent
    moves the session to payment_processing. Raises 409 session_not_payable for a
    closing or terminal session, calculation_missing, stale_calculation, nothing_to_pay,
    payment_in_progress, invalid_state_transition, and approval_required for a
    merchant-approval merchant's session not yet approved.
    """
    with transaction.atomic(durable=True):
        session = lock_session_to_pay(merchant_id=merchant_id, checkout_id=checkout_id)
        return session_payment_intent_create_locked(
            session,
            actor=actor,
            capture_mode=capture_mode,
            return_url=return_url,
            metadata=metadata,
            expected_amount=expected_amount,
            expected_currency=expected_currency,
            method_types=method_types,
        )


def session_payment_intent_create_locked(
    session: CheckoutSession,
    *,
    actor: str,
    capture_mode: str | None = None,
    return_url: str = "",
    metadata: dict | None = None,
    expected_amount: int | None = None,
    expected_currency: str | None = None,
    method_types: list[str] | None = None,
    replace_open: bool = False,
):
    """session_payment_intent_create for a caller that holds the session's lock in its
    transaction (the remediation service, which replaces a failed payment in one go).
    `replace_open`: an open intent with nothing taken is cancelled and replaced even for
    the same amount (a new intent for a new method, with its own attempts)."""
    merchant_id = session.merchant_id
    if session.status == Status.CLOSING or session.status in TERMINAL:
        raise PayableClosed(_not_payable_message(session))
    if session.merchant.approval_mode == "merchant" and session.approved_at is None:
        raise Conflict(
            "The merchant must approve this order before it can be paid.",
            code="approval_required",
            explain="place the order (POST /sessions/{id}/place) and wait for the merchant's approval",
        )
    _current_grand_total(session)
    if session.require_billing_address and session_address(session, Address.Kind.BILLING) is None:
        # options.require_billing_address: the merchant needs it before money moves.
        raise Conflict(
            "This session requires a billing address before payment.",
            code="missing_billing_address",
            param="billing_address",
        )
    if session_hold_is_partial(session):
        # A best_fit hold short of the cart: the order could not be fulfilled as paid.
        raise Conflict(
            "The stock hold covers only part of the cart; change the cart and reserve again before paying.",
            code="inventory_shortfall",
            param="lines",
        )
    # Gift cards and store credit applied to the session come first; the card pays the rest.
    amount, balance_parts = _card_amount_due(session)
    _check_expected(session, amount, expected_amount, expected_currency)
    if session.payment_intent_id:
        # Locked (session → payment), so a confirm cannot move it to authorized between
        # this check and the cancel below: cancelling a pending or failed intent never
        # calls the gateway, and this transaction must not.
        existing = payment_intent_lock(merchant_id=merchant_id, payment_intent_id=session.payment_intent_id)
        same = existing.amount == amount and existing.currency == session.currency
        if same and not payment_is_closed(existing) and not (replace_open and payment_is_unpaid(existing)):
            if payment_is_unpaid(existing):
                if method_types is not None:
                    payment_intent_set_method_types(
                        merchant_id=merchant_id,
                        payment_intent_id=existing.public_id,
                        method_types=method_types,
                        actor=actor,
                    )
                split_payment_prepare(
                    merchant_id=merchant_id,
                    payment_intent_id=existing.public_id,
                    balance_parts=balance_parts,
                    actor=actor,
                )
                # Those wrote through their own reads of it: answer with it as stored now.
                existing = payment_intent_get(merchant_id=merchant_id, payment_intent_id=existing.public_id)
            return session, existing
        if payment_is_unpaid(existing):
            why = "Replaced by a new payment intent." if same else "Replaced: the session's total changed."
            payment_intent_cancel(
                merchant_id=merchant_id, payment_intent_id=existing.public_id, actor=actor, reason=why
            )
        elif not payment_is_closed(existing):
            raise Conflict("This session's payment is already under way; cancel it first.", code="payment_in_progress")
    payment = payment_intent_create(
        merchant_id=merchant_id,
        amount=amount,
        currency=session.currency,
        reference=session.public_id,
        capture_mode=capture_mode or session.capture_mode or None,
        return_url=return_url or session.success_url,
        metadata={**(metadata or {}), "checkout_id": session.public_id},
        actor=actor,
        method_types=method_types,
        # Locked above, and refused above when closing or closed: what the check would ask.
        payable_checked=True,
    )
    if balance_parts:
        # A new intent has no split to clear: one is made only when balances pay a part.
        split_payment_prepare(
            merchant_id=merchant_id, payment_intent_id=payment.public_id, balance_parts=balance_parts, actor=actor
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
    timeline is skipped. A success keeps the session in payment_processing, ready to
    finalize; a failure with no attempt left, or a cancelled intent, fails the session
    and releases its holds. A success the session can no longer take (it closed, or the
    intent is not its current one) is given back: payments is asked to return it, which
    it does now (after this commit) or, once the attempt settles, on the janitor's run.
    """
    type = f"payment.{notice.type}"
    give_back = False
    with transaction.atomic(durable=True):
        try:
            session = lock_session(merchant_id=notice.merchant_id, checkout_id=notice.reference)
        except NotFound:
            return
        current = session.payment_intent_id == notice.payment_intent_id
        if _already_recorded(session, notice, type):
            return
        data = {
            "payment_intent_id": notice.payment_intent_id,
            "payment_version": notice.version,
            "amount": notice.amount,
            "currency": notice.currency,
            **({"reason": notice.reason} if notice.reason else {}),
        }
        # A won dispute hands captured money back to the merchant: on a session that no
        # longer takes it (it closed while the bank held the money), it goes back too.
        took_money = notice.type in (hooks.SUCCEEDED, hooks.AUTHORIZED, hooks.DISPUTE_WON)
        if notice.type == hooks.RETURNED:
            timeline_record(session, type=type, actor="system:payments", data=data)
            return
        # A completed session's own intent pays its order: a manual capture after finalize
        # (authorize at checkout, capture at shipment), a won dispute, a late notice of the
        # authorization finalize already saw. Only money for a session that cannot take
        # it, or for an intent it no longer uses, is given back.
        keeps_it = current and session.status in (Status.PAYMENT_PROCESSING, Status.COMPLETED)
        if took_money and not keeps_it:
            closer_has_it = session.status == Status.CLOSING and session.closing_intent_id == notice.payment_intent_id
            if not closer_has_it:
                # Belt and braces: the payable check refuses new attempts on a closed
                # session, but an attempt that started before (3-D Secure finished late,
                # a late webhook) can still succeed. Nothing may keep that money.
                reason = f"The payment succeeded after its checkout session was {session.status}."
                timeline_record(session, type=type, actor="system:payments", data=data)
                payment_return_request(
                    merchant_id=notice.merchant_id,
                    payment_intent_id=notice.payment_intent_id,
                    actor="system:checkout",
                    reason=reason,
                )
                timeline_record(session, type="payment.returning", actor="system:checkout", data=data)
                give_back = True
        elif current:
            timeline_record(session, type=type, actor="system:payments", data=data)
            closing = notice.type == hooks.CANCELED or (notice.type == hooks.FAILED and not notice.retryable)
            failure_code = (
                reason_for_payment_failure(notice.reason) if notice.type == hooks.FAILED else PAYMENT_DECLINED
            )
            # A closing session is closed by whoever claimed it, with the reason that
            # matters, once the payment is back.
            if closing and session.status == Status.PAYMENT_PROCESSING:
                if notice.type == hooks.CANCELED and notice.reason == hooks.EXPIRED_REASON:
                    reason = "The payment expired."
                elif notice.type == hooks.CANCELED:
                    reason = "The payment was canceled."
                else:
                    reason = "The payment failed."
                session_transition(
                    session, "fail", actor="system:payments", data=data, reason=reason, failure_code=failure_code
                )
                # Stock held for a session that can no longer pay goes back on sale now,
                # not when the hold would have lapsed.
                session_holds_release(session, actor="system:payments", reason=reason)
            elif session.status == Status.PAYMENT_PROCESSING and notice.type == hooks.FAILED:
                # Declined with attempts left: listed among the failures until it pays.
                session_failure_mark(session, failure_code)
            elif session.status == Status.PAYMENT_PROCESSING and took_money:
                session_failure_clear(session)
            elif session.status == Status.PAYMENT_PROCESSING and notice.type == hooks.REQUIRES_ACTION:
                _transfer_awaited(session, notice)
    if give_back:
        payment = _payment_pk(notice)
        if payment is not None:
            payment_return_run(payment_pk=payment, actor="system:checkout")


def _transfer_awaited(session: CheckoutSession, notice: hooks.PaymentNotice) -> None:
    """The session's payment now waits for the shopper's bank transfer (days, not the
    minutes of 3-D Secure): its holds are kept until the transfer's deadline, and the
    instructions are emailed once this commits. Under the session's lock."""
    from checkout.services.transfer_instructions import transfer_instructions_queue

    payment = payment_intent_get(merchant_id=notice.merchant_id, payment_intent_id=notice.payment_intent_id)
    if not payment_awaits_transfer(payment) or payment.action_expires_at is None:
        return  # 3-D Secure, or the transfer arrived (or lapsed) before this notice
    session_holds_keep_until(
        session, until=payment.action_expires_at, actor="system:payments", reason="awaiting bank transfer"
    )
    transfer_instructions_queue(session, payment_intent_id=payment.public_id)


def _payment_pk(notice: hooks.PaymentNotice) -> int | None:
    try:
        return payment_intent_get(merchant_id=notice.merchant_id, payment_intent_id=notice.payment_intent_id).pk
    except NotFound:
        return None


def session_risk_facts(*, merchant_id: int, reference: str) -> dict:
    """Payments' risk-facts provider: what the session (the payment's reference) knows of
    the payer, for fraud scoring, and the shopper's locale (for the payment's emails).
    Reads only; runs inside the confirm's claim."""

    def country(kind):
        return Subquery(Address.objects.filter(session=OuterRef("pk"), kind=kind).values("country")[:1])

    # One statement: the e-mail, the locale and both countries.
    facts = (
        CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=reference)
        .annotate(billing_country=country(Address.Kind.BILLING), shipping_country=country(Address.Kind.SHIPPING))
        .values("customer_email", "locale", "billing_country", "shipping_country")
        .first()
    )
    if facts is None:
        return {}
    return {
        "email": facts["customer_email"],
        "billing_country": facts["billing_country"] or "",
        "shipping_country": facts["shipping_country"] or "",
        "locale": facts["locale"],
    }
