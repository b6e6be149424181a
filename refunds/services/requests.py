"""Asking for a refund (by API or by staff) and answering a reviewer's question."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.exceptions import DomainError
from core.money import format_minor
from payments.models import PaymentTransaction
from payments.services.refunds import payment_refund_check, payment_refundable_amount
from refunds.exceptions import RefundExceedsCaptured
from refunds.locks import lock_merchant_refund_and_payment, lock_payment_for_refund
from refunds.models import RefundRequest
from refunds.rules import auto_approval
from refunds.selectors import refund_reserved_amount
from refunds.services.log import refund_emit, refund_log, refund_transition
from refunds.services.queue import queue_processing, queue_review_request

RULES_ACTOR = "system:refund_rules"


def refund_room(payment: PaymentTransaction, *, exclude_pk: int | None = None) -> int:
    """What may still be refunded, by payments' one rule (which counts the refunds in
    flight here through the reservations refunds registers, and payments' own).

    The caller holds the payment's lock: the sum stays true until its transaction ends,
    which is what keeps concurrent requests from refunding more than was captured.
    """
    return payment_refundable_amount(payment, exclude_reservation=exclude_pk)


def refund_reservations(*, payment_pk: int, exclude=None) -> int:
    """Registered with payments (RefundsConfig.ready): what refund requests hold."""
    return refund_reserved_amount(payment_pk=payment_pk, exclude_pk=exclude)


def refund_room_check(payment: PaymentTransaction, amount: int, *, exclude_pk: int | None = None) -> None:
    room = refund_room(payment, exclude_pk=exclude_pk)
    if amount > room:
        raise RefundExceedsCaptured(
            f"At most {format_minor(max(room, 0), payment.currency)} is left to refund on this payment.",
            param="amount",
            extra={"refundable_amount": max(room, 0)},
        )


def _receipt_email(payment: PaymentTransaction, given: str) -> str:
    candidate = given or str((payment.metadata or {}).get("receipt_email") or "")
    try:
        validate_email(candidate)
    except ValidationError:
        return ""
    return candidate


def refund_create(
    *,
    merchant_id: int,
    payment_intent_id: str,
    amount: int | None,
    reason: str,
    actor: str,
    note: str = "",
    lines=(),
    receipt_email: str = "",
    user=None,
) -> RefundRequest:
    """A refund of `amount` (None: all that is left) of the merchant's payment.

    Locks the payment first, sums what it has refunded and what refunds in flight hold,
    and writes the request only if it fits. The merchant's rules approve it at once or
    send it to review (reviewers are emailed on commit); an approved one is queued for
    the gateway on commit. `user`: the staff member asking, kept for the four-eyes rule.
    Raises NotFound (404), PaymentNotCaptured or PaymentDisputed (409),
    RefundExceedsCaptured (400).
    """
    with transaction.atomic(durable=True):
        payment = lock_payment_for_refund(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        payment_refund_check(payment)
        if amount is None:
            amount = refund_room(payment)
            if amount <= 0:
                raise RefundExceedsCaptured("Nothing is left to refund on this payment.", param="amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            # The API's serializer says so too; the service must hold for every caller.
            raise DomainError("amount must be a positive integer in minor units.", param="amount")
        refund_room_check(payment, amount)
        refund = RefundRequest.objects.create(
            merchant_id=merchant_id,
            payment=payment,
            amount=amount,
            currency=payment.currency,
            reason=reason,
            note=note,
            lines=[dict(line) for line in lines],
            receipt_email=_receipt_email(payment, receipt_email),
            requested_by=actor,
            requested_by_user=user,
        )
        refund_log(
            refund,
            type="created",
            actor=actor,
            user=user,
            data={"amount": amount, "reason": reason, "note": note, "lines": refund.lines},
            to_state=refund.state,
        )
        refund_emit(refund, "refund.created", before=None)
        decision = auto_approval(
            merchant=payment.merchant, amount=amount, currency=payment.currency, captured_at=payment.completed_at
        )
        if decision.approved:
            refund_transition(refund, "approve_automatically", actor=RULES_ACTOR, data={"why": decision.why})
            queue_processing(refund.pk)
        else:
            refund_transition(refund, "submit_for_review", actor=RULES_ACTOR, data={"why": decision.why})
            queue_review_request(refund.pk)
    return refund


def refund_provide_info(*, merchant_id: int, refund_id: str, information: str, actor: str) -> RefundRequest:
    """The requester's answer to a reviewer's question: NEEDS_INFO → UNDER_REVIEW, and
    the reviewers are emailed again. Locks payment then refund. Raises NotFound (404),
    InvalidStateTransition (409) unless the refund waits for information."""
    with transaction.atomic(durable=True):
        payment, refund = lock_merchant_refund_and_payment(merchant_id=merchant_id, refund_id=refund_id)
        refund.payment = payment
        refund_transition(
            refund, "provide_info", actor=actor, data={"information": information}, information=information
        )
        queue_review_request(refund.pk)
    return refund
