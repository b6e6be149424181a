"""Payments' side of a refund: whether money may go back, the gateway call, the record.

The refund requests themselves (approval, amounts in flight) belong to the refunds app,
which calls in here; payments never learns what a refund request is. The same claim →
call → record discipline as a capture: the caller stores its outgoing idempotency key
and locks nothing while `payment_gateway_refund` runs, then records under the lock.
"""

import logging

from merchants.events import event_emit
from payments import hooks
from payments.exceptions import PaymentDisputed, PaymentNotCaptured, PaymentPaidByTransfer
from payments.gateways import base, gateway_named
from payments.models import PaymentTransaction, State
from payments.selectors import current_attempt, paid_by_transfer, payment_queryset
from payments.services.log import payment_listeners_tell, payment_log, payment_transition
from payments.services.outcomes import operation_clear

logger = logging.getLogger(__name__)

REFUNDABLE_STATES = (State.COMPLETED, State.PARTIALLY_REFUNDED, State.REFUNDED)


def payment_refund_check(payment: PaymentTransaction) -> None:
    """Raises unless the payment holds captured funds a refund may draw on.

    PaymentNotCaptured (409) for an authorization (void it instead) or anything never
    captured; PaymentDisputed (409) while a dispute is open. A fully refunded payment
    passes: what is left (nothing) is the caller's sum to make.
    """
    if payment.state == State.DISPUTED:
        raise PaymentDisputed()
    if payment.state == State.AUTHORIZED:
        raise PaymentNotCaptured(
            "This payment intent is authorized but not captured: cancel it to void the authorization instead.",
            explain="refunds need captured funds; POST /payment-intents/{id}/cancel releases an authorization",
        )
    if payment.state not in REFUNDABLE_STATES:
        raise PaymentNotCaptured(explain=f"refunds need a captured payment, not '{payment.state}'")


def payment_refundable_amount(payment: PaymentTransaction, *, exclude_reservation=None) -> int:
    """The one rule for what may still be refunded: captured, less what is refunded (or
    charged back), less every refund in flight from either path: a compensation's
    refund claimed on the payment (payment_intent_refund) and what the apps above hold
    in refund requests not yet recorded (registered reservations; `exclude_reservation`
    leaves out the caller's own). The caller holds the payment's lock, so the sum stays
    true until its transaction ends. May be negative when more is reserved than is left
    (a chargeback came in): nothing more may be refunded then."""
    in_flight = (payment.pending_operation_amount or 0) if payment.pending_operation == "refund" else 0
    reserved = hooks.refund_reservations_total(payment_pk=payment.pk, exclude=exclude_reservation)
    return payment.amount_captured - payment.amount_refunded - in_flight - reserved


def payment_gateway_refund(*, payment_pk: int, amount: int, idempotency_key: str) -> base.GatewayResult:
    """Asks the payment's gateway to refund `amount` under the caller's stored key.

    Must run outside any transaction. Raises GatewayUnavailable (no answer: repeat with
    the same key) or a DomainError when the gateway refused (a new attempt needs a new
    key: gateways remember a refused key's answer).
    """
    elsewhere = hooks.payment_refund_elsewhere(payment_pk=payment_pk, amount=amount, idempotency_key=idempotency_key)
    if elsewhere is not None:
        return elsewhere  # not one card charge (an installment plan): its app refunds it
    payment = payment_queryset().get(pk=payment_pk)
    if paid_by_transfer(payment):
        # No card charge stands behind a transfer: what was paid into the merchant's
        # account goes back by the merchant's own outgoing transfer (a refund request
        # to the payer's account), never through a gateway.
        raise PaymentPaidByTransfer()
    attempt = current_attempt(payment)
    reference = attempt.gateway_reference if attempt else ""
    return gateway_named(payment.gateway).refund(reference=reference, amount=amount, idempotency_key=idempotency_key)


def payment_refund_claimed(payment: PaymentTransaction, *, refund_id: str, amount: int, key: str, actor: str):
    """The caller holds the payment's lock: logs the refund call about to be made."""
    payment_log(payment, type="refund.claimed", actor=actor, data={"refund": refund_id, "amount": amount, "key": key})


def payment_refund_failed(payment: PaymentTransaction, *, refund_id: str, code: str, definite: bool, actor: str):
    """The caller holds the payment's lock: logs a refund call that moved no money (or
    whose outcome is not known)."""
    payment_log(
        payment,
        type="refund.failed",
        actor=actor,
        data={"refund": refund_id, "code": code, "outcome": "refused" if definite else "unknown"},
    )


