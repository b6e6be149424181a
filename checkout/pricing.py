"""Totals of a checkout session: pure computation, no database, no clock, no settings.

`compute(PricingInput) -> PricingResult` is the whole arithmetic; the calculate service
(checkout/services/pricing.py) loads plain dataclasses, calls it, and stores the result as
an immutable Calculation. Everything here is deterministic, so it is tested case by case.

Rules
-----
- Money is integer minor units of the session currency throughout (JPY has none, KWD
  three): nothing in here knows a currency's exponent, so every currency works alike.
- Line base amount = quantity * unit_amount; sub_total = sum of base amounts.
- Promotions: one code per session (no stacking). A percent promotion takes
  round_half_up(sub_total * bps / 10000); a fixed one takes amount_off, which must be in
  the session currency. Either is capped at sub_total. The discount is then allocated
  across lines in proportion to their base amounts with `core.money.allocate` (largest
  remainder), so the line discounts always sum exactly to discount_total. Shipping and
  fees are never discounted.
- Validity of a promotion (`promotion_problem`): active, inside starts_at/ends_at,
  times_redeemed below usage_limit, sub_total at least min_subtotal, and a promotion that
  names a currency (a fixed one must) applies only to sessions in that currency.
  `times_redeemed` only moves when an order is finalized (`promotion_redeem`), so a code
  can be on many open sessions and the limit is enforced again at redemption.
- Tax is computed per line on the discounted line amount and rounded half-up per line;
  the tax lines are the per-line taxes summed by rate (so they add up to tax_total).
  A line takes the rate of its tax_code, else the country's standard rate ('' tax code),
  else 0. Shipping takes only the rate of its own tax code ("shipping"); without such a
  rate it is not taxed.
  - Tax-exclusive prices: tax = amount * rate / 10000; the line total adds the tax.
  - Tax-inclusive prices: tax = amount * rate / (10000 + rate), extracted from the amount;
    the line total is the amount itself. taxable_amount in a tax line is always the
    amount net of tax.
- Fees: a fixed fee applies when its currency is the session's; a percentage fee is
  round_half_up(bps * (sub_total - discount_total) / 10000). Fees are not taxed.
- grand_total = sub_total - discount_total + shipping_total + fee_total, plus tax_total
  only when prices exclude tax. It is never negative (discounts are capped).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext

from core.money import allocate, amounts_check, round_half_up

BPS = 10_000


def div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up to a whole minor unit, exactly."""
    with localcontext() as ctx:
        # Enough digits that amounts up to 10^18 minor units divide without loss.
        ctx.prec = 60
        return round_half_up(Decimal(numerator) / Decimal(denominator))


# --- inputs --------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxRule:
    name: str
    country: str
    tax_code: str  # '' is the country's standard rate
    rate_bps: int


@dataclass(frozen=True)
class TaxTable:
    """The rates a tax provider resolved for one country, keyed by tax code."""

    country: str
    rules: dict[str, TaxRule] = field(default_factory=dict)

    def for_line(self, tax_code: str) -> TaxRule | None:
        return self.rules.get(tax_code) or self.rules.get("")

    def for_shipping(self, tax_code: str) -> TaxRule | None:
        return self.rules.get(tax_code) if tax_code else None


@dataclass(frozen=True)
class PricingLine:
    line_id: str
    sku: str
    quantity: int
    unit_amount: int
    tax_code: str = ""


@dataclass(frozen=True)
class PromotionTerms:
    code: str
    kind: str  # "percent" | "fixed"
    percent_off_bps: int | None = None
    amount_off: int | None = None
    currency: str = ""
    min_subtotal: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    times_redeemed: int = 0
    is_active: bool = True
    promotion_id: int | None = None


@dataclass(frozen=True)
class PricingShipping:
    """The selected shipping rate, or a pickup (amount 0, no carrier)."""

    method: str  # "rate" | "pickup" | "split" (a shipment plan's parcels together)
    reference: str  # the rate's or the pickup location's public id
    name: str
    amount: int
    tax_code: str = ""
    carrier: str = ""
    service_code: str = ""


@dataclass(frozen=True)
class PricingFee:
    name: str
    amount: int | None = None
    percent_bps: int | None = None


