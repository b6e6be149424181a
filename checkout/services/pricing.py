"""Calculating a session's totals, and redeeming promotions. The rules: checkout/pricing.py.

A calculation is an immutable snapshot: every calculate writes a new Calculation row
(even when nothing changed, since tax rates or a promotion's validity may have) and
points the session at it. A calculation is current while its pricing_version equals the
session's; any change that can move the totals bumps the session's pricing_version.

Promotion usage: calculate checks `usage_limit` against `times_redeemed` but does not
count a use. `promotion_redeem` counts it, with a compare-and-set, when an order is
finalized, so an abandoned session never uses up a limited code.
"""

import time
from dataclasses import asdict

from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from checkout.fulfillment_selectors import selected_shipment_plan
from checkout.locks import lock_session
from checkout.models import Address, Calculation, CheckoutSession, Promotion
from checkout.pricing import (
    PricingInput,
    PricingLine,
    PricingResult,
    PricingShipping,
    compute,
    fees_from_settings,
)
from checkout.pricing_selectors import promotion_codes_problem, promotion_terms_for_codes
from checkout.providers.tax import tax_country, tax_provider_for
from checkout.services.lifecycle import ensure_editable, session_rows_add, session_touch, session_writes
from core.exceptions import Conflict, DomainError, InvalidStateTransition, ServiceUnavailable

# Bounds of calculate's `timeout_ms`: below 100 ms nothing useful finishes; above 30 s a
# client has long given up.
MIN_TIMEOUT_MS = 100
MAX_TIMEOUT_MS = 30_000


class CalculationTimeout(ServiceUnavailable):
    status_code = 504
    code = "calculation_timeout"
    default_message = "The calculation did not finish within timeout_ms; nothing was changed. Retry, or allow longer."


class _Deadline:
    """The calculation's time budget: the database enforces it on every statement
    (PostgreSQL statement_timeout, so a slow query is cancelled, not waited for), and each
    provider answer is checked against it."""

    def __init__(self, timeout_ms: int | None):
        self.timeout_ms = timeout_ms
        self.ends = time.monotonic() + timeout_ms / 1000 if timeout_ms else None

    def start(self):
        if self.timeout_ms and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # SET LOCAL: the limit ends with this transaction.
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{self.timeout_ms}ms"])

    def check(self, what: str):
        if self.ends is not None and time.monotonic() > self.ends:
            raise CalculationTimeout(
                explain=f"{what} answered after the {self.timeout_ms} ms budget", param="timeout_ms"
            )


def _is_query_canceled(exc: OperationalError) -> bool:
    # psycopg's QueryCanceled (SQLSTATE 57014): our statement_timeout fired.
    return getattr(exc.__cause__, "sqlstate", None) == "57014"


def session_calculate(
    *,
    merchant_id: int,
    checkout_id: str,
    actor: str,
    promotion_codes=None,
    force: bool | None = None,
    timeout_ms: int | None = None,
) -> Calculation:
    """Computes the session's totals and stores them as a new Calculation.

    Locks the session row for the transaction, then reads lines, addresses, shipping,
    promotions and tax rates in a fixed number of queries, whatever the number of lines.
    `promotion_codes`, when given, replaces the session's codes ([] removes them).

    `force` (default: recompute) false returns the current calculation unchanged when it
    is still current and no codes change; true or absent recomputes even then (tax rates
    and a promotion's validity can move without the session changing).
    `timeout_ms` bounds the whole calculation, lock wait and provider calls included:
    past it, 504 calculation_timeout and nothing is written.

    Allowed while the session is created or collecting (a created one moves to
    collecting). Past that, the current calculation is returned unchanged when it is
    still current, no codes change and force is not true; anything else is 409
    invalid_state_transition. Raises NotFound (404), DomainError invalid_promotion /
    currency_not_supported (400), cart_empty / shipping_rate_invalid (409),
    ServiceUnavailable tax_provider_unavailable (503), CalculationTimeout (504).
    """
    deadline = _Deadline(timeout_ms)
    try:
        with transaction.atomic():
            deadline.start()
            session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id, with_children=True)
            unchanged = promotion_codes is None or _upper(_normalized(promotion_codes)) == _upper(
                session.promotion_codes
            )
            if not session.is_editable:
                if session.calculation_is_current and unchanged and force is not True:
                    return session.current_calculation
                raise InvalidStateTransition(
                    f"A {session.status} session can no longer be recalculated.",
                    explain="totals may change only while the session is created or collecting",
                )
            if force is False and session.calculation_is_current and unchanged:
                return session.current_calculation
            # The calculation, the session's pointer to it and the timeline: one INSERT, one UPDATE.
            with session_writes(session):
                return session_calculate_locked(
                    session, actor=actor, promotion_codes=promotion_codes, deadline=deadline
                )
    except OperationalError as exc:
        if _is_query_canceled(exc):
            raise CalculationTimeout(
                explain=f"a statement ran past the {timeout_ms} ms budget", param="timeout_ms"
            ) from exc
        raise


