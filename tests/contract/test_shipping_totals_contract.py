"""Sections 3 (shipping options & selection) and 4 (totals, calculate, validate) of the API
document: its bodies verbatim, each documented response field by name."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from checkout.providers import tax as tax_providers
from checkout.providers.tax import RateTableTaxProvider
from tests.contract.flow import (
    V1,
    calculate,
    create_session,
    document_body,
    document_merchant,
    give_lines,
    ok,
    select_shipping,
    set_addresses,
    set_customer,
)
from tests.contract.seed import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkout_id(api, merchant):
    """A session of the document's merchant, with lines, customer and addresses."""
    document_merchant(merchant)
    session = create_session(api, owner__type="guest", options__capture_mode="auto")
    give_lines(api, session["checkout_id"], session["version"])
    set_customer(api, session["checkout_id"])
    set_addresses(api, session["checkout_id"])
    return session["checkout_id"]


# --- 3. shipping ------------------------------------------------------------------------


def test_shipping_options_with_estimated_delivery_dates(api, checkout_id):
    assert example("GET", "sessions/{checkoutId}/shipping-options").text.count("include_estimated_delivery_dates=true")
    body = ok(api.get(f"{V1}/sessions/{checkout_id}/shipping-options?include_estimated_delivery_dates=true"))
    today = timezone.now().date()
    by_id = {option["id"]: option for option in body["data"]}
    assert by_id["ship_1"]["estimated_delivery"] == {
        "earliest": (today + timedelta(days=1)).isoformat(),
        "latest": (today + timedelta(days=2)).isoformat(),
    }
    assert all(o["estimated_delivery"]["earliest"] <= o["estimated_delivery"]["latest"] for o in body["data"])
    # Without the flag the dates are not computed.
    plain = ok(api.get(f"{V1}/sessions/{checkout_id}/shipping-options"))
    assert all("estimated_delivery" not in option for option in plain["data"])
    bad = api.get(f"{V1}/sessions/{checkout_id}/shipping-options?include_estimated_delivery_dates=soon")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "include_estimated_delivery_dates"


def test_select_shipping_takes_the_document_body(api, checkout_id):
    body = document_body("POST", "sessions/{checkoutId}/select-shipping")
    assert body == {"shipping_option_id": "ship_1", "carrier": "DHL", "service_code": "express"}
    session = ok(api.post(f"{V1}/sessions/{checkout_id}/select-shipping", body, format="json"))
    selected = session["selected_shipping"]
    assert (selected["id"], selected["label"], selected["cost"]) == ("ship_1", "Next day", 399)
    assert (selected["carrier"], selected["service_code"]) == ("DHL", "express")
    # → triggers recalculation: totals computed before are stale now.
    assert session["calculation_is_current"] is False


@pytest.mark.parametrize(
    "body,param,code",
    [
        ({"shipping_option_id": "ship_1", "carrier": "UPS", "service_code": "express"}, "carrier",
         "shipping_option_mismatch"),
        ({"shipping_option_id": "ship_1", "carrier": "DHL", "service_code": "economy"}, "service_code",
         "shipping_option_mismatch"),
        ({"carrier": "DHL", "service_code": "economy"}, "service_code", "shipping_option_unavailable"),
        ({"carrier": "DHL"}, "service_code", "parameter_invalid"),
        ({"shipping_option_id": "ship_9"}, "shipping_option_id", "shipping_option_unavailable"),
    ],
)  # fmt: skip
def test_select_shipping_mismatches_are_400_naming_the_field(api, checkout_id, body, param, code):
    response = api.post(f"{V1}/sessions/{checkout_id}/select-shipping", body, format="json")
    assert response.status_code == 400, response.content
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == (param, code)
    assert ok(api.get(f"{V1}/sessions/{checkout_id}"))["selected_shipping"] is None


def test_select_shipping_by_carrier_and_service_code_alone(api, checkout_id):
    session = ok(
        api.post(
            f"{V1}/sessions/{checkout_id}/select-shipping",
            {"carrier": "royal mail", "service_code": "TRACKED48"},
            format="json",
        )
    )
    assert (session["selected_shipping"]["label"], session["selected_shipping"]["cost"]) == ("Standard", 299)


# --- 4. totals ------------------------------------------------------------------------------


def test_calculate_takes_the_document_body_and_answers_the_breakdown(api, checkout_id, merchant):
    merchant.extra_settings = {"fees": [{"name": "Service", "amount": 50, "currency": "GBP"}]}
    merchant.save(update_fields=["extra_settings"])
    select_shipping(api, checkout_id)
    assert document_body("POST", "sessions/{checkoutId}/calculate") == {"force": True, "timeout_ms": 5000}
    calc = calculate(api, checkout_id)
    # per-line base price, adjustments (promos), tax lines, shipping, fees, totals,
    # calculation_id and calculated_at
    assert [(line["sku"], line["base_price"], line["adjustments"]) for line in calc["lines"]] == [
        ("BOOK-1", 2500, []),
        ("MUG", 2500, []),
    ]
    assert calc["tax_lines"] == [
        {"name": "VAT", "country": "GB", "tax_code": "", "rate_bps": 2000, "taxable_amount": 5000, "amount": 1000}
    ]
    assert (calc["shipping"]["id"], calc["shipping"]["amount"]) == ("ship_1", 399)
    assert calc["fees"] == [{"name": "Service", "amount": 50}]
    assert calc["totals"] == {
        "currency": "GBP", "sub_total": 5000, "discount_total": 0, "tax_total": 1000, "shipping_total": 399,
        "fee_total": 50, "grand_total": 6449,
    }  # fmt: skip
    assert calc["calculation_id"].startswith("calc_")
    assert timezone.datetime.fromisoformat(calc["calculated_at"].replace("Z", "+00:00")) <= timezone.now()


