"""GET /failures: the merchant's failed and stuck checkouts, with why and what can fix them."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from checkout.failures import FINALIZATION_FAILED, FRAUD_BLOCK, PAYMENT_REASONS
from checkout.models import CheckoutSession, FinalizationJob, Order, SessionEvent
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


STUCK_MESSAGE = "Paid over ten minutes ago and still without an order."
_PAYMENT_MESSAGE_REASONS = PAYMENT_REASONS | {FRAUD_BLOCK}
_INTERNAL = ("replaceable", "message")  # payment facts the row uses but does not show as such


def _job_errors(sessions) -> dict[int, dict]:
    """The last failed finalization job's error of each open session (one query, and
    none when no session of the page can have one)."""
    open_ids = [s.pk for s in sessions if s.status == Status.PAYMENT_PROCESSING and not s.status_reason]
    if not open_ids:
        return {}
    errors: dict[int, dict] = {}
    failed = FinalizationJob.objects.filter(session_id__in=open_ids, status=FinalizationJob.Status.FAILED)
    for session_id, error in failed.order_by("session_id", "-id").values_list("session_id", "error"):
        errors.setdefault(session_id, error or {})
    return errors


def _message(session, payment: dict | None, job_error: dict | None) -> str | None:
    """Why, in a sentence: the status's own reason, else the payment's last error, else
    the finalization job's, else what makes a paid session stuck."""
    if session.status_reason:
        return session.status_reason
    if payment and session.failure_code in _PAYMENT_MESSAGE_REASONS and payment.get("message"):
        return payment["message"]
    if job_error:
        return f"The finalization job failed ({job_error.get('code', 'error')}): {job_error.get('message', '')}".strip()
    if not session.failure_code:
        return STUCK_MESSAGE
    return None


def failure_rows(sessions) -> list[dict]:
    """The page's rows: one query for all their payment intents (and one for the failed
    finalization jobs of those still paying)."""
    facts = payment_failure_facts(payment_intent_ids=[s.payment_intent_id for s in sessions])
    job_errors = _job_errors(sessions)
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
                "message": _message(session, payment, job_errors.get(session.pk)),
                "failed_at": session.failed_on,
                "grand_total": calc.grand_total if calc else None,
                "currency": session.currency,
                "payment_intent": (
                    {"id": session.payment_intent_id, **{k: v for k, v in payment.items() if k not in _INTERNAL}}
                    if payment
                    else None
                ),
                "actions": actions_available(session, replaceable=payment["replaceable"] if payment else None),
                "created_at": session.created_at,
            }
        )
    return rows
