"""Reads of fraud state; never write."""

from django.db.models import Q

from core.exceptions import NotFound
from fraud.models import FraudAssessment, FraudRule, ListEntry

ANALYST_GROUP = "Fraud analysts"
Status = FraudAssessment.Status

REVIEW_STATUS = {Status.IN_REVIEW: "open", Status.ALLOWED: "closed", Status.BLOCKED: "closed", Status.PENDING: "open"}


def review_payload(assessment: FraudAssessment) -> dict:
    """Stripe's review shape: {id, status open|closed, reason, reasons, …}."""
    return {
        "id": assessment.public_id,
        "object": "review",
        "status": REVIEW_STATUS[assessment.status],
        "closed_reason": assessment.decision or None,
        "reasons": [match["reason"] for match in assessment.rule_matches],
        "risk_score": assessment.risk_score,
        "risk_level": assessment.risk_level,
        "payment_intent": assessment.payment_intent_id or None,
        "reference": assessment.reference or None,
        "reviewed_by": assessment.reviewed_by or None,
        "assignee": assessment.assignee.username if assessment.assignee_id else None,
        "created_at": assessment.created_at.isoformat() if assessment.created_at else None,
    }


def assessment_get(*, merchant_id: int, assessment_id: str) -> FraudAssessment:
    assessment = (
        FraudAssessment.objects.select_related("assignee")
        .filter(merchant_id=merchant_id, public_id=assessment_id)
        .first()
    )
    if assessment is None:
        raise NotFound("No such fraud assessment.", param="id")
    return assessment


def review_for_payment(*, merchant_id: int, payment_intent_id: str) -> FraudAssessment | None:
    """The latest review of a payment (open or closed), or None if it never was held."""
    return (
        FraudAssessment.objects.select_related("assignee")
        .filter(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        .filter(Q(status=Status.IN_REVIEW) | ~Q(decision=""))
        .order_by("-created_at", "-id")
        .first()
    )


def review_is_open(*, merchant_id: int, payment_intent_id: str) -> bool:
    """Whether the payment's money is held for a reviewer (the finalize predicate)."""
    latest = (
        FraudAssessment.objects.filter(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        .order_by("-created_at", "-id")
        .values_list("status", flat=True)
        .first()
    )
    return latest == Status.IN_REVIEW


def review_list(*, merchant_id: int, status: str = "open"):
    """Reviews of payments, oldest first (the queue order)."""
    qs = (
        FraudAssessment.objects.select_related("assignee").filter(merchant_id=merchant_id).exclude(payment_intent_id="")
    )
    if status == "open":
        qs = qs.filter(status=Status.IN_REVIEW)
    else:
        qs = qs.exclude(decision="")
    return qs.order_by("created_at", "id")


def rule_list(*, merchant_id: int):
    return FraudRule.objects.filter(merchant_id=merchant_id).order_by("priority", "id")


def list_entry_list(*, merchant_id: int, list: str = "", kind: str = ""):
    qs = ListEntry.objects.filter(merchant_id=merchant_id)
    if list:
        qs = qs.filter(list=list)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def review_open_count() -> int:
    """Held payments waiting for an analyst (the review queue's rows)."""
    return FraudAssessment.objects.filter(status=FraudAssessment.Status.IN_REVIEW).exclude(payment_intent_id="").count()


def assessment_latest_for_payment(*, payment_intent_id: str) -> FraudAssessment | None:
    """The newest assessment of a payment (every confirm is scored): the back office's view."""
    return FraudAssessment.objects.filter(payment_intent_id=payment_intent_id).order_by("-created_at", "-id").first()
