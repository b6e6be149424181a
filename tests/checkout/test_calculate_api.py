from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import Calculation, CheckoutSession, SessionEvent
from checkout.pricing import TaxRule, TaxTable
from checkout.providers import tax as tax_providers
from checkout.services.pricing import session_calculate
from merchants.models import Merchant
from tests.checkout.pricing_helpers import (
    pickup,
    promotion,
    select_pickup,
    select_rate,
    set_address,
    shipping_rate,
    tax_rate,
    transition,
    url,
)

pytestmark = pytest.mark.django_db


def calculate(api, checkout_id, body=None, **headers):
    return api.post(url(checkout_id, "calculate"), body or {}, format="json", **headers)


@pytest.fixture
def priced(api, session):
    """The default cart (2 × 19.99 apparel + 12.50 mug, USD) with US taxes, an address,
    a shipping rate and a 10% code available."""
    merchant = api.merchant
    tax_rate(merchant, "US", "", 1000)
    tax_rate(merchant, "US", "apparel", 500)
    tax_rate(merchant, "US", "shipping", 1000)
    set_address(session["checkout_id"], "shipping", "US")
    select_rate(session["checkout_id"], shipping_rate(merchant, amount=500))
    promotion(merchant, "SAVE10", percent_off_bps=1000)
    return session


