"""The review queue: approve, reject, or ask the requester for more information.

Only users with `refunds.approve_refund` act, and never on a refund they asked for
themselves when approving (four-eyes). Each decision is a transition, audited with the
reviewer and the time in RefundEvent.
"""

from django.db import transaction
from django.utils import timezone

from payments.services.refunds import payment_refund_check
from refunds.exceptions import FourEyesRequired, ReviewerNotAllowed
from refunds.locks import lock_refund_and_payment
from refunds.models import RefundRequest
from refunds.selectors import APPROVE_PERMISSION
from refunds.services.log import refund_transition, refund_transition_check
from refunds.services.queue import queue_processing
from refunds.services.requests import refund_room_check


def staff_actor(user) -> str:
    return f"staff:{user.get_username()}"


def reviewer_check(refund: RefundRequest, reviewer, *, approving: bool = False) -> None:
    if not (reviewer.is_active and reviewer.is_staff and reviewer.has_perm(APPROVE_PERMISSION)):
        raise ReviewerNotAllowed()
    if approving and refund.requested_by_user_id == reviewer.pk:
        raise FourEyesRequired()


def refund_approve(*, refund_pk: int, reviewer, note: str = "") -> RefundRequest:
    """UNDER_REVIEW → APPROVED, then queued for the gateway on commit.

    Locks payment then refund. Raises ReviewerNotAllowed / FourEyesRequired (403),
    InvalidStateTransition (409), PaymentDisputed (409) while the payment is disputed,
    RefundExceedsCaptured (400) if a chargeback took what this refund had reserved.
    """
    with transaction.atomic(durable=True):
        payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
        refund.payment = payment
        reviewer_check(refund, reviewer, approving=True)
        refund_transition_check(refund, "approve")
        payment_refund_check(payment)
        refund_room_check(payment, refund.amount, exclude_pk=refund.pk)
        refund_transition(
            refund,
            "approve",
            actor=staff_actor(reviewer),
            user=reviewer,
            data={"note": note} if note else None,
            reviewer=reviewer,
            at=timezone.now(),
        )
        queue_processing(refund.pk)
    return refund


def refund_reject(*, refund_pk: int, reviewer, reason: str) -> RefundRequest:
    """UNDER_REVIEW → REJECTED with the reviewer's reason; its reserved amount is freed.
    Locks payment then refund. Raises ReviewerNotAllowed (403), InvalidStateTransition (409)."""
    with transaction.atomic(durable=True):
        payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
        refund.payment = payment
        reviewer_check(refund, reviewer)
        refund_transition(
            refund,
            "reject",
            actor=staff_actor(reviewer),
            user=reviewer,
            data={"reason": reason},
            reviewer=reviewer,
            at=timezone.now(),
            reason=reason,
        )
    return refund


def refund_request_info(*, refund_pk: int, reviewer, message: str) -> RefundRequest:
    """UNDER_REVIEW → NEEDS_INFO with the reviewer's question; the merchant hears of it
    (refund.needs_info) and answers by API. Raises ReviewerNotAllowed (403),
    InvalidStateTransition (409)."""
    with transaction.atomic(durable=True):
        payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
        refund.payment = payment
        reviewer_check(refund, reviewer)
        refund_transition(
            refund,
            "request_info",
            actor=staff_actor(reviewer),
            user=reviewer,
            data={"message": message},
            reviewer=reviewer,
            at=timezone.now(),
            message=message,
        )
    return refund
