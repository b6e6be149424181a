"""Payments' side of a refund: whether money may go back, the gateway call, the record.

The refund requests themselves (approval, amounts in flight) belong to the refunds app,
which calls in here; payments never learns what a refund request is. The same claim →
call → record discipline as a capture: the caller stores its outgoing idempotency key
and locks nothing while `payment_gateway_refund` runs, then records under the lock.
"""

from payments import hooks
from payments.exceptions import PaymentDisputed, PaymentNotCaptured
from payments.gateways import base, gateway_named
from payments.models import PaymentTransaction, State
from payments.selectors import current_attempt, payment_queryset
from payments.services.log import payment_listeners_tell, payment_log, payment_transition

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


def payment_refundable_amount(payment: PaymentTransaction) -> int:
    """Captured and not yet refunded (nor charged back), less a refund this payment has in
    flight at the gateway; refund requests still in the refunds app are the caller's."""
    in_flight = (payment.pending_operation_amount or 0) if payment.pending_operation == "refund" else 0
    return max(payment.amount_captured - payment.amount_refunded - in_flight, 0)


def payment_gateway_refund(*, payment_pk: int, amount: int, idempotency_key: str) -> base.GatewayResult:
    """Asks the payment's gateway to refund `amount` under the caller's stored key.

    Must run outside any transaction. Raises GatewayUnavailable (no answer: repeat with
    the same key) or a DomainError when the gateway refused (a new attempt needs a new
    key: gateways remember a refused key's answer).
    """
    payment = payment_queryset().get(pk=payment_pk)
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
    During a dispute, or after a lost one, the state stays and the amount is kept within
    what was captured (the log keeps the whole story).
    """
    total = payment.amount_refunded + amount
    data = {"refund": refund_id, "amount": amount, "gateway_reference": gateway_reference}
    payment_log(payment, type="refund.recorded", actor=actor, data=data)
    if total >= payment.amount_captured and payment.state in (State.COMPLETED, State.PARTIALLY_REFUNDED):
        return payment_transition(payment, "refund_fully", actor=actor, data=data)
    if payment.state == State.COMPLETED:
        return payment_transition(payment, "refund_partially", actor=actor, data=data, amount_refunded=total)
    payment.amount_refunded = min(total, payment.amount_captured)
    payment.version += 1
    payment.save()
    if payment.state == State.PARTIALLY_REFUNDED:
        payment_listeners_tell(payment, hooks.PARTIALLY_REFUNDED)
    return payment
