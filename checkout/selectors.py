"""Reads of checkout state; never write."""

from datetime import timedelta

from django.db.models import IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from checkout.hosted_links import HOSTED_LINK_TTL, session_token
from checkout.models import Address, CartLine, CheckoutSession, PickupLocation, SessionEvent
from checkout.providers.shipping import ShippingQuery, ShippingQuote, shipping_provider_for
from core.exceptions import NotFound
from core.rows import children_json, rows_from_json
from payments.selectors import payment_intent_summaries

_table = CheckoutSession._meta.db_table
# The lines and addresses ride along in the session's own query (one round trip, whatever the
# cart's size); the selected shipment plan's id tells whether there is one to read.
SESSION_CHILDREN = {
    "_lines_json": children_json(CartLine, parent_table=_table, fk_column="session_id", order_by="c.position, c.id"),
    "_addresses_json": children_json(Address, parent_table=_table, fk_column="session_id", order_by="c.kind, c.id"),
    "_selected_plan_id": RawSQL(
        f'(SELECT p.id FROM "checkout_shipmentplan" p WHERE p.session_id = "{_table}"."id" AND p.status = %s)',
        ("selected",),
        output_field=IntegerField(),
    ),
}


def _address_country(kind: str) -> Subquery:
    return Subquery(Address.objects.filter(session=OuterRef("pk"), kind=kind).values("country")[:1])


# What a session knows of its payer beside its own columns (customer_email, locale), for
# payments' fraud scoring: annotations of the session's query (checkout.locks).
PAYER_FACTS = {
    "billing_country": _address_country(Address.Kind.BILLING),
    "shipping_country": _address_country(Address.Kind.SHIPPING),
}


def payer_facts(row) -> dict:
    """The risk facts (payments.hooks) of a session read with PAYER_FACTS: an instance or
    a values() dict."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return {
        "email": get("customer_email"),
        "billing_country": get("billing_country") or "",
        "shipping_country": get("shipping_country") or "",
        "locale": get("locale"),
    }


def session_children_attach(session: CheckoutSession) -> CheckoutSession:
    """Turns what SESSION_CHILDREN read into the prefetched lists prefetch_related would leave
    (on a database that could not read them along, the children are read when asked for)."""
    children = {
        "lines": rows_from_json(CartLine, session.__dict__.pop("_lines_json")),
        "addresses": rows_from_json(Address, session.__dict__.pop("_addresses_json")),
    }
    session._prefetched_objects_cache = {name: rows for name, rows in children.items() if rows is not None}
    return session


def session_queryset():
    return CheckoutSession.objects.select_related(
        "merchant", "current_calculation", "selected_shipping_rate", "pickup_location"
    ).prefetch_related("lines", Prefetch("addresses", queryset=Address.objects.order_by("kind")))


def session_get(*, merchant_id: int, checkout_id: str) -> CheckoutSession:
    """The merchant's session with its children, in one query, or NotFound; another
    merchant's session is 'not found' too."""
    session = (
        CheckoutSession.objects.select_related(
            "merchant", "current_calculation", "selected_shipping_rate", "pickup_location"
        )
        .annotate(**SESSION_CHILDREN)
        .filter(merchant_id=merchant_id, public_id=checkout_id)
        .first()
    )
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    return session_children_attach(session)


def session_with_children(session: CheckoutSession, *, lines, addresses=()) -> CheckoutSession:
    """Attaches children a service just wrote, as prefetch_related would, so answering
    with the session costs no second read of what is already in memory."""
    session._prefetched_objects_cache = {"lines": list(lines), "addresses": list(addresses)}
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
    found = payment_intent_summaries(payment_intent_ids=[s.payment_intent_id for s in with_intent])
    summaries = {}
    for session in with_intent:
        merchant_id, summary = found.get(session.payment_intent_id, (None, None))
        if merchant_id == session.merchant_id:
            summaries[session.pk] = summary
    return summaries


def session_shipping_query(session: CheckoutSession) -> ShippingQuery:
    lines = list(session.lines.all())
    address = session_address(session, Address.Kind.SHIPPING)
    return ShippingQuery(
        country=address.country if address else None,
        currency=session.currency,
        sub_total=sum(line.quantity * line.unit_amount for line in lines),
        weight_grams=sum(line.weight_grams * line.quantity for line in lines if line.requires_shipping),
    )


