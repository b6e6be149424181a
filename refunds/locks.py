"""The only place refunds builds select_for_update querysets.

Order: session → order → payment → refund/dispute, by primary key. A refund is found by
its id first (unlocked, to learn its payment), then the payment is locked through
payments' helper, then the refund: the same order as a new refund takes.
"""

from core.exceptions import NotFound
from payments.locks import lock_payment, lock_payment_by_pk
from refunds.models import Dispute, RefundRequest


def lock_payment_for_refund(*, merchant_id: int, payment_intent_id: str):
    """The merchant's payment, locked before its refunds are summed (404 for anyone else's)."""
    return lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)


def lock_refund_and_payment(*, refund_pk: int):
    """(payment, refund), both locked for the rest of the transaction."""
    payment_pk = RefundRequest.objects.filter(pk=refund_pk).values_list("payment_id", flat=True).first()
    if payment_pk is None:
        raise NotFound("No such refund.", param="id")
    payment = lock_payment_by_pk(payment_pk)
    refund = RefundRequest.objects.select_for_update(of=("self",)).select_related("merchant").get(pk=refund_pk)
    return payment, refund


def lock_merchant_refund_and_payment(*, merchant_id: int, refund_id: str):
    """The merchant's refund (and its payment) locked, or 404 for anyone else's."""
    refund_pk = RefundRequest.objects.filter(merchant_id=merchant_id, public_id=refund_id).values_list("pk", flat=True)
    refund_pk = refund_pk.first()
    if refund_pk is None:
        raise NotFound("No such refund.", param="id")
    return lock_refund_and_payment(refund_pk=refund_pk)


def lock_dispute(*, gateway: str, gateway_dispute_id: str) -> Dispute | None:
    """The caller already holds the dispute's payment lock."""
    return Dispute.objects.select_for_update().filter(gateway=gateway, gateway_dispute_id=gateway_dispute_id).first()
