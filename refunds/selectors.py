"""Reads of refunds and disputes; never write."""

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum

from core.exceptions import NotFound
from refunds.models import Dispute, RefundRequest

APPROVE_PERMISSION = "refunds.approve_refund"
SEND_TRANSFER_PERMISSION = "refunds.send_refund_transfer"


def refund_queryset():
    return RefundRequest.objects.select_related("merchant", "payment")


def refund_get(*, merchant_id: int, refund_id: str) -> RefundRequest:
    refund = refund_queryset().filter(merchant_id=merchant_id, public_id=refund_id).first()
    if refund is None:
        raise NotFound("No such refund.", param="id")
    return refund


def refund_list(*, merchant_id: int, status=None, payment_intent=None, created_gte=None, created_lte=None):
    refunds = refund_queryset().filter(merchant_id=merchant_id)
    if status:
        refunds = refunds.filter(state=status)
    if payment_intent:
        refunds = refunds.filter(payment__public_id=payment_intent)
    if created_gte:
        refunds = refunds.filter(created_at__gte=created_gte)
    if created_lte:
        refunds = refunds.filter(created_at__lte=created_lte)
    return refunds


def _reserving(*, payment_pk: int, exclude_pk: int | None):
    reserving = Q(state__in=RefundRequest.RESERVING) | Q(state=RefundRequest.State.FAILED, outcome_unknown=True)
    refunds = RefundRequest.objects.filter(reserving, payment_id=payment_pk)
    return refunds.exclude(pk=exclude_pk) if exclude_pk is not None else refunds


def refund_reserved_amount(*, payment_pk: int, exclude_pk: int | None = None) -> int:
    """What refunds hold of the payment's own card beyond what it recorded as refunded: those
    not yet completed, and those completed to store credit (the charge keeps that money, but
    it was given back once). The caller holds the payment's lock. (A split-paid intent's gift
    card and store credit parts: refund_reserved_parts.)"""
    in_flight = _reserving(payment_pk=payment_pk, exclude_pk=exclude_pk).aggregate(total=Sum("card_amount"))
    as_credit = RefundRequest.objects.filter(
        payment_id=payment_pk, state=RefundRequest.State.COMPLETED, refund_to=RefundRequest.Destination.STORE_CREDIT
    ).aggregate(total=Sum("card_amount"))
    return (in_flight["total"] or 0) + (as_credit["total"] or 0)


def refund_reserved_parts(*, payment_pk: int, exclude_pk: int | None = None) -> dict[int, int]:
    """What refunds not yet completed hold of each part of a split-paid intent, by part."""
    held: dict[int, int] = {}
    for allocations in _reserving(payment_pk=payment_pk, exclude_pk=exclude_pk).values_list("allocations", flat=True):
        for share in allocations or []:
            held[share["part"]] = held.get(share["part"], 0) + share["amount"]
    return held


def refund_events(refund: RefundRequest):
    return refund.events.select_related("user").order_by("id")


def refund_reviewer_emails() -> list[str]:
    """Active staff who may approve refunds (superusers included) and have an address."""
    # Named: django-axes' backend sits beside the model backend and holds no permissions.
    users = get_user_model().objects.with_perm(
        APPROVE_PERMISSION, is_active=True, include_superusers=True, backend="django.contrib.auth.backends.ModelBackend"
    )
    return sorted({user.email for user in users if user.email and user.is_staff})


def dispute_open_list():
    """Open disputes, the one whose evidence is due first on top."""
    return (
        Dispute.objects.select_related("merchant", "payment")
        .filter(status=Dispute.Status.OPEN)
        .order_by("evidence_due_by", "id")
    )


def refund_line_quantities(*, payment_pk: int) -> dict[str, int]:
    """Units of each line already refunded or held by a refund in flight (the same refunds
    that count against the amount); the caller holds the payment's lock."""
    counting = (
        Q(state__in=RefundRequest.RESERVING)
        | Q(state=RefundRequest.State.COMPLETED)
        | Q(state=RefundRequest.State.FAILED, outcome_unknown=True)
    )
    quantities: dict[str, int] = {}
    for lines in RefundRequest.objects.filter(counting, payment_id=payment_pk).values_list("lines", flat=True):
        for line in lines or []:
            quantities[line["line_id"]] = quantities.get(line["line_id"], 0) + int(line["quantity"])
    return quantities


def refund_review_waiting_count() -> int:
    """Refunds waiting for a reviewer's decision (the back office's queue)."""
    return RefundRequest.objects.filter(state=RefundRequest.State.UNDER_REVIEW).count()


# Bank transfers' refunds approved and waiting for finance to send them.
TRANSFER_WAITING = Q(state=RefundRequest.State.PROCESSING) & ~Q(transfer_iban="")


def refund_transfers_waiting():
    """Refunds whose transfer finance has still to send, oldest first."""
    return refund_queryset().filter(TRANSFER_WAITING).order_by("id")


def refund_transfers_waiting_count() -> int:
    return refund_transfers_waiting().count()


def dispute_open_count() -> int:
    return Dispute.objects.filter(status=Dispute.Status.OPEN).count()
