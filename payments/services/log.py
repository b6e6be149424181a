"""The one path by which a payment changes state, and its append-only event log.

Callers hold the payment's row lock inside transaction.atomic(); these helpers save,
append the PaymentEvent, emit the merchant's event and queue the listeners' notice in
that same transaction.
"""

from django_fsm import can_proceed

from core.exceptions import InvalidStateTransition
from core.rows import rows_write
from merchants.audit.services import audit_entry
from merchants.events import event_emit
from payments import hooks
from payments.metrics import payment_transition_count
from payments.models import PaymentAttempt, PaymentEvent, PaymentTransaction, State
from payments.selectors import attempts_remaining, paid_by_transfer, payment_api_status

# State entered → (merchant event type, listener notice type)
ANNOUNCED = {
    State.REQUIRES_ACTION: ("payment.requires_action", hooks.REQUIRES_ACTION),
    State.AUTHORIZED: ("payment.authorized", hooks.AUTHORIZED),
    State.COMPLETED: ("payment.succeeded", hooks.SUCCEEDED),
    State.FAILED: ("payment.failed", hooks.FAILED),
    State.CANCELLED: ("payment.canceled", hooks.CANCELED),
    State.EXPIRED: ("payment.canceled", hooks.CANCELED),
}

# Transitions whose news belongs to a refund or a dispute: refunds emits the merchant's
# refund.* / dispute.* event, so payments only tells its listeners (a session timeline).
# By name, not by target state: a won dispute returns to COMPLETED, which is no new
# payment.succeeded.
NOTICE_ONLY = {
    "refund_partially": hooks.PARTIALLY_REFUNDED,
    "refund_fully": hooks.REFUNDED,
    "dispute": hooks.DISPUTED,
    "win_dispute": hooks.DISPUTE_WON,
    "lose_dispute": hooks.DISPUTE_LOST,
}


# Transitions that take the shopper's money: each writes the charge's balance transaction.
CAPTURING = ("complete", "capture")


def payment_snapshot(payment: PaymentTransaction) -> dict:
    return {
        "payment_intent_id": payment.public_id,
        "state": payment.state,
        "status": payment_api_status(payment),
        "amount": payment.amount,
        "amount_captured": payment.amount_captured,
        "currency": payment.currency,
        "reference": payment.reference,
        "version": payment.version,
    }


def payment_log(
    payment: PaymentTransaction,
    *,
    type: str,
    actor: str,
    attempt: PaymentAttempt | None = None,
    data=None,
    audit: str = "",
    before: dict | None = None,
    audit_data: dict | None = None,
    **states,
) -> PaymentEvent:
    """Appends to the payment's event log. With `audit` (the action's name), the audit
    row of the change (`before`, and the payment as it is now after; `audit_data` when it
    should say other than `data`) is written in the same statement. Inside a
    core.rows.rows_held block (the confirm's claim and record) both wait for its end."""
    event = PaymentEvent(
        transaction=payment,
        attempt=attempt,
        type=type,
        actor=actor,
        data=data or {},
        from_state=states.get("from_state", ""),
        to_state=states.get("to_state", ""),
    )
    entries = []
    if audit:
        audit_data = data if audit_data is None else audit_data
        entries.append(_payment_audit_entry(payment, action=audit, actor=actor, before=before, data=audit_data))
    rows_write([event], entries)
    return event


def _payment_audit_entry(payment: PaymentTransaction, *, action: str, actor: str, before: dict | None, data=None):
    return audit_entry(
        merchant_id=payment.merchant_id,
        object_type="payment_intent",
        object_id=payment.public_id,
        action=action,
        actor=actor,
        before=before,
        after=payment_snapshot(payment),
        data=data,
    )


def payment_audit(payment: PaymentTransaction, *, action: str, actor: str, before: dict | None, data=None) -> dict:
    """Writes the audit row of a payment's change; returns the `after` snapshot it used."""
    entry = _payment_audit_entry(payment, action=action, actor=actor, before=before, data=data)
    rows_write([entry])
    return entry.after


