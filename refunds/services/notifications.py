"""Emails about refunds: reviewers asked to review, shoppers told their money is back.

Run by tasks after the refund's transaction committed. Each is safe to run twice: the
reviewers' email is sent once per review round (the refund's version), the shopper's
receipt once per refund.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from core.money import Money
from refunds.models import RefundRequest
from refunds.selectors import refund_queryset, refund_reviewer_emails
from refunds.services.log import refund_log

SYSTEM_ACTOR = "system:refunds"


def _context(refund: RefundRequest) -> dict:
    return {
        "refund": refund,
        "merchant": refund.merchant,
        "amount": Money(refund.amount, refund.currency).format(),
        "payment_intent_id": refund.payment.public_id,
        "admin_url": f"{settings.PUBLIC_BASE_URL}/admin/refunds/refundrequest/{refund.pk}/review/",
    }


def refund_reviewers_email(*, refund_pk: int) -> int:
    """Emails the refund approvers that a refund waits for them; returns how many got it.

    Once per review round: the round (the refund's version) is claimed by compare-and-set
    before sending, so of two runs (a redelivered task, a retry) only one sends; a send
    that fails gives the claim back for the task's retry."""
    refund = refund_queryset().get(pk=refund_pk)
    if refund.state != RefundRequest.State.UNDER_REVIEW:
        return 0
    claimed = (
        RefundRequest.objects.filter(pk=refund_pk, state=RefundRequest.State.UNDER_REVIEW, version=refund.version)
        .exclude(reviewers_emailed_version=refund.version)
        .update(reviewers_emailed_version=refund.version, reviewers_emailed_at=timezone.now())
    )
    if not claimed:
        return 0
    recipients = refund_reviewer_emails()
    if recipients:
        try:
            send_mail(
                subject=(
                    f"Refund {refund.public_id} awaits review: {_context(refund)['amount']} for {refund.merchant.name}"
                )[:200],
                message=render_to_string("refunds/emails/review_requested.txt", _context(refund)),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=recipients,
            )
        except Exception:
            RefundRequest.objects.filter(pk=refund_pk, reviewers_emailed_version=refund.version).update(
                reviewers_emailed_version=None, reviewers_emailed_at=None
            )
            raise
    refund_log(
        refund, type="reviewers.emailed", actor=SYSTEM_ACTOR, data={"version": refund.version, "to": len(recipients)}
    )
    return len(recipients)


def refund_receipt_email(*, refund_pk: int) -> bool:
    """Emails the shopper that a completed refund is on its way back; once per refund."""
    claimed = RefundRequest.objects.filter(
        pk=refund_pk, state=RefundRequest.State.COMPLETED, receipt_sent_at__isnull=True
    ).exclude(receipt_email="")
    # Compare-and-set: of two runs, only one sends.
    if not claimed.update(receipt_sent_at=timezone.now()):
        return False
    refund = refund_queryset().get(pk=refund_pk)
    try:
        send_mail(
            subject=f"Your refund from {refund.merchant.name}"[:200],
            message=render_to_string("refunds/emails/refund_receipt.txt", _context(refund)),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[refund.receipt_email],
        )
    except Exception:
        RefundRequest.objects.filter(pk=refund_pk).update(receipt_sent_at=None)
        raise
    refund_log(refund, type="receipt.emailed", actor=SYSTEM_ACTOR)
    return True
