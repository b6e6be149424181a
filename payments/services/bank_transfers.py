"""Bank transfers: the shopper pays by a transfer quoting a unique reference, and the
merchant's bank statement (reconciliation) tells us the money arrived."""

from dataclasses import dataclass

from django.db import transaction

from payments.gateways import base
from payments.locks import lock_payment_by_pk
from payments.models import PaymentAttempt, PaymentTransaction, State
from payments.services.log import payment_log
from payments.services.outcomes import outcome_apply

BANK_TRANSFER_ACTION = "display_bank_transfer_instructions"


@dataclass(frozen=True)
class CreditOutcome:
    payment: PaymentTransaction
    completed: bool
    reason: str = ""


def is_awaiting_transfer(payment: PaymentTransaction) -> bool:
    return payment.state == State.REQUIRES_ACTION and (payment.next_action or {}).get("type") == BANK_TRANSFER_ACTION


def bank_transfer_credit(
    *, payment_pk: int, amount: int, currency: str, actor: str, statement_line_id: str = ""
) -> CreditOutcome:
    """A credit of `amount` quoting the payment's transfer reference was booked. Locks the
    payment (a savepoint when the caller holds a transaction). The exact amount completes
    it (REQUIRES_ACTION → PROCESSING → COMPLETED, as a gateway's success would, so the
    payable's owner finalizes as for a card); anything else changes nothing and says why:
    an under- or overpayment, or a payment no longer waiting (expired, already paid)."""
    with transaction.atomic():
        payment = lock_payment_by_pk(payment_pk)
        if not is_awaiting_transfer(payment):
            return CreditOutcome(payment, False, f"the payment is {payment.state}, no longer waiting for a transfer")
        if currency != payment.currency:
            return CreditOutcome(payment, False, f"paid in {currency}, asked in {payment.currency}")
        if amount != payment.amount:
            word = "underpaid" if amount < payment.amount else "overpaid"
            payment_log(
                payment,
                type="bank_transfer.amount_mismatch",
                actor=actor,
                data={"received": amount, "expected": payment.amount, "statement_line": statement_line_id},
            )
            return CreditOutcome(payment, False, f"{word} by {abs(amount - payment.amount)}")
        attempt = payment.attempts.filter(status__in=PaymentAttempt.OPEN).order_by("-number").first()
        if attempt is None:
            return CreditOutcome(payment, False, "the payment has no open attempt")
        result = base.GatewayResult(status=base.SUCCEEDED, amount=amount, reference=statement_line_id)
        outcome_apply(payment, attempt, result, actor=actor, source="bank_statement")
        return CreditOutcome(
            payment,
            payment.state == State.COMPLETED,
            "" if payment.state == State.COMPLETED else f"the payment is {payment.state}",
        )