def payment_refund_record(
    payment: PaymentTransaction, *, refund_id: str, amount: int, gateway_reference: str, actor: str
) -> PaymentTransaction:
    """Adds a refund the gateway confirmed to the payment and moves its state.

    The caller holds the payment's lock in an open transaction. COMPLETED becomes
    PARTIALLY_REFUNDED or REFUNDED; a further partial refund changes the amount only.
    During a dispute, or after a lost one, the state stays.

    Never clamps silently: a refund the gateway confirmed above what was left to refund
    (captured − refunded) is an alert (an error log, a `refund.excess` event row, the
    merchant's `payment.over_refunded` event); the amount stops at what was captured,
    which is all the payment can hold, and the event keeps the excess.
    """
    total = payment.amount_refunded + amount
    data = {"refund": refund_id, "amount": amount, "gateway_reference": gateway_reference}
    payment_log(payment, type="refund.recorded", actor=actor, data=data)
    # What the gateway gave back left the balance, even past what was left to refund. A
    # transfer's refund leaves the merchant's own account, as its charge came in there.
    hooks.money_moved(
        hooks.MoneyMovement(
            kind=hooks.BANK_TRANSFER_REFUND if paid_by_transfer(payment) else hooks.REFUND,
            merchant_id=payment.merchant_id,
            amount=-amount,
            currency=payment.currency,
            key=f"refund:{refund_id}",
            source_type="refund",
            source_id=refund_id,
            payment_pk=payment.pk,
            gateway=payment.gateway,
        )
    )
    if total > payment.amount_captured:
        excess = total - payment.amount_captured
        _alert_excess(payment, refund_id=refund_id, amount=amount, excess=excess, actor=actor)
        total = payment.amount_captured
    if total >= payment.amount_captured and payment.state in (State.COMPLETED, State.PARTIALLY_REFUNDED):
        return payment_transition(payment, "refund_fully", actor=actor, data=data)
    if payment.state == State.COMPLETED:
        return payment_transition(payment, "refund_partially", actor=actor, data=data, amount_refunded=total)
    payment.amount_refunded = total
    payment.version += 1
    payment.save()
    if payment.state == State.PARTIALLY_REFUNDED:
        payment_listeners_tell(payment, hooks.PARTIALLY_REFUNDED)
    return payment


def _alert_excess(payment: PaymentTransaction, *, refund_id: str, amount: int, excess: int, actor: str) -> None:
    data = {
        "refund": refund_id,
        "amount": amount,
        "excess": excess,
        "amount_captured": payment.amount_captured,
        "amount_refunded_before": payment.amount_refunded,
    }
    logger.error("refund %s of %s exceeds what was left to refund by %s", refund_id, payment.public_id, excess)
    payment_log(payment, type="refund.excess", actor=actor, data=data)
    event_emit(
        merchant_id=payment.merchant_id,
        type="payment.over_refunded",
        payment_intent_id=payment.public_id,
        correlation_id=payment.reference,
        data={"payment_intent_id": payment.public_id, "currency": payment.currency, **data},
    )


def payment_refund_update(payment: PaymentTransaction, info: base.RefundInfo, *, actor: str) -> None:
    """The gateway settled a refund it had answered `pending`. The caller holds the
    payment's lock in the event's transaction. A refund request's refund is recorded by
    the refunds app (its registered listener); a compensation's (payment_intent_refund)
    here, against the claim it still holds. Idempotent: a settled refund is left alone."""
    data = {"gateway_reference": info.gateway_refund_id, "status": info.status, "amount": info.amount}
    if info.status not in (base.SUCCEEDED, base.FAILED):
        payment_log(payment, type="refund.still_pending", actor=actor, data=data)
        return
    update = hooks.RefundUpdate(
        merchant_id=payment.merchant_id,
        payment_pk=payment.pk,
        payment_intent_id=payment.public_id,
        gateway_refund_id=info.gateway_refund_id,
        status=info.status,
        amount=info.amount,
        failure_code=info.failure_code,
        actor=actor,
    )
    if hooks.refund_listeners_notify(update):
        return
    ours = payment.events.filter(type="refund.pending", data__gateway_reference=info.gateway_refund_id).last()
    if ours is None or payment.pending_operation != "refund" or payment.pending_operation_key != ours.data.get("key"):
        payment_log(payment, type="refund.update_ignored", actor=actor, data=data)
        return
    key, amount = payment.pending_operation_key, payment.pending_operation_amount
    operation_clear(payment)
    if info.status == base.SUCCEEDED:
        payment_refund_record(
            payment, refund_id=key, amount=amount, gateway_reference=info.gateway_refund_id, actor=actor
        )
    else:
        payment.save()
        payment_log(payment, type="refund.failed", actor=actor, data={**data, "refund": key, "code": info.failure_code})
