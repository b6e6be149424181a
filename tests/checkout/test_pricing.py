"""The pure totals computation (checkout.pricing): no database."""

from datetime import UTC, datetime, timedelta

import pytest

from checkout.pricing import (
    PricingFee,
    PricingInput,
    PricingLine,
    PricingShipping,
    PromotionTerms,
    TaxRule,
    TaxTable,
    compute,
    div_half_up,
    fees_from_settings,
    promotion_problem,
    tax_of,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def lines(*amounts, tax_code=""):
    """One line per (quantity, unit_amount) pair."""
    return [
        PricingLine(line_id=f"li_{i}", sku=f"SKU{i}", quantity=q, unit_amount=u, tax_code=tax_code)
        for i, (q, u) in enumerate(amounts)
    ]


def table(country="DE", **rates):
    """Rates by tax code; `standard` stands for the '' tax code."""
    rules = {}
    for code, bps in rates.items():
        key = "" if code == "standard" else code
        rules[key] = TaxRule(name=f"VAT {code}", country=country, tax_code=key, rate_bps=bps)
    return TaxTable(country=country, rules=rules)


def run(items, *, currency="EUR", inclusive=False, tax=None, promotion=None, shipping=None, fees=()):
    return compute(
        PricingInput(
            currency=currency,
            prices_include_tax=inclusive,
            lines=items,
            tax=tax or TaxTable(country="DE"),
            promotion=promotion,
            shipping=shipping,
            fees=fees,
        )
    )


def percent(bps, code="PCT"):
    return PromotionTerms(code=code, kind="percent", percent_off_bps=bps)


def fixed(amount, currency="EUR", code="FIX"):
    return PromotionTerms(code=code, kind="fixed", amount_off=amount, currency=currency)


def assert_consistent(result):
    """Invariants every result keeps, whatever the input."""
    assert sum(line.base_amount for line in result.lines) == result.sub_total
    assert sum(line.discount_amount for line in result.lines) == result.discount_total
    assert sum(t.amount for t in result.tax_lines) == result.tax_total
    tax = 0 if result.prices_include_tax else result.tax_total
    assert result.grand_total == (
        result.sub_total - result.discount_total + result.shipping_total + result.fee_total + tax
    )
    assert result.grand_total >= 0


def test_no_tax_no_discount():
    result = run(lines((2, 1999), (1, 1250)))
    assert (result.sub_total, result.discount_total, result.tax_total, result.grand_total) == (5248, 0, 0, 5248)
    assert [line.base_amount for line in result.lines] == [3998, 1250]
    assert [line.total_amount for line in result.lines] == [3998, 1250]
    assert result.tax_lines == () and result.adjustments == () and result.shipping is None
    assert_consistent(result)


def test_exclusive_tax_is_per_line_and_half_up():
    # 20% of 1999 = 399.8 → 400; of 1250 = 250
    result = run(lines((1, 1999), (1, 1250)), tax=table(standard=2000))
    assert [line.tax_amount for line in result.lines] == [400, 250]
    assert [line.total_amount for line in result.lines] == [2399, 1500]
    assert result.tax_total == 650 and result.grand_total == 3899
    assert_consistent(result)


def test_per_line_rounding_differs_from_rounding_the_sum():
    # Three lines of 5 at 10%: each 0.5 rounds up to 1, so 3 (not round(1.5) = 2).
    result = run(lines((1, 5), (1, 5), (1, 5)), tax=table(standard=1000))
    assert [line.tax_amount for line in result.lines] == [1, 1, 1]
    assert result.tax_total == 3
    assert_consistent(result)


def test_specific_rate_beats_standard_and_unknown_code_falls_back():
    items = [
        PricingLine(line_id="a", sku="BOOK", quantity=1, unit_amount=1000, tax_code="books"),
        PricingLine(line_id="b", sku="TOY", quantity=1, unit_amount=1000, tax_code="toys"),
        PricingLine(line_id="c", sku="MUG", quantity=1, unit_amount=1000),
    ]
    result = run(items, tax=table(standard=1900, books=700))
    assert [line.tax_rate_bps for line in result.lines] == [700, 1900, 1900]
    assert [line.tax_amount for line in result.lines] == [70, 190, 190]
    # Lines at the same rate share one tax line, reported under the rate that applied.
    assert [(t.tax_code, t.rate_bps, t.taxable_amount, t.amount) for t in result.tax_lines] == [
        ("books", 700, 1000, 70),
        ("", 1900, 2000, 380),
    ]
    assert_consistent(result)


def test_no_rate_at_all_is_zero_tax():
    result = run(lines((1, 1000), tax_code="books"), tax=table(food=500))
    assert result.lines[0].tax_rate_bps == 0 and result.tax_total == 0 and result.tax_lines == ()


def test_percent_discount_is_allocated_exactly_across_lines():
    # 10% of 1000 = 100 over weights 333/333/334: floors 33/33/33, the spare unit goes to
    # the largest remainder (the third line).
    result = run(lines((1, 333), (1, 333), (1, 334)), promotion=percent(1000))
    assert result.discount_total == 100
    assert [line.discount_amount for line in result.lines] == [33, 33, 34]
    assert result.adjustments[0].type == "promotion" and result.adjustments[0].code == "PCT"
    assert result.adjustments[0].amount == 100
    assert_consistent(result)


@pytest.mark.parametrize("unit,bps,expected", [(1005, 500, 50), (1010, 500, 51), (999, 3333, 333), (1, 5000, 1)])
def test_percent_discount_rounds_half_up_on_the_subtotal(unit, bps, expected):
    result = run(lines((1, unit)), promotion=percent(bps))
    assert result.discount_total == expected
    assert_consistent(result)


def test_hundred_percent_discount_makes_lines_free_but_not_shipping():
    shipping = PricingShipping(method="rate", reference="shr_1", name="Std", amount=500, tax_code="shipping")
    result = run(lines((3, 700)), promotion=percent(10000), shipping=shipping)
    assert result.discount_total == 2100 and result.grand_total == 500
    assert_consistent(result)


def test_fixed_discount_is_capped_at_the_subtotal():
    result = run(lines((1, 300), (1, 200)), promotion=fixed(10_000))
    assert result.discount_total == 500 and result.grand_total == 0
    assert [line.discount_amount for line in result.lines] == [300, 200]
    assert_consistent(result)


def test_tax_is_on_the_discounted_line_amount():
    # 1000 - 25% = 750; 20% of 750 = 150
    result = run(lines((1, 1000)), promotion=percent(2500), tax=table(standard=2000))
    line = result.lines[0]
    assert (line.discount_amount, line.tax_amount, line.total_amount) == (250, 150, 900)
    assert result.grand_total == 900
    assert_consistent(result)


def test_inclusive_prices_extract_the_tax():
    # 1190 including 19%: 1190 * 1900 / 11900 = 190
    result = run(lines((1, 1190)), inclusive=True, tax=table(standard=1900))
    line = result.lines[0]
    assert (line.tax_amount, line.total_amount) == (190, 1190)
    assert result.grand_total == 1190 and result.tax_total == 190
    assert result.tax_lines[0].taxable_amount == 1000
    assert_consistent(result)


def test_jpy_inclusive_ten_percent():
    # ¥1000 including 10%: 1000 * 1000 / 11000 = 90.909… → 91; the price stays ¥1000.
    result = run(lines((1, 1000)), currency="JPY", inclusive=True, tax=table("JP", standard=1000))
    assert result.tax_total == 91 and result.grand_total == 1000
    assert result.tax_lines[0].taxable_amount == 909
    assert_consistent(result)


def test_jpy_exclusive_rounds_to_whole_yen():
    # ¥999 + 10% = 99.9 → ¥100; ¥1005 − 5% = 50.25 → ¥50 discount.
    result = run(lines((1, 999)), currency="JPY", tax=table("JP", standard=1000))
    assert result.tax_total == 100 and result.grand_total == 1099
    discounted = run(lines((1, 1005)), currency="JPY", promotion=percent(500))
    assert discounted.discount_total == 50 and discounted.grand_total == 955


def test_kwd_three_decimals():
    # KWD 1.005 = 1005 fils; 5% = 50.25 fils → 50; KWD 1.010 → 50.5 → 51 (half-up).
    result = run(lines((1, 1005)), currency="KWD", tax=table("KW", standard=500))
    assert result.tax_total == 50 and result.grand_total == 1055
    upper = run(lines((1, 1010)), currency="KWD", tax=table("KW", standard=500))
    assert upper.tax_total == 51 and upper.grand_total == 1061
    assert_consistent(result)


def test_kwd_inclusive_and_fixed_discount():
    # KWD 2.100 incl. 5% with 0.100 off: 2000 fils, tax 2000*500/10500 = 95.238 → 95.
    result = run(
        lines((1, 2100)),
        currency="KWD",
        inclusive=True,
        tax=table("KW", standard=500),
        promotion=fixed(100, currency="KWD"),
    )
    assert (result.discount_total, result.tax_total, result.grand_total) == (100, 95, 2000)
    assert_consistent(result)


def test_shipping_is_taxed_only_with_its_own_rate():
    shipping = PricingShipping(method="rate", reference="shr_1", name="Express", amount=1000, tax_code="shipping")
    untaxed = run(lines((1, 1000)), tax=table(standard=2000), shipping=shipping)
    assert untaxed.shipping.tax_amount == 0 and untaxed.tax_total == 200
    assert untaxed.grand_total == 1000 + 200 + 1000
    taxed = run(lines((1, 1000)), tax=table(standard=2000, shipping=1000), shipping=shipping)
    assert taxed.shipping.tax_amount == 100 and taxed.shipping.total_amount == 1100
    assert taxed.tax_total == 300 and taxed.grand_total == 2300
    assert [t.tax_code for t in taxed.tax_lines] == ["", "shipping"]
    assert_consistent(taxed)


def test_inclusive_shipping_tax_is_extracted():
    shipping = PricingShipping(method="rate", reference="shr_1", name="Std", amount=1100, tax_code="shipping")
    result = run(lines((1, 2200)), inclusive=True, tax=table(standard=1000, shipping=1000), shipping=shipping)
    assert result.shipping.tax_amount == 100 and result.shipping.total_amount == 1100
    assert result.tax_total == 300 and result.grand_total == 3300
    assert_consistent(result)


def test_pickup_costs_nothing():
    pickup = PricingShipping(method="pickup", reference="pul_1", name="Store", amount=0)
    result = run(lines((1, 1000)), shipping=pickup)
    assert result.shipping_total == 0 and result.shipping.method == "pickup"


def test_fees_fixed_and_percentage():
    fees = (PricingFee(name="Service", amount=150), PricingFee(name="Handling", percent_bps=250))
    # 2.5% of (1000 - 100) = 22.5 → 23
    result = run(lines((1, 1000)), promotion=fixed(100), fees=fees)
    assert result.fee_total == 173
    assert [(a.type, a.name, a.amount) for a in result.adjustments] == [
        ("promotion", "", 100),
        ("fee", "Service", 150),
        ("fee", "Handling", 23),
    ]
    assert result.grand_total == 1000 - 100 + 173
    assert_consistent(result)


def test_fees_from_settings_keeps_only_well_formed_entries_for_the_currency():
    raw = [
        {"name": "Service", "amount": 150, "currency": "EUR"},
        {"name": "Service", "amount": 200, "currency": "USD"},  # another currency
        {"name": "Handling", "percent_bps": 250},
        {"name": "Bad", "amount": -1, "currency": "EUR"},
        {"name": "Bad", "amount": 1.5, "currency": "EUR"},
        {"name": "", "percent_bps": 100},
        {"percent_bps": 100},
        {"name": "Too much", "percent_bps": 20_000},
        "nonsense",
    ]
    assert fees_from_settings(raw, currency="EUR") == (
        PricingFee(name="Service", amount=150),
        PricingFee(name="Handling", percent_bps=250),
    )
    assert fees_from_settings(None, currency="EUR") == ()
    assert fees_from_settings({"name": "x"}, currency="EUR") == ()


@pytest.mark.parametrize(
    "changes,currency,sub_total,fragment",
    [
        ({"is_active": False}, "EUR", 1000, "no longer active"),
        ({"starts_at": NOW + timedelta(seconds=1)}, "EUR", 1000, "not valid yet"),
        ({"ends_at": NOW}, "EUR", 1000, "expired"),
        ({"usage_limit": 3, "times_redeemed": 3}, "EUR", 1000, "fully redeemed"),
        ({"min_subtotal": 1001}, "EUR", 1000, "at least 1001"),
        ({"currency": "USD"}, "EUR", 1000, "only to USD"),
        ({"kind": "fixed", "amount_off": 100, "currency": ""}, "EUR", 1000, "no currency"),
    ],
)
def test_promotion_problems(changes, currency, sub_total, fragment):
    terms = PromotionTerms(**{"code": "SAVE", "kind": "percent", "percent_off_bps": 1000, **changes})
    assert fragment in promotion_problem(terms, currency=currency, sub_total=sub_total, now=NOW)


def test_promotion_within_its_window_and_limits_applies():
    terms = PromotionTerms(
        code="SAVE",
        kind="fixed",
        amount_off=100,
        currency="EUR",
        min_subtotal=1000,
        starts_at=NOW,
        ends_at=NOW + timedelta(days=1),
        usage_limit=3,
        times_redeemed=2,
    )
    assert promotion_problem(terms, currency="EUR", sub_total=1000, now=NOW) is None


def test_rounding_helpers_are_exact_for_large_amounts():
    assert div_half_up(10**18 * 2000 + 5000, 10000) == 2 * 10**17 + 1  # .5 rounds up
    assert div_half_up(10**18 * 2000 + 4999, 10000) == 2 * 10**17
    assert tax_of(0, 2000, inclusive=False) == 0
    assert tax_of(1000, 0, inclusive=True) == 0


def test_many_lines_allocation_never_loses_a_unit():
    items = lines(*[(1, 1 + (i * 37) % 101) for i in range(50)])
    result = run(items, promotion=percent(3333), tax=table(standard=1900), fees=(PricingFee("F", percent_bps=77),))
    assert_consistent(result)
    assert all(0 <= line.discount_amount <= line.base_amount for line in result.lines)