def test_promotion_adjustments_are_shown_per_line(api, checkout_id, merchant):
    from checkout.models import Promotion

    Promotion.objects.create(merchant=merchant, code="TENOFF", kind="percent", percent_off_bps=1000)
    select_shipping(api, checkout_id)
    calc = ok(api.post(f"{V1}/sessions/{checkout_id}/calculate", {"promotion_codes": ["TENOFF"]}, format="json"))
    assert [line["adjustments"] for line in calc["lines"]] == [
        [{"type": "promotion", "code": "TENOFF", "amount": 250}],
        [{"type": "promotion", "code": "TENOFF", "amount": 250}],
    ]
    assert calc["adjustments"] == [{"type": "promotion", "code": "TENOFF", "name": "", "amount": 500}]


def test_force_recomputes_and_force_false_answers_the_current_calculation(api, checkout_id):
    select_shipping(api, checkout_id)
    first = calculate(api, checkout_id)
    forced = calculate(api, checkout_id)
    assert forced["calculation_id"] != first["calculation_id"]
    cached = ok(api.post(f"{V1}/sessions/{checkout_id}/calculate", {"force": False}, format="json"))
    assert cached["calculation_id"] == forced["calculation_id"]
    # GET /totals: the last computed totals and their calculation_id.
    totals = ok(api.get(f"{V1}/sessions/{checkout_id}/totals"))
    assert (totals["calculation_id"], totals["is_current"]) == (forced["calculation_id"], True)
    assert totals["totals"] == forced["totals"]


@pytest.mark.parametrize("timeout_ms", [99, 30001, "soon"])
def test_timeout_ms_is_bounded(api, checkout_id, timeout_ms):
    response = api.post(f"{V1}/sessions/{checkout_id}/calculate", {"timeout_ms": timeout_ms}, format="json")
    assert response.status_code == 400 and response.json()["error"]["param"] == "timeout_ms"


class _SlowQueryTaxProvider(RateTableTaxProvider):
    """A provider whose answer takes a slow database statement (a remote rate lookup's stand-in)."""

    name = "slow_query"

    def tax_table(self, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(3)")
        return super().tax_table(**kwargs)


class _SlowTaxProvider(RateTableTaxProvider):
    name = "slow_python"

    def tax_table(self, **kwargs):
        time.sleep(0.4)
        return super().tax_table(**kwargs)


@pytest.mark.parametrize("provider", [_SlowQueryTaxProvider(), _SlowTaxProvider()], ids=lambda p: p.name)
def test_a_provider_past_timeout_ms_is_504_and_writes_nothing(api, checkout_id, merchant, provider, monkeypatch):
    monkeypatch.setitem(tax_providers._providers, provider.name, provider)
    select_shipping(api, checkout_id)
    merchant.extra_settings = {"tax_provider": provider.name}
    merchant.save(update_fields=["extra_settings"])
    before = ok(api.get(f"{V1}/sessions/{checkout_id}"))
    started = time.monotonic()
    response = api.post(f"{V1}/sessions/{checkout_id}/calculate", {"force": True, "timeout_ms": 200}, format="json")
    assert time.monotonic() - started < 2.5  # the slow statement was cancelled, not waited for
    assert response.status_code == 504, response.content
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("calculation_timeout", "timeout_ms")
    after = ok(api.get(f"{V1}/sessions/{checkout_id}"))
    assert (after["version"], after["calculation_id"]) == (before["version"], before["calculation_id"])
    # With room enough the same provider answers.
    if provider.name == "slow_python":
        assert ok(api.post(f"{V1}/sessions/{checkout_id}/calculate", {"timeout_ms": 5000}, format="json"))


def test_validate_lists_blockers_without_changing_anything(api, merchant):
    document_merchant(merchant)
    session = create_session(api, owner__type="guest", options__capture_mode="auto")
    checkout_id = session["checkout_id"]
    give_lines(api, checkout_id, session["version"])
    before = ok(api.get(f"{V1}/sessions/{checkout_id}"))
    result = ok(api.post(f"{V1}/sessions/{checkout_id}/validate"))
    assert result["valid"] is False
    assert {b["code"] for b in result["blockers"]} == {
        "missing_email", "missing_shipping_address", "shipping_not_selected", "missing_billing_address",
        "calculation_missing",
    }  # fmt: skip
    assert all(set(b) == {"code", "message", "param"} for b in result["blockers"])
    assert ok(api.get(f"{V1}/sessions/{checkout_id}"))["version"] == before["version"]