def _captured_movement(payment: PaymentTransaction) -> hooks.MoneyMovement:
    # An installment of a buy-now-pay-later plan is a card charge of its own intent, named
    # by its metadata; the ledger books it as the installment it is.
    installment = (payment.metadata or {}).get("installment")
    if installment:
        kind = hooks.INSTALLMENT
    else:
        kind = hooks.BANK_TRANSFER if paid_by_transfer(payment) else hooks.CHARGE
    return hooks.MoneyMovement(
        kind=kind,
        merchant_id=payment.merchant_id,
        amount=payment.amount_captured,
        currency=payment.currency,
        key=f"installment:{installment}:collected" if installment else f"charge:{payment.public_id}",
        source_type="installment" if installment else "payment",
        source_id=installment or payment.public_id,
        payment_pk=payment.pk,
        gateway=payment.gateway,
    )


def payment_transition(
    payment: PaymentTransaction,
    name: str,
    *,
    actor: str,
    attempt=None,
    data=None,
    moves_money: bool = True,
    **kwargs,
) -> PaymentTransaction:
    """Runs the named @transition, saves, logs it, tells the merchant and the listeners.
    A capturing transition tells the ledger what came in, unless `moves_money` is False
    (a buy-now-pay-later order, whose money comes in installment by installment).

    Raises InvalidStateTransition (409) when the state does not allow it.
    """
    method = getattr(payment, name)
    if not can_proceed(method):
        raise InvalidStateTransition(
            f"A {payment_api_status(payment)} payment intent cannot {name.replace('_', ' ')}.",
            explain=f"transition '{name}' is not allowed from '{payment.state}'",
        )
    before = payment_snapshot(payment)
    from_state = payment.state
    method(**kwargs)
    payment.version += 1
    payment.save()
    payment_log(
        payment,
        type=f"state.{payment.state}",
        actor=actor,
        attempt=attempt,
        data=data,
        from_state=from_state,
        to_state=payment.state,
        audit=f"state.{payment.state}",
        before=before,
    )
    after = payment_snapshot(payment)
    payment_transition_count(payment, name=name, from_state=from_state)
    if name in CAPTURING and moves_money:
        hooks.money_moved(_captured_movement(payment))
    if name in NOTICE_ONLY:
        payment_listeners_tell(payment, NOTICE_ONLY[name])
        return payment
    announced = ANNOUNCED.get(payment.state)
    if announced:
        event_type, notice_type = announced
        event_emit(
            merchant_id=payment.merchant_id,
            type=event_type,
            payment_intent_id=payment.public_id,
            checkout_id=hooks.event_context(merchant_id=payment.merchant_id, reference=payment.reference).get(
                "checkout_id", ""
            ),
            correlation_id=payment.reference,
            data={"before": before, "after": after, **({"reason": data} if data else {})},
        )
        payment_listeners_tell(payment, notice_type)
    return payment


def payment_listeners_tell(payment: PaymentTransaction, notice_type: str, *, reason: str | None = None) -> None:
    """Queues the listeners' notice of the payment as it is now (sent on commit)."""
    if reason is None and payment.state == State.EXPIRED:
        reason = hooks.EXPIRED_REASON
    if reason is None:
        reason = (payment.last_error or {}).get("code", "") if payment.state == State.FAILED else ""
    hooks.payment_listeners_notify(
        hooks.PaymentNotice(
            type=notice_type,
            merchant_id=payment.merchant_id,
            payment_intent_id=payment.public_id,
            reference=payment.reference,
            amount=payment.amount,
            currency=payment.currency,
            state=payment.state,
            version=payment.version,
            retryable=payment.state == State.FAILED and attempts_remaining(payment) > 0,
            reason=reason,
        )
    )