def session_calculate_locked(
    session: CheckoutSession,
    *,
    actor: str,
    promotion_codes=None,
    deadline: _Deadline | None = None,
    past_editing: bool = False,
) -> Calculation:
    """session_calculate for a caller that already holds the session's row lock in its
    transaction (session_refresh). Every check that can raise runs before the first write.
    `past_editing`: the remediation service reprices a session whose payment failed (it
    checked that no money is held, and replaces the intent in the same transaction)."""
    deadline = deadline or _Deadline(None)
    merchant = session.merchant
    if session.currency not in merchant.supported_currencies:
        raise DomainError(
            f"{session.currency} is no longer among this merchant's supported currencies.",
            code="currency_not_supported",
            param="currency",
        )
    explicit = promotion_codes is not None
    codes = _normalized(promotion_codes) if explicit else list(session.promotion_codes or [])
    lines = list(session.lines.all())
    if not lines:
        raise Conflict(
            "The cart has no lines yet; add them with PATCH /sessions/{id} before calculating.",
            code="cart_empty",
            param="lines",
        )
    result, promotion, codes, problem = _priced(
        session, lines=lines, codes=codes, explicit=explicit, shipping=_shipping_input(session), deadline=deadline
    )

    if not past_editing:
        ensure_editable(session, actor=actor)
    codes_changed = explicit and codes != session.promotion_codes
    if codes_changed:
        session.promotion_codes = codes
        # Bumped here rather than by session_touch so the new calculation carries it.
        session.pricing_version += 1
    calc = _calculation_create(session, result, promotion_id=promotion.promotion_id if promotion else None)
    session.current_calculation = calc
    data = {"calculation_id": calc.public_id, "pricing_version": calc.pricing_version, "grand_total": calc.grand_total}
    if codes_changed:
        data["promotion_codes"] = codes
    if problem:
        data["promotion_skipped"] = problem
    session_touch(session, actor=actor, type="calculation.created", data=data)
    return calc


def _priced(session, *, lines, codes, explicit, shipping, deadline, pickup_location=None):
    """The totals for the session's cart with `shipping`, computed, not stored: the
    promotion, tax table and fees as calculate applies them. Returns (result, promotion,
    codes, problem), the promotion problem being one calculate may skip."""
    merchant = session.merchant
    if pickup_location is None and shipping and shipping.method == "pickup":
        pickup_location = session.pickup_location
    addresses = {address.kind: address for address in session.addresses.all()}
    sub_total = sum(line.quantity * line.unit_amount for line in lines)

    found = promotion_terms_for_codes(merchant_id=merchant.pk, codes=codes[:1]) if len(codes) == 1 else {}
    problem = promotion_codes_problem(
        codes=codes, found=found, currency=session.currency, sub_total=sub_total, now=timezone.now()
    )
    if problem and (explicit or len(codes) > 1):
        raise DomainError(problem, code="invalid_promotion", param="promotion_codes")
    promotion = None if problem or not codes else found[codes[0]]
    if explicit and promotion is not None:
        codes = [promotion.code]  # stored as the merchant spelled it

    country = tax_country(
        shipping_address=addresses.get(Address.Kind.SHIPPING),
        billing_address=addresses.get(Address.Kind.BILLING),
        pickup_location=pickup_location if shipping and shipping.method == "pickup" else None,
        merchant=merchant,
    )
    tax_codes = frozenset(line.tax_code for line in lines if line.tax_code) | (
        {shipping.tax_code} if shipping and shipping.tax_code else set()
    )
    tax_table = tax_provider_for(merchant).tax_table(merchant_id=merchant.pk, country=country, tax_codes=tax_codes)
    deadline.check("the tax provider")
    result = compute(
        PricingInput(
            currency=session.currency,
            prices_include_tax=merchant.prices_include_tax,
            lines=[
                PricingLine(
                    line_id=line.public_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_amount=line.unit_amount,
                    tax_code=line.tax_code,
                )
                for line in lines
            ],
            tax=tax_table,
            promotion=promotion,
            shipping=shipping,
            fees=fees_from_settings((merchant.extra_settings or {}).get("fees"), currency=session.currency),
        )
    )
    return result, promotion, codes, problem


