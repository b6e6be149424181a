"""Disputes (chargebacks) as the gateways report them: the payment's side.

A dispute event moves the payment COMPLETED | PARTIALLY_REFUNDED → DISPUTED, and its
close moves it back to COMPLETED (won) or on to REFUNDED (lost: the disputed money is
gone, a chargeback). The dispute record itself is kept by whoever registered a dispute
listener (refunds), in this same transaction.
"""

from payments import hooks
from payments.gateways import base
from payments.models import PaymentTransaction, State
from payments.services.log import payment_log, payment_transition

OPEN_TO_DISPUTE = (State.COMPLETED, State.PARTIALLY_REFUNDED)


def payment_dispute_apply(
    payment: PaymentTransaction, dispute: base.DisputeInfo, *, gateway: str, event_id: str, actor: str
) -> None:
    """Applies one dispute event to a locked payment, then tells the dispute listeners.

    The caller holds the payment's lock in an open transaction (the gateway event's).
    Safe to apply twice and in any order: a close that arrives without its opening opens
    and closes; an event the payment has moved past is logged and changes nothing.
    """
    data = {
        "dispute": dispute.id,
        "amount": dispute.amount,
        "currency": dispute.currency,
        "reason": dispute.reason,
        "gateway_status": dispute.status,
        "event_id": event_id,
    }
    closed_already = payment.events.filter(data__dispute=dispute.id, from_state=State.DISPUTED).exists()
    if closed_already:
        # A redelivery, or an opening that arrives after its close: the payment has moved on.
        payment_log(payment, type="dispute.noted", actor=actor, data={**data, "state": payment.state})
    else:
        if payment.state in OPEN_TO_DISPUTE:
            payment_transition(payment, "dispute", actor=actor, data=data)
            _money_moved(payment, dispute, hooks.DISPUTE, gateway=gateway)
        if payment.state == State.DISPUTED and dispute.outcome == base.DISPUTE_WON:
            payment_transition(payment, "win_dispute", actor=actor, data=data)
            _money_moved(payment, dispute, hooks.DISPUTE_REVERSAL, gateway=gateway)
        elif payment.state == State.DISPUTED and dispute.outcome == base.DISPUTE_LOST:
            chargeback = min(dispute.amount, payment.amount_captured - payment.amount_refunded)
            payment_transition(
                payment, "lose_dispute", actor=actor, data={**data, "chargeback": chargeback}, chargeback=chargeback
            )
        elif payment.state != State.DISPUTED:
            payment_log(payment, type="dispute.noted", actor=actor, data={**data, "state": payment.state})
    hooks.dispute_listeners_notify(
        hooks.DisputeNotice(
            merchant_id=payment.merchant_id,
            payment_pk=payment.pk,
            payment_intent_id=payment.public_id,
            gateway=gateway,
            gateway_dispute_id=dispute.id,
            amount=dispute.amount,
            currency=dispute.currency,
            reason=dispute.reason,
            gateway_status=dispute.status,
            outcome=dispute.outcome,
            evidence_due_by=dispute.evidence_due_by,
            event_id=event_id,
        )
    )


def _money_moved(payment: PaymentTransaction, dispute: base.DisputeInfo, kind: str, *, gateway: str) -> None:
    # The gateway withdraws the disputed money when the dispute opens (never more than
    # the payment still holds) and returns it when the merchant wins; a loss moves
    # nothing more. The amount is the same both ways: nothing is refunded meanwhile.
    withdrawn = min(dispute.amount, payment.amount_captured - payment.amount_refunded)
    hooks.money_moved(
        hooks.MoneyMovement(
            kind=kind,
            merchant_id=payment.merchant_id,
            amount=-withdrawn if kind == hooks.DISPUTE else withdrawn,
            currency=payment.currency,
            key=f"{kind}:{dispute.id}",
            source_type="dispute",
            source_id=dispute.id,
            payment_pk=payment.pk,
            gateway=gateway,
        )
    )