def test_calculate_happy_path(api, priced):
    checkout_id = priced["checkout_id"]
    response = calculate(api, checkout_id, {"promotion_codes": ["save10"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["object"] == "checkout.calculation"
    assert body["calculation_id"].startswith("calc_") and body["calculated_at"]
    assert body["checkout_id"] == checkout_id and body["is_current"] is True
    assert body["tax_country"] == "US" and body["prices_include_tax"] is False
    # 10% of 5248 = 524.8 → 525, allocated 400 / 125 (largest remainder).
    assert body["totals"] == {
        "currency": "USD",
        "sub_total": 5248,
        "discount_total": 525,
        "tax_total": 343,
        "shipping_total": 500,
        "fee_total": 0,
        "grand_total": 5566,
    }
    assert [(li["sku"], li["base_amount"], li["discount_amount"], li["tax_amount"], li["total_amount"],
             li["tax_rate_bps"]) for li in body["lines"]] == [
        ("TSHIRT-M", 3998, 400, 180, 3778, 500),
        ("MUG", 1250, 125, 113, 1238, 1000),
    ]  # fmt: skip
    assert all(li["line_id"].startswith("li_") for li in body["lines"])
    assert [(t["tax_code"], t["rate_bps"], t["taxable_amount"], t["amount"]) for t in body["tax_lines"]] == [
        ("apparel", 500, 3598, 180),
        ("", 1000, 1125, 113),
        ("shipping", 1000, 500, 50),
    ]
    assert body["adjustments"] == [{"type": "promotion", "code": "SAVE10", "name": "", "amount": 525}]
    assert body["shipping"]["method"] == "rate" and body["shipping"]["tax_amount"] == 50
    assert body["shipping"]["total_amount"] == 550

    resource = api.get(url(checkout_id)).json()
    assert resource["status"] == "collecting"
    assert resource["calculation_id"] == body["calculation_id"] and resource["calculation_is_current"] is True
    assert resource["totals"]["grand_total"] == 5566
    assert resource["promotion_codes"] == ["SAVE10"]  # stored as the merchant spelled it
    events = list(SessionEvent.objects.filter(session__public_id=checkout_id).values_list("type", "data"))
    assert [t for t, _ in events][-2:] == ["status.collecting", "calculation.created"]
    assert events[-1][1]["calculation_id"] == body["calculation_id"]
    calc = Calculation.objects.get(public_id=body["calculation_id"])
    assert calc.adjustments[0]["promotion_id"] is not None  # for redemption at finalization


def test_each_calculate_is_a_new_immutable_snapshot(api, priced):
    checkout_id = priced["checkout_id"]
    first = calculate(api, checkout_id).json()
    snapshot = Calculation.objects.get(public_id=first["calculation_id"])
    tax_rate(api.merchant, "US", "other", 1)  # irrelevant change: still a fresh snapshot
    second = calculate(api, checkout_id).json()
    assert second["calculation_id"] != first["calculation_id"]
    assert second["totals"] == first["totals"]
    assert Calculation.objects.filter(session__public_id=checkout_id).count() == 2
    snapshot.refresh_from_db()
    assert snapshot.grand_total == first["totals"]["grand_total"]
    assert api.get(url(checkout_id, "totals")).json()["calculation_id"] == second["calculation_id"]


def test_idempotency_key_replays_the_same_calculation(api, priced):
    checkout_id = priced["checkout_id"]
    first = calculate(api, checkout_id, HTTP_IDEMPOTENCY_KEY="calc-1")
    again = calculate(api, checkout_id, HTTP_IDEMPOTENCY_KEY="calc-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["calculation_id"] == first.json()["calculation_id"]
    assert Calculation.objects.filter(session__public_id=checkout_id).count() == 1


def test_no_address_taxes_in_the_merchants_country_and_no_shipping_is_zero(api, session):
    tax_rate(api.merchant, "US", "", 1000)
    body = calculate(api, session["checkout_id"]).json()
    assert body["tax_country"] == "US" and body["shipping"] is None
    assert body["totals"]["shipping_total"] == 0
    assert body["totals"]["tax_total"] == 400 + 125  # 10% of 3998 = 399.8 → 400; of 1250 = 125


def test_tax_country_follows_shipping_then_billing_then_pickup(api, session):
    checkout_id = session["checkout_id"]
    for country, bps in (("US", 100), ("DE", 1900), ("FR", 2000), ("GB", 2000)):
        tax_rate(api.merchant, country, "", bps)
    select_pickup(checkout_id, pickup(api.merchant, "GB"))
    assert calculate(api, checkout_id).json()["tax_country"] == "GB"
    set_address(checkout_id, "billing", "FR")
    assert calculate(api, checkout_id).json()["tax_country"] == "FR"
    set_address(checkout_id, "shipping", "DE")
    body = calculate(api, checkout_id).json()
    assert body["tax_country"] == "DE" and body["shipping"]["method"] == "pickup"
    assert body["totals"]["shipping_total"] == 0


def test_jpy_prices_including_tax(api, cart):
    Merchant.objects.filter(pk=api.merchant.pk).update(supported_currencies=["JPY"], prices_include_tax=True)
    tax_rate(api.merchant, "US", "", 1000)
    cart.update(currency="JPY", lines=[{"sku": "TEA", "name": "Tea", "quantity": 1, "unit_amount": 1000}])
    checkout_id = api.post("/v1/checkout/sessions", cart, format="json").json()["checkout_id"]
    body = calculate(api, checkout_id).json()
    assert body["totals"]["tax_total"] == 91 and body["totals"]["grand_total"] == 1000
    assert body["prices_include_tax"] is True and body["totals"]["currency"] == "JPY"


def test_kwd_three_decimal_amounts(api, cart):
    Merchant.objects.filter(pk=api.merchant.pk).update(supported_currencies=["KWD"])
    tax_rate(api.merchant, "US", "", 500)
    cart.update(currency="KWD", lines=[{"sku": "PEN", "name": "Pen", "quantity": 1, "unit_amount": 1005}])
    checkout_id = api.post("/v1/checkout/sessions", cart, format="json").json()["checkout_id"]
    body = calculate(api, checkout_id).json()
    assert body["totals"]["tax_total"] == 50 and body["totals"]["grand_total"] == 1055  # KWD 1.055


def test_fees_from_merchant_settings(api, session):
    Merchant.objects.filter(pk=api.merchant.pk).update(
        extra_settings={
            "fees": [{"name": "Service", "amount": 99, "currency": "USD"}, {"name": "Pay", "percent_bps": 100}]
        }
    )
    body = calculate(api, session["checkout_id"]).json()
    assert body["totals"]["fee_total"] == 99 + 52  # 1% of 5248 = 52.48 → 52
    assert body["totals"]["grand_total"] == 5248 + 151
    assert [a["name"] for a in body["adjustments"] if a["type"] == "fee"] == ["Service", "Pay"]


def test_pluggable_tax_provider(api, session):
    class FlatProvider(tax_providers.TaxProvider):
        name = "flat_test"

        def tax_table(self, *, merchant_id, country, tax_codes):
            return TaxTable(country=country, rules={"": TaxRule("Flat", country, "", 5000)})

    tax_providers.register_tax_provider(FlatProvider())
    try:
        Merchant.objects.filter(pk=api.merchant.pk).update(extra_settings={"tax_provider": "flat_test"})
        assert calculate(api, session["checkout_id"]).json()["totals"]["tax_total"] == 5248 // 2
    finally:
        tax_providers._providers.pop("flat_test")


def test_unknown_tax_provider_is_503_and_writes_nothing(api, session):
    Merchant.objects.filter(pk=api.merchant.pk).update(extra_settings={"tax_provider": "nope"})
    response = calculate(api, session["checkout_id"])
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "tax_provider_unavailable"
    assert not Calculation.objects.exists()


def _promotion_cases():
    now = timezone.now()
    return [
        ("UNKNOWN", {}, "There is no promotion code"),
        ("OFF", {"is_active": False}, "no longer active"),
        ("LATER", {"starts_at": now + timedelta(days=1)}, "not valid yet"),
        ("OVER", {"ends_at": now - timedelta(seconds=1)}, "expired"),
        ("USEDUP", {"usage_limit": 2, "times_redeemed": 2}, "fully redeemed"),
        ("BIGCART", {"min_subtotal": 5249}, "at least 5249"),
        ("EUROS", {"kind": "fixed", "percent_off_bps": None, "amount_off": 100, "currency": "EUR"}, "only to EUR"),
    ]


@pytest.mark.parametrize("code,fields,fragment", _promotion_cases(), ids=[c[0] for c in _promotion_cases()])
def test_invalid_promotion_is_400_and_writes_nothing(api, session, code, fields, fragment):
    if code != "UNKNOWN":
        promotion(api.merchant, code, **fields)
    before = CheckoutSession.objects.get(public_id=session["checkout_id"])
    response = calculate(api, session["checkout_id"], {"promotion_codes": [code]})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_promotion" and error["param"] == "promotion_codes"
    assert fragment in error["message"]
    after = CheckoutSession.objects.get(public_id=session["checkout_id"])
    assert (after.version, after.status, after.promotion_codes) == (before.version, "created", [])
    assert not Calculation.objects.exists()


def test_fixed_promotion_in_session_currency_and_min_subtotal_met(api, session):
    promotion(api.merchant, "FIVE", kind="fixed", percent_off_bps=None, amount_off=500, currency="USD",
              min_subtotal=5248)  # fmt: skip
    body = calculate(api, session["checkout_id"], {"promotion_codes": ["FIVE"]}).json()
    assert body["totals"]["discount_total"] == 500 and body["totals"]["grand_total"] == 4748


def test_only_one_promotion_code(api, session):
    promotion(api.merchant, "A")
    promotion(api.merchant, "B")
    response = calculate(api, session["checkout_id"], {"promotion_codes": ["A", "B"]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_promotion"
    assert "Only one" in response.json()["error"]["message"]


def test_removing_the_code_with_an_empty_list(api, session):
    promotion(api.merchant, "SAVE10")
    checkout_id = session["checkout_id"]
    with_code = calculate(api, checkout_id, {"promotion_codes": ["SAVE10"]}).json()
    without = calculate(api, checkout_id, {"promotion_codes": []}).json()
    assert with_code["totals"]["discount_total"] == 525 and without["totals"]["discount_total"] == 0
    assert without["pricing_version"] == with_code["pricing_version"] + 1
    assert api.get(url(checkout_id)).json()["promotion_codes"] == []


def test_stored_code_that_lapsed_is_skipped_not_fatal(api, session):
    promo = promotion(api.merchant, "SAVE10")
    checkout_id = session["checkout_id"]
    calculate(api, checkout_id, {"promotion_codes": ["SAVE10"]})
    promo.is_active = False
    promo.save()
    response = calculate(api, checkout_id)
    assert response.status_code == 200
    assert response.json()["totals"]["discount_total"] == 0 and response.json()["adjustments"] == []
    last = SessionEvent.objects.filter(session__public_id=checkout_id).last()
    assert "no longer active" in last.data["promotion_skipped"]


@pytest.mark.parametrize(
    "body,param",
    [
        ({"promotion_codes": "SAVE10"}, "promotion_codes"),
        ({"promotion_codes": ["x" * 51]}, "promotion_codes[0]"),
        ({"promotion_codes": ["A"] * 6}, "promotion_codes"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_input_is_400_with_param(api, session, body, param):
    response = calculate(api, session["checkout_id"], body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    assert not Calculation.objects.exists()


def test_other_tenant_gets_404(api, other_api, session):
    for response in (
        calculate(other_api, session["checkout_id"]),
        other_api.get(url(session["checkout_id"], "totals")),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "resource_missing"
    assert calculate(api, "cs_does_not_exist").status_code == 404
    assert not Calculation.objects.exists()


def test_client_token_cannot_calculate(session):
    shopper = APIClient()
    shopper.credentials(HTTP_AUTHORIZATION=f"Bearer {session['client_token']}")
    assert calculate(shopper, session["checkout_id"]).status_code == 403


def test_canceled_session_is_409(api, session):
    api.delete(url(session["checkout_id"]))
    response = calculate(api, session["checkout_id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state_transition"


def test_past_collecting_returns_the_current_calculation_or_409_when_stale(api, priced):
    checkout_id = priced["checkout_id"]
    first = calculate(api, checkout_id).json()
    transition(checkout_id, "reserve")
    again = calculate(api, checkout_id)
    assert again.status_code == 200 and again.json()["calculation_id"] == first["calculation_id"]
    assert Calculation.objects.filter(session__public_id=checkout_id).count() == 1
    assert calculate(api, checkout_id, {"promotion_codes": ["SAVE10"]}).status_code == 409  # would change it
    CheckoutSession.objects.filter(public_id=checkout_id).update(pricing_version=99)
    stale = calculate(api, checkout_id)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "invalid_state_transition"


def test_unsupported_currency_and_stale_shipping_rate_are_refused(api, session):
    checkout_id = session["checkout_id"]
    select_rate(checkout_id, shipping_rate(api.merchant, currency="EUR"))
    response = calculate(api, checkout_id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "shipping_rate_invalid"
    Merchant.objects.filter(pk=api.merchant.pk).update(supported_currencies=["EUR"])
    response = calculate(api, checkout_id)
    assert response.status_code == 400 and response.json()["error"]["code"] == "currency_not_supported"
    assert not Calculation.objects.exists()


def test_totals_before_and_after_and_stale_after_patching_lines(api, priced, cart):
    checkout_id = priced["checkout_id"]
    missing = api.get(url(checkout_id, "totals"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "calculation_missing"
    calc = calculate(api, checkout_id).json()
    totals = api.get(url(checkout_id, "totals")).json()
    assert totals["calculation_id"] == calc["calculation_id"] and totals["is_current"] is True
    assert totals["totals"] == calc["totals"] and totals["lines"] == calc["lines"]

    patched = api.patch(url(checkout_id), {"lines": cart["lines"][:1]}, format="json")
    assert patched.status_code == 200
    assert patched.json()["calculation_is_current"] is False
    stale = api.get(url(checkout_id, "totals")).json()
    assert stale["calculation_id"] == calc["calculation_id"] and stale["is_current"] is False
    fresh = calculate(api, checkout_id).json()
    assert fresh["totals"]["sub_total"] == 3998 and fresh["pricing_version"] == stale["pricing_version"] + 1
    assert api.get(url(checkout_id, "totals")).json()["is_current"] is True


def test_shopper_client_token_reads_totals(api, priced):
    calculate(api, priced["checkout_id"])
    shopper = APIClient()
    shopper.credentials(HTTP_AUTHORIZATION=f"Bearer {priced['client_token']}")
    assert shopper.get(url(priced["checkout_id"], "totals")).status_code == 200


def test_refresh_recalculates_an_editable_session_with_totals(api, priced):
    checkout_id = priced["checkout_id"]
    first = calculate(api, checkout_id).json()
    # Saved as staff and the API save it (a queryset update would skip the rate cache's
    # invalidation, which hangs on save).
    for rate in api.merchant.tax_rates.filter(tax_code="apparel"):
        rate.rate_bps = 1000
        rate.save()
    assert api.post(url(checkout_id, "refresh")).status_code == 200
    latest = api.get(url(checkout_id, "totals")).json()
    assert latest["calculation_id"] != first["calculation_id"] and latest["is_current"] is True
    assert latest["totals"]["tax_total"] > first["totals"]["tax_total"]
    types = list(SessionEvent.objects.filter(session__public_id=checkout_id).values_list("type", flat=True))
    assert types[-2:] == ["session.refreshed", "calculation.created"]


def test_refresh_without_totals_does_not_calculate(api, session):
    assert api.post(url(session["checkout_id"], "refresh")).status_code == 200
    assert not Calculation.objects.exists()


def test_refresh_still_extends_when_recalculation_fails(api, priced):
    checkout_id = priced["checkout_id"]
    calculate(api, checkout_id)
    Merchant.objects.filter(pk=api.merchant.pk).update(extra_settings={"tax_provider": "gone"})
    response = api.post(url(checkout_id, "refresh"))
    assert response.status_code == 200
    assert Calculation.objects.filter(session__public_id=checkout_id).count() == 1
    last = SessionEvent.objects.filter(session__public_id=checkout_id).last()
    assert last.type == "calculation.failed" and last.data["code"] == "tax_provider_unavailable"


def _session_with_lines(api, count):
    lines = [
        {"sku": f"SKU{i}", "name": f"Item {i}", "quantity": 1 + i % 3, "unit_amount": 100 + i, "tax_code": f"t{i % 4}"}
        for i in range(count)
    ]
    body = {"currency": "USD", "lines": lines, "promotion_codes": ["SAVE10"]}
    checkout_id = api.post("/v1/checkout/sessions", body, format="json").json()["checkout_id"]
    set_address(checkout_id, "shipping", "US")
    set_address(checkout_id, "billing", "US")
    select_rate(checkout_id, shipping_rate(api.merchant))
    return checkout_id


def test_query_count_does_not_grow_with_lines(api):
    merchant = api.merchant
    promotion(merchant, "SAVE10")
    for code in ("", "t0", "t1", "shipping"):
        tax_rate(merchant, "US", code, 700)
    one, fifty = _session_with_lines(api, 1), _session_with_lines(api, 50)
    # The merchant's rate tables are read once per process, then cached: warm them first.
    session_calculate(merchant_id=merchant.pk, checkout_id=_session_with_lines(api, 1), actor="test")

    counts = {}
    for checkout_id in (one, fifty):
        with CaptureQueriesContext(connection) as ctx:
            session_calculate(merchant_id=merchant.pk, checkout_id=checkout_id, actor="test")
        counts[checkout_id] = len(ctx.captured_queries)
    assert counts[one] == counts[fifty], counts

    # Again through the API, now that both sessions are collecting.
    for checkout_id in (one, fifty):
        with CaptureQueriesContext(connection) as ctx:
            assert calculate(api, checkout_id).status_code == 200
        counts[checkout_id] = len(ctx.captured_queries)
    assert counts[one] == counts[fifty], counts
    assert len(Calculation.objects.get(public_id=api.get(url(fifty, "totals")).json()["calculation_id"]).lines) == 50