@dataclass(frozen=True)
class PricingInput:
    currency: str
    prices_include_tax: bool
    lines: Sequence[PricingLine]
    tax: TaxTable
    promotion: PromotionTerms | None = None
    shipping: PricingShipping | None = None
    fees: Sequence[PricingFee] = ()


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class LineResult:
    line_id: str
    sku: str
    quantity: int
    unit_amount: int
    tax_code: str
    base_amount: int
    discount_amount: int
    tax_amount: int
    total_amount: int
    tax_rate_bps: int


@dataclass(frozen=True)
class TaxLineResult:
    name: str
    country: str
    tax_code: str
    rate_bps: int
    taxable_amount: int
    amount: int


@dataclass(frozen=True)
class AdjustmentResult:
    type: str  # "promotion" | "fee"
    amount: int
    code: str = ""
    name: str = ""


@dataclass(frozen=True)
class ShippingResult:
    method: str
    reference: str
    name: str
    carrier: str
    service_code: str
    amount: int
    tax_amount: int
    tax_rate_bps: int
    total_amount: int


@dataclass(frozen=True)
class PricingResult:
    currency: str
    prices_include_tax: bool
    tax_country: str
    sub_total: int
    discount_total: int
    tax_total: int
    shipping_total: int
    fee_total: int
    grand_total: int
    lines: tuple[LineResult, ...]
    tax_lines: tuple[TaxLineResult, ...]
    adjustments: tuple[AdjustmentResult, ...]
    shipping: ShippingResult | None


# --- rules ---------------------------------------------------------------------------


def promotion_problem(promo: PromotionTerms, *, currency: str, sub_total: int, now: datetime) -> str | None:
    """Why the promotion cannot apply to this cart, or None when it can."""
    if not promo.is_active:
        return f"The promotion code {promo.code} is no longer active."
    if promo.starts_at is not None and now < promo.starts_at:
        return f"The promotion code {promo.code} is not valid yet."
    if promo.ends_at is not None and now >= promo.ends_at:
        return f"The promotion code {promo.code} has expired."
    if promo.usage_limit is not None and promo.times_redeemed >= promo.usage_limit:
        return f"The promotion code {promo.code} has been fully redeemed."
    if promo.kind == "fixed" and not promo.currency:
        return f"The promotion code {promo.code} has no currency."
    if promo.currency and promo.currency != currency:
        return f"The promotion code {promo.code} applies only to {promo.currency} purchases."
    if promo.min_subtotal is not None and sub_total < promo.min_subtotal:
        return f"The promotion code {promo.code} needs a subtotal of at least {promo.min_subtotal} (minor units)."
    return None


def promotion_discount(promo: PromotionTerms | None, sub_total: int) -> int:
    if promo is None or sub_total <= 0:
        return 0
    if promo.kind == "percent":
        discount = div_half_up(sub_total * (promo.percent_off_bps or 0), BPS)
    else:
        discount = promo.amount_off or 0
    return max(0, min(discount, sub_total))


def tax_of(amount: int, rate_bps: int, *, inclusive: bool) -> int:
    """The tax in `amount` (inclusive) or on top of it (exclusive), rounded half-up."""
    if amount <= 0 or rate_bps <= 0:
        return 0
    if inclusive:
        return div_half_up(amount * rate_bps, BPS + rate_bps)
    return div_half_up(amount * rate_bps, BPS)


def fees_from_settings(raw, *, currency: str) -> tuple[PricingFee, ...]:
    """The merchant's fees as `extra_settings["fees"]` lists them, for this currency.

    Entries: {"name", "amount", "currency"} (a fixed fee, only for sessions in that
    currency) or {"name", "percent_bps"}. Malformed entries are ignored, so a bad setting
    can never make a session uncomputable; the merchant settings API is where they are
    refused.
    """
    fees = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            continue
        amount, bps = entry.get("amount"), entry.get("percent_bps")
        if _non_negative_int(amount) and entry.get("currency") == currency:
            fees.append(PricingFee(name=entry["name"], amount=amount))
        elif _non_negative_int(bps) and bps <= BPS:
            fees.append(PricingFee(name=entry["name"], percent_bps=bps))
    return tuple(fees)


