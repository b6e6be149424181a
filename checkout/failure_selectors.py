"""GET /failures: the merchant's failed and stuck checkouts, with why and what can fix them."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from checkout.failures import FINALIZATION_FAILED
from checkout.models import CheckoutSession, Order, SessionEvent
from checkout.services.remediation import actions_available
from payments.selectors import payment_failure_facts

Status = CheckoutSession.Status
# Paid this long ago and still no order: finalization is stuck, whatever the reason.
PAID_NOT_FINALIZED_AFTER = timedelta(minutes=10)


def _stuck_paid(now) -> Q:
    paid_long_ago = SessionEvent.objects.filter(
        session=OuterRef("pk"),
        type__in=["payment.succeeded", "payment.authorized"],
        created_at__lte=now - PAID_NOT_FINALIZED_AFTER,
    )
    has_order = Order.objects.filter(session=OuterRef("pk"))
    return Q(status=Status.PAYMENT_PROCESSING, failure_code="") & Exists(paid_long_ago) & ~Exists(has_order)


def failure_list(
    *,
    merchant_id: int,
    reason: str | None = None,
    failed_gte: datetime | None = None,
    failed_lte: datetime | None = None,
):
    """Sessions with a failure_code (failed, expired, declined, or open after a declined
    attempt or a failed finalization job), plus paid sessions left without an order; newest
    first. Each carries `reason` and `failed_on` (annotations)."""
    now = timezone.now()
    sessions = CheckoutSession.objects.filter(merchant_id=merchant_id).filter(~Q(failure_code="") | _stuck_paid(now))
    sessions = sessions.annotate(failed_on=Coalesce("failed_at", "updated_at"))
    if reason == FINALIZATION_FAILED:
        sessions = sessions.filter(Q(failure_code=reason) | Q(failure_code=""))
    elif reason:
        sessions = sessions.filter(failure_code=reason)
    if failed_gte:
        sessions = sessions.filter(failed_on__gte=failed_gte)
    if failed_lte:
        sessions = sessions.filter(failed_on__lte=failed_lte)
    return sessions.select_related("current_calculation")


def failure_rows(sessions) -> list[dict]:
    """The page's rows: one query for all their payment intents."""
    facts = payment_failure_facts(payment_intent_ids=[s.payment_intent_id for s in sessions])
    rows = []
    for session in sessions:
        merchant_id, payment = facts.get(session.payment_intent_id, (None, None))
        payment = payment if merchant_id == session.merchant_id else None
        calc = session.current_calculation
        rows.append(
            {
                "checkout_id": session.public_id,
                "status": session.status,
                "reason": session.failure_code or FINALIZATION_FAILED,
                "message": session.status_reason or None,
                "failed_at": session.failed_on,
                "grand_total": calc.grand_total if calc else None,
                "currency": session.currency,
                "payment_intent": (
                    {"id": session.payment_intent_id, **{k: v for k, v in payment.items() if k != "replaceable"}}
                    if payment
                    else None
                ),
                "actions": actions_available(session, replaceable=payment["replaceable"] if payment else None),
                "created_at": session.created_at,
            }
        )
    return rows