def session_requires_shipping(session: CheckoutSession) -> bool:
    return any(line.requires_shipping for line in session.lines.all())


def session_shipping_quote(session: CheckoutSession) -> ShippingQuote:
    """The shipping options the session's cart and address qualify for right now."""
    query = session_shipping_query(session)
    if not session_requires_shipping(session):
        return ShippingQuote(query=query, shipping_required=False, options=[])
    options = shipping_provider_for(session.merchant).options(merchant_id=session.merchant_id, query=query)
    return ShippingQuote(query=query, shipping_required=True, options=options)


def pickup_location_list(*, merchant_id: int):
    return PickupLocation.objects.filter(merchant_id=merchant_id, is_active=True)


def pickup_location_get(*, merchant_id: int, pickup_location_id: str) -> PickupLocation:
    """One of the merchant's active pickup locations; another merchant's is 'not found'."""
    location = pickup_location_list(merchant_id=merchant_id).filter(public_id=pickup_location_id).first()
    if location is None:
        raise NotFound("No such pickup location.", param="pickup_location_id")
    return location


# (merchant id, session id) pairs this process has seen exist. Sessions are never
# deleted, so a yes stays true (and a session id is random: one whose creating
# transaction rolled back names nothing else, ever); a no is asked again.
_KNOWN_SESSIONS: set[tuple[int, str]] = set()
_KNOWN_SESSIONS_MAX = 50_000


def _known(merchant_id: int, checkout_id: str) -> None:
    if len(_KNOWN_SESSIONS) >= _KNOWN_SESSIONS_MAX:
        _KNOWN_SESSIONS.clear()
    _KNOWN_SESSIONS.add((merchant_id, checkout_id))


def session_seen(session: CheckoutSession) -> None:
    """Notes that the session exists (a service that has just read or locked it)."""
    _known(session.merchant_id, session.public_id)


def payment_event_context(merchant_id: int, reference: str) -> dict:
    """For payments' events: the session a payment's reference names, if it is one. A
    confirm's claim has locked the session already (its payable check): no second read."""
    if (merchant_id, reference) in _KNOWN_SESSIONS:
        return {"checkout_id": reference}
    if not CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=reference).exists():
        return {}
    _known(merchant_id, reference)
    return {"checkout_id": reference}


# Sessions whose shopper has nothing left to pay: no client secret is handed out for them.
_ENDED = frozenset({
    CheckoutSession.Status.COMPLETED, CheckoutSession.Status.FAILED, CheckoutSession.Status.CANCELED,
    CheckoutSession.Status.EXPIRED, CheckoutSession.Status.DECLINED, CheckoutSession.Status.CLOSING,
})  # fmt: skip


def payment_intent_details(payment, *, with_secret: bool) -> dict:
    """For payments' intent representation: the session and calculation an intent pays, and
    (to secret-key callers, while the session is open) a client secret as its create answer
    gives. Registered with payments; an intent that pays no session gets nothing."""
    session = (
        CheckoutSession.objects.select_related("current_calculation")
        .filter(merchant_id=payment.merchant_id, public_id=payment.reference)
        .first()
    )
    if session is None:
        return {}
    calculation = session.current_calculation
    open_ = session.status not in _ENDED and session.expires_at > timezone.now()
    return {
        "checkout_id": session.public_id,
        "calculation_id": calculation.public_id if calculation else None,
        "client_secret": session_token(session, ttl=HOSTED_LINK_TTL).token if with_secret and open_ else None,
    }


# A closing session's money is normally given back within seconds; the janitor resumes
# one claimed longer ago than this, and staff should look at it.
CLOSING_STUCK_AFTER = timedelta(minutes=15)


def sessions_stuck_closing():
    return CheckoutSession.objects.filter(
        status=CheckoutSession.Status.CLOSING, closing_claimed_at__lte=timezone.now() - CLOSING_STUCK_AFTER
    )


def sessions_stuck_closing_count() -> int:
    return sessions_stuck_closing().count()
