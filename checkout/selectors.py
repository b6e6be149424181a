"""Reads of checkout state; never write."""

from django.db.models import Prefetch

from checkout.models import Address, CheckoutSession, SessionEvent
from core.exceptions import NotFound


def session_queryset():
    return CheckoutSession.objects.select_related(
        "merchant", "current_calculation", "selected_shipping_rate", "pickup_location"
    ).prefetch_related("lines", Prefetch("addresses", queryset=Address.objects.order_by("kind")))


def session_get(*, merchant_id: int, checkout_id: str) -> CheckoutSession:
    """The merchant's session, or NotFound; another merchant's session is 'not found' too."""
    session = session_queryset().filter(merchant_id=merchant_id, public_id=checkout_id).first()
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    return session


def session_list(*, merchant_id: int, status: str | None = None):
    qs = session_queryset().filter(merchant_id=merchant_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def session_timeline(*, merchant_id: int, checkout_id: str):
    session = CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=checkout_id).only("id").first()
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    return SessionEvent.objects.filter(session=session).order_by("id")


def session_address(session: CheckoutSession, kind: str) -> Address | None:
    # Uses the prefetched addresses, so serializing a session costs no extra query.
    return next((a for a in session.addresses.all() if a.kind == kind), None)


def payment_intent_summary_for(session: CheckoutSession) -> dict | None:
    """The session's current payment intent as the session resource shows it."""
    if not session.payment_intent_id:
        return None
    return payment_intent_summaries_for([session]).get(session.pk)


def payment_intent_summaries_for(sessions) -> dict:
    """{session pk: payment intent summary} for a page of sessions, in one query."""
    with_intent = [s for s in sessions if s.payment_intent_id]
    if not with_intent:
        return {}
    # Filled in by the payments integration: payments.selectors.payment_intent_summaries.
    return {}
