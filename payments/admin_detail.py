"""What the payment detail page shows above its fields: a summary card, links to
everything about the payment, and its timeline. Read-only; payments knows nothing of
checkout or refunds, so those are reached through their admin lists by search."""

from django.urls import NoReverseMatch, reverse

from core.backoffice.display import badge, data_summary, humanize
from core.money import format_minor
from fraud.selectors import assessment_latest_for_payment
from payments.models import PaymentTransaction, State
from payments.selectors import payment_api_status

THREE_DS = {
    State.PROCESSING: "Authenticated (challenge passed)",
    State.FAILED: "Failed authentication",
    State.EXPIRED: "Challenge abandoned (timed out)",
    State.CANCELLED: "Challenge abandoned (canceled)",
}


def three_ds_result(events) -> str:
    """How 3-D Secure went, read from the transitions out of requires_action."""
    challenged = [event for event in events if event.from_state == State.REQUIRES_ACTION]
    if challenged:
        return THREE_DS.get(challenged[-1].to_state, f"Challenge ended in {challenged[-1].to_state}")
    if any(event.to_state == State.REQUIRES_ACTION for event in events):
        return "Challenge in progress"
    return "Not challenged"


def _admin_search(url_name: str, query: str, **extra) -> str:
    try:
        base = reverse(url_name)
    except NoReverseMatch:
        return ""
    params = "&".join([f"q={query}", *(f"{k}={v}" for k, v in extra.items())])
    return f"{base}?{params}"


def payment_summary(payment: PaymentTransaction, *, user) -> dict:
    events = list(payment.events.order_by("id"))
    assessment = assessment_latest_for_payment(payment_intent_id=payment.public_id)
    method = payment.payment_method
    status = payment_api_status(payment)
    customer = (assessment.email if assessment else "") or str((payment.metadata or {}).get("receipt_email") or "")
    links = [
        ("Checkout session", _admin_search("admin:checkout_checkoutsession_changelist", payment.reference)),
        ("Order", _admin_search("admin:checkout_order_changelist", payment.public_id)),
        ("Refunds", _admin_search("admin:refunds_refundrequest_changelist", payment.public_id)),
        ("Disputes", _admin_search("admin:refunds_dispute_changelist", payment.public_id, status="all")),
    ]
    if assessment is not None:
        links.append(("Fraud assessment", reverse("admin:fraud_fraudassessment_change", args=[assessment.pk])))
    return {
        "amount": format_minor(payment.amount, payment.currency),
        "status_badge": badge(status),
        "captured": format_minor(payment.amount_captured, payment.currency),
        "refunded": format_minor(payment.amount_refunded, payment.currency),
        "customer": customer or "—",
        "card": f"{method.brand.capitalize()} •••• {method.last4}" if method else "—",
        "card_expiry": f"{method.exp_month:02d}/{method.exp_year % 100:02d}" if method else "",
        "three_ds": three_ds_result(events),
        "fraud_score": f"{assessment.risk_score} / 100 ({assessment.get_status_display().lower()})"
        if assessment
        else "Not scored",
        "fraud_tone": assessment.risk_level if assessment else "",
        "merchant": payment.merchant.name,
        "capture_mode": payment.get_capture_mode_display(),
        "links": [(label, url) for label, url in links if url],
        "timeline": [
            {
                "when": event.created_at,
                "what": humanize(event.type),
                "change": f"{event.from_state} → {event.to_state}" if event.to_state else "",
                "who": event.actor,
                "detail": data_summary(event.data),
            }
            for event in reversed(events)
        ],
    }