def session_price_preview(
    session: CheckoutSession, *, shipping: PricingShipping, pickup_location=None
) -> PricingResult:
    """What the totals would be with another shipping choice, for the shopper comparing
    options before choosing one. A read: nothing is locked or written."""
    lines = list(session.lines.all())
    codes = list(session.promotion_codes or [])
    result, *_ = _priced(
        session,
        lines=lines,
        codes=codes,
        explicit=False,
        shipping=shipping,
        deadline=_Deadline(None),
        pickup_location=pickup_location,
    )
    return result


def _upper(codes) -> list[str]:
    return [code.upper() for code in codes]


def _normalized(codes) -> list[str]:
    seen, result = set(), []
    for code in codes:
        code = code.strip()
        if code and code.upper() not in seen:
            seen.add(code.upper())
            result.append(code)
    return result


def _shipping_input(session: CheckoutSession) -> PricingShipping | None:
    # A split shipment plan charges what its parcels' chosen options cost together.
    plan = selected_shipment_plan(session)
    if plan is not None:
        return PricingShipping(
            method="split",
            reference=plan.public_id,
            name=f"{len(plan.groups)} shipments" if len(plan.groups) > 1 else "1 shipment",
            amount=plan.shipping_total,
            tax_code="shipping",
        )
    # A pickup replaces delivery: it is free, and a rate chosen earlier does not apply.
    if session.pickup_location_id is not None:
        location = session.pickup_location
        return PricingShipping(method="pickup", reference=location.public_id, name=location.name, amount=0)
    rate = session.selected_shipping_rate
    if rate is None:
        return None
    if not rate.is_active or rate.currency != session.currency:
        raise DomainError(
            "The selected shipping option no longer applies to this session; select shipping again.",
            code="shipping_rate_invalid",
            param="shipping",
            status_code=409,
        )
    return PricingShipping(
        method="rate",
        reference=rate.public_id,
        name=rate.name,
        amount=rate.amount,
        tax_code=rate.tax_code,
        carrier=rate.carrier,
        service_code=rate.service_code,
    )


def _calculation_create(session: CheckoutSession, result: PricingResult, *, promotion_id) -> Calculation:
    calc = Calculation(
        session=session,
        pricing_version=session.pricing_version,
        currency=result.currency,
        prices_include_tax=result.prices_include_tax,
        sub_total=result.sub_total,
        discount_total=result.discount_total,
        tax_total=result.tax_total,
        shipping_total=result.shipping_total,
        fee_total=result.fee_total,
        grand_total=result.grand_total,
        lines=[asdict(line) for line in result.lines],
        tax_lines=[asdict(tax_line) for tax_line in result.tax_lines],
        adjustments=[
            # The promotion's row id lets finalization redeem exactly the code priced here.
            {**asdict(adj), **({"promotion_id": promotion_id} if adj.type == "promotion" else {})}
            for adj in result.adjustments
        ],
        shipping=asdict(result.shipping) if result.shipping else None,
        tax_country=result.tax_country,
    )
    session_rows_add(session, calc)
    return calc


def promotion_redeem(*, promotion_id: int) -> None:
    """Counts one use of the promotion; called by order finalization in its transaction.

    Compare-and-set: the UPDATE's WHERE is re-evaluated on the row as it stands once the
    row lock is granted, so concurrent finalizations can never push times_redeemed past
    usage_limit. Raises invalid_promotion (409) when no use is left or it was deactivated.
    """
    redeemed = (
        Promotion.objects.filter(pk=promotion_id, is_active=True)
        .filter(Q(usage_limit__isnull=True) | Q(times_redeemed__lt=F("usage_limit")))
        .update(times_redeemed=F("times_redeemed") + 1)
    )
    if redeemed != 1:
        raise DomainError(
            "The promotion code has no uses left.",
            code="invalid_promotion",
            param="promotion_codes",
            status_code=409,
        )