def _non_negative_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# --- the computation -----------------------------------------------------------------


class _TaxLines:
    """Sums per-line taxes by rate, in first-seen order, into the tax lines."""

    def __init__(self):
        self._rows: dict[tuple, list[int]] = {}

    def add(self, rule: TaxRule | None, *, net: int, tax: int):
        if rule is None or rule.rate_bps <= 0:
            return
        row = self._rows.setdefault((rule.name, rule.country, rule.tax_code, rule.rate_bps), [0, 0])
        row[0] += net
        row[1] += tax

    def results(self) -> tuple[TaxLineResult, ...]:
        return tuple(
            TaxLineResult(name=name, country=country, tax_code=code, rate_bps=bps, taxable_amount=net, amount=tax)
            for (name, country, code, bps), (net, tax) in self._rows.items()
        )


def compute(data: PricingInput) -> PricingResult:
    inclusive = data.prices_include_tax
    bases = [line.quantity * line.unit_amount for line in data.lines]
    sub_total = sum(bases)
    discount_total = promotion_discount(data.promotion, sub_total)
    discounts = allocate(discount_total, bases)

    tax_lines = _TaxLines()
    lines = []
    for line, base, discount in zip(data.lines, bases, discounts, strict=True):
        rule = data.tax.for_line(line.tax_code)
        rate = rule.rate_bps if rule else 0
        amount = base - discount
        tax = tax_of(amount, rate, inclusive=inclusive)
        tax_lines.add(rule, net=amount - tax if inclusive else amount, tax=tax)
        lines.append(
            LineResult(
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                tax_code=line.tax_code,
                base_amount=base,
                discount_amount=discount,
                tax_amount=tax,
                total_amount=amount if inclusive else amount + tax,
                tax_rate_bps=rate,
            )
        )

    shipping = None
    if data.shipping is not None:
        rule = data.tax.for_shipping(data.shipping.tax_code)
        rate = rule.rate_bps if rule else 0
        tax = tax_of(data.shipping.amount, rate, inclusive=inclusive)
        tax_lines.add(rule, net=data.shipping.amount - tax if inclusive else data.shipping.amount, tax=tax)
        shipping = ShippingResult(
            method=data.shipping.method,
            reference=data.shipping.reference,
            name=data.shipping.name,
            carrier=data.shipping.carrier,
            service_code=data.shipping.service_code,
            amount=data.shipping.amount,
            tax_amount=tax,
            tax_rate_bps=rate,
            total_amount=data.shipping.amount if inclusive else data.shipping.amount + tax,
        )
    shipping_total = shipping.amount if shipping else 0

    adjustments = []
    if data.promotion is not None and discount_total:
        adjustments.append(AdjustmentResult(type="promotion", code=data.promotion.code, amount=discount_total))
    fee_total = 0
    for fee in data.fees:
        if fee.amount is not None:
            amount = fee.amount
        else:
            amount = div_half_up((sub_total - discount_total) * (fee.percent_bps or 0), BPS)
        fee_total += amount
        adjustments.append(AdjustmentResult(type="fee", name=fee.name, amount=amount))

    tax_lines_result = tax_lines.results()
    tax_total = sum(line.tax_amount for line in lines) + (shipping.tax_amount if shipping else 0)
    grand_total = sub_total - discount_total + shipping_total + fee_total + (0 if inclusive else tax_total)
    # Shipping rates and fees are the merchant's, so a cart accepted under CART_TOTAL_MAX
    # can still add up past the columns here: refuse it before anything is stored.
    amounts_check(
        "lines",
        sub_total=sub_total,
        tax_total=tax_total,
        shipping_total=shipping_total,
        fee_total=fee_total,
        grand_total=grand_total,
        line_total=max((line.total_amount for line in lines), default=0),
    )
    return PricingResult(
        currency=data.currency,
        prices_include_tax=inclusive,
        tax_country=data.tax.country,
        sub_total=sub_total,
        discount_total=discount_total,
        tax_total=tax_total,
        shipping_total=shipping_total,
        fee_total=fee_total,
        grand_total=grand_total,
        lines=tuple(lines),
        tax_lines=tax_lines_result,
        adjustments=tuple(adjustments),
        shipping=shipping,
    )
