"""Reads for totals: promotions by code, the latest calculation, and what blocks payment.

Never writes (POST /validate is a read with a verb: it must not move the session's
version, timeline or calculation).
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from checkout.fulfillment_selectors import selected_shipment_plan
from checkout.inventory_selectors import session_hold_is_partial
from checkout.models import Address, Calculation, CheckoutSession, Promotion
from checkout.pricing import PromotionTerms, promotion_problem
from checkout.selectors import session_address, session_get
from core.exceptions import NotFound

# A session in one of these states will never be paid, whatever else is fixed.
CLOSED = frozenset(
    {
        CheckoutSession.Status.COMPLETED,
        CheckoutSession.Status.CANCELED,
        CheckoutSession.Status.EXPIRED,
        CheckoutSession.Status.DECLINED,
        CheckoutSession.Status.FAILED,
    }
)


def promotion_terms(promotion: Promotion) -> PromotionTerms:
    return PromotionTerms(
        promotion_id=promotion.pk,
        code=promotion.code,
        kind=promotion.kind,
        percent_off_bps=promotion.percent_off_bps,
        amount_off=promotion.amount_off,
        currency=promotion.currency,
        min_subtotal=promotion.min_subtotal,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        usage_limit=promotion.usage_limit,
        times_redeemed=promotion.times_redeemed,
        is_active=promotion.is_active,
    )


def promotion_terms_for_codes(*, merchant_id: int, codes: list[str]) -> dict[str, PromotionTerms]:
    """{code as given: terms} for the merchant's promotions, in one query.

    Codes match case-insensitively (shoppers type them); should a merchant have both
    "SAVE" and "save", the exact spelling wins.
    """
    if not codes:
        return {}
    query = Q()
    for code in codes:
        query |= Q(code__iexact=code)
    rows = list(Promotion.objects.filter(query, merchant_id=merchant_id).order_by("id"))
    found = {}
    for code in codes:
        matches = [row for row in rows if row.code.upper() == code.upper()]
        best = next((row for row in matches if row.code == code), None) or (matches[0] if matches else None)
        if best is not None:
            found[code] = promotion_terms(best)
    return found


def promotion_codes_problem(*, codes: list[str], found: dict, currency: str, sub_total: int, now) -> str | None:
    """Why the session's promotion codes cannot apply, or None. One code per session."""
    if len(codes) > 1:
        return "Only one promotion code can be applied to a checkout session."
    if not codes:
        return None
    terms = found.get(codes[0])
    if terms is None:
        return f"There is no promotion code {codes[0]}."
    return promotion_problem(terms, currency=currency, sub_total=sub_total, now=now)


@dataclass(frozen=True)
class LatestCalculation:
    calculation: Calculation
    checkout_id: str
    is_current: bool


def calculation_latest_get(*, merchant_id: int, checkout_id: str) -> LatestCalculation:
    """The session's latest calculation, stale or not; 404 calculation_missing before the
    first calculate (and resource_missing for another merchant's session)."""
    session = (
        CheckoutSession.objects.select_related("current_calculation")
        .filter(merchant_id=merchant_id, public_id=checkout_id)
        .only("id", "public_id", "pricing_version", "current_calculation")
        .first()
    )
    if session is None:
        raise NotFound("No such checkout session.", param="id")
    calc = session.current_calculation
    if calc is None:
        raise NotFound(
            "This session has no totals yet; call calculate first.",
            code="calculation_missing",
            explain="POST /v1/checkout/sessions/{id}/calculate creates the first calculation",
        )
    return LatestCalculation(
        calculation=calc, checkout_id=session.public_id, is_current=calc.pricing_version == session.pricing_version
    )


def _blocker(code: str, message: str, param: str | None = None) -> dict:
    return {"code": code, "message": message, "param": param}


def session_blockers(*, merchant_id: int, checkout_id: str) -> list[dict]:
    """Everything that stands between the session and payment, as {code, message, param}.

    An empty list means the session may be paid at its current calculation.
    """
    return session_blockers_for(session_get(merchant_id=merchant_id, checkout_id=checkout_id))


def session_blockers_for(session: CheckoutSession) -> list[dict]:
    """session_blockers for a session already read (with session_get's prefetches)."""
    merchant_id = session.merchant_id
    lines = list(session.lines.all())
    blockers = []
    if not lines:
        blockers.append(_blocker("cart_empty", "The cart has no lines; add them with PATCH.", "lines"))
    if session.status in CLOSED:
        blockers.append(_blocker("session_not_open", f"The session is {session.status}.", "status"))
    if session.currency not in session.merchant.supported_currencies:
        blockers.append(
            _blocker("currency_not_supported", f"{session.currency} is no longer a supported currency.", "currency")
        )
    if not session.customer_email:
        blockers.append(_blocker("missing_email", "The customer's email address is missing.", "email"))

    ships = any(line.requires_shipping for line in lines)
    if ships and session.pickup_location_id is None and selected_shipment_plan(session) is None:
        if session_address(session, Address.Kind.SHIPPING) is None:
            blockers.append(_blocker("missing_shipping_address", "A shipping address is needed.", "shipping_address"))
        rate = session.selected_shipping_rate
        if rate is None:
            blockers.append(_blocker("shipping_not_selected", "Choose a shipping option or pickup.", "shipping"))
        elif not rate.is_active or rate.currency != session.currency:
            blockers.append(
                _blocker("shipping_rate_invalid", "The selected shipping option no longer applies.", "shipping")
            )
    if session.require_billing_address and session_address(session, Address.Kind.BILLING) is None:
        blockers.append(_blocker("missing_billing_address", "A billing address is needed.", "billing_address"))

    codes = list(session.promotion_codes or [])
    problem = promotion_codes_problem(
        codes=codes,
        found=promotion_terms_for_codes(merchant_id=merchant_id, codes=codes[:1]) if len(codes) == 1 else {},
        currency=session.currency,
        sub_total=sum(line.quantity * line.unit_amount for line in lines),
        now=timezone.now(),
    )
    if problem:
        blockers.append(_blocker("invalid_promotion", problem, "promotion_codes"))

    if session_hold_is_partial(session):
        blockers.append(
            _blocker(
                "inventory_shortfall",
                "The stock hold covers only part of the cart; change the cart and reserve again.",
                "lines",
            )
        )

    calc = session.current_calculation
    if calc is None:
        blockers.append(_blocker("calculation_missing", "The totals have not been calculated.", None))
    elif calc.pricing_version != session.pricing_version:
        blockers.append(
            _blocker("stale_calculation", "The session changed since its totals were calculated; calculate again.")
        )
    return blockers
