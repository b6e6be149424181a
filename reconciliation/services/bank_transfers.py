"""A bank transfer's money found on the statement: payments completes the payment, then
the line is matched to it, in one transaction (lock order: payment, then line)."""

from django.db import transaction
from django.utils import timezone

from payments.services.bank_transfers import bank_transfer_credit
from reconciliation.locks import lock_line
from reconciliation.models import LineState, MatchKind, StatementLine
from reconciliation.services.log import line_transition


def bank_transfer_settle(*, line_pk: int, payment_pk: int, actor: str) -> bool:
    """True when the credit completed the payment and the line is matched to it. A credit
    the payment can no longer take (expired, paid meanwhile, amount off) sends the line to
    review with the payment as its suggestion; the money is then a person's decision."""
    booked = StatementLine.objects.only("amount", "currency", "public_id").get(pk=line_pk)
    with transaction.atomic():
        outcome = bank_transfer_credit(
            payment_pk=payment_pk,
            amount=booked.amount,
            currency=booked.currency,
            actor=actor,
            statement_line_id=booked.public_id,
        )
        line = lock_line(line_pk=line_pk)
        if line.state != LineState.UNMATCHED:
            return False
        payment = outcome.payment
        if outcome.completed:
            line_transition(
                line,
                "match_automatically",
                actor=actor,
                data={"kind": "payment", "id": payment.public_id, "bank_transfer": True},
                kind=MatchKind.PAYMENT,
                payment=payment,
                at=timezone.now(),
            )
            return True
        suggestion = {
            "kind": "payment",
            "id": payment.public_id,
            "amount": payment.amount,
            "net": None,
            "currency": payment.currency,
            "date": None,
            "score": 50,
            "reasons": [outcome.reason],
        }
        line_transition(
            line,
            "send_to_review",
            actor=actor,
            data={"reason": outcome.reason},
            reason=f"bank transfer: {outcome.reason}",
            suggestions=[suggestion],
        )
        return False
