"""Walks every API route with a second merchant's credentials.

For each route that names an object and each method it serves, merchant B asking about
merchant A's object must get exactly what B gets for an object that does not exist (the
same 4xx and error code: nothing leaks), reads must be 404, and A's objects must be
unchanged afterwards. New routes are covered automatically; a route whose URL parameter
has no builder below fails the test until one is added.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from checkout.models import CheckoutSession
from tests.checkout.conftest import CART

pytestmark = pytest.mark.django_db

API_PREFIX = "v1/checkout/"


def _build_session(api):
    return api.post("/v1/checkout/sessions", CART, format="json").json()["checkout_id"]


def _build_reservation(api):
    return api.post(f"/v1/checkout/sessions/{_build_session(api)}/reserve").json()["reservation_id"]


def _build_stock_sku(api):
    api.post("/v1/checkout/inventory", {"items": [{"sku": "ISOLATED-SKU", "on_hand": 3}]}, format="json")
    return "ISOLATED-SKU"


def _build_payment_intent(api):
    from tests.payments.helpers import calculated_session, create_intent

    return create_intent(api, calculated_session(api)["checkout_id"])["id"]


def _build_installment(api):
    from payments.bnpl.models import Installment
    from payments.bnpl.providers import simulator
    from payments.bnpl.services.applications import bnpl_sync
    from payments.models import PaymentTransaction
    from tests.bnpl.helpers import bnpl_intent, confirm_bnpl, provider_path

    _, intent = bnpl_intent(api)
    approved = confirm_bnpl(api, intent["id"]).json()
    reference = provider_path(approved).rsplit("/", 1)[1]
    simulator.checkout_complete(reference=reference, number="4242424242424242", exp_month=12, exp_year=2034, cvc="123")
    # The provider's webhook waits for a commit this test never makes: the return's sync completes it.
    bnpl_sync(payment_pk=PaymentTransaction.objects.get(public_id=intent["id"]).pk, actor="test", source="test")
    return Installment.objects.filter(plan__payment__public_id=intent["id"]).order_by("sequence").last().public_id


def _build_webhook_endpoint(api):
    body = {"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    return api.post("/v1/checkout/webhooks", body, format="json").json()["id"]


def _build_event(api):
    _build_session(api)  # emits checkout.created
    return api.get("/v1/checkout/events").json()["data"][0]["id"]


def _build_refund(api):
    from tests.refunds.helpers import captured_intent, request_refund

    return request_refund(api, captured_intent(api), amount=100).json()["id"]


def _build_order(api):
    from tests.checkout.finalize_helpers import finalize, paid_session

    return finalize(api, paid_session(api)["checkout_id"]).json()["order"]["id"]


def _build_finalization_job(api):
    return api.post(f"/v1/checkout/sessions/{_build_session(api)}/finalize/async").json()["job_id"]


def _build_gift_card(api):
    from tests.wallet.helpers import issue

    return issue(api, 500)["id"]


def _build_gift_card_code(api):
    from tests.wallet.helpers import issue

    return issue(api, 500)["code"]


def _build_customer(api):
    from tests.wallet.helpers import grant

    return grant(api, 100)["customer_id"]


def _build_fraud_rule(api):
    return api.get("/v1/checkout/fraud/rules").json()["data"][0]["id"]


def _build_list_entry(api):
    body = {"list": "block", "kind": "email", "value": "isolated@example.com"}
    return api.post("/v1/checkout/fraud/list-entries", body, format="json").json()["id"]


def _build_review(api):
    from tests.fraud.test_flow_api import BIG_CART
    from tests.payments.helpers import attach, confirm, create_intent, tokenize

    checkout_id = api.post("/v1/checkout/sessions", BIG_CART, format="json").json()["checkout_id"]
    api.post(f"/v1/checkout/sessions/{checkout_id}/calculate", {}, format="json")
    intent = create_intent(api, checkout_id)
    attach(api, intent["id"], tokenize(api))
    return confirm(api, intent["id"]).json()["review"]["id"]


def _build_kyc(api):
    return api.post(f"/v1/checkout/sessions/{_build_session(api)}/kyc/start").json()["kyc_id"]


def _build_export(api):
    body = {"type": "payments", "from": "2026-11-01", "to": "2026-11-02"}
    return api.post("/v1/checkout/exports", body, format="json").json()["id"]


def _build_location(api):
    body = {"code": "WH-ISO", "name": "Isolation warehouse", "country": "US"}
    return api.post("/v1/checkout/locations", body, format="json").json()["id"]


def _build_statement(api):
    from tests.reconciliation.helpers import line, statement_file, upload

    return upload(api, statement_file([line(4321, "ISOLATION-REF")])).json()["id"]


# URL kwarg → function(api of merchant A) returning the id of an object A owns.
BUILDERS = {
    "endpoint_id": _build_webhook_endpoint,
    "event_id": _build_event,
    "checkout_id": _build_session,
    "reservation_id": _build_reservation,
    "sku": _build_stock_sku,
    "payment_intent_id": _build_payment_intent,
    "order_id": _build_order,
    "job_id": _build_finalization_job,
    "refund_id": _build_refund,
    "gift_card_id": _build_gift_card,
    "code": _build_gift_card_code,
    "customer_id": _build_customer,
    "installment_id": _build_installment,
    "rule_id": _build_fraud_rule,
    "entry_id": _build_list_entry,
    "assessment_id": _build_review,
    "review_id": _build_review,
    "kyc_id": _build_kyc,
    "export_id": _build_export,
    "location_id": _build_location,
    "statement_id": _build_statement,
}
# Not an object: a date names each merchant's own report of that day
# (tests/reconciliation/test_statements_api.py checks another's figures never show).
NOT_OBJECTS = {"day"}
FAKE_IDS = {"checkout_id": "cs_doesnotexist000000000000"}


def _api_routes():
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                routes.append((prefix + str(pattern.pattern), pattern.callback))

    walk(get_resolver().url_patterns, "")
    return [
        (route, callback)
        for route, callback in routes
        if route.startswith(API_PREFIX) and "<" in route and not NOT_OBJECTS & set(_params(route))
    ]


def _methods(callback):
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return [m for m in ("get", "post", "patch", "put", "delete") if view_class and hasattr(view_class, m)]


def _params(route):
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _fill(route, values):
    import re

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)


def test_every_object_route_hides_other_merchants_objects(api, other_api):
    routes = _api_routes()
    assert routes, "no API routes found"
    missing = sorted({p for route, _ in routes for p in _params(route) if p not in BUILDERS})
    assert not missing, f"add builders for URL parameters: {missing}"

    owned = {}
    for route, _ in routes:
        for param in _params(route):
            if param not in owned:
                owned[param] = BUILDERS[param](api)
    before = {s.public_id: s.version for s in CheckoutSession.objects.filter(merchant=api.merchant)}

    checked = 0
    for route, callback in routes:
        params = _params(route)
        real_url = _fill(route, {p: owned[p] for p in params})
        fake_url = _fill(route, {p: FAKE_IDS.get(p, f"{p}_doesnotexist0000") for p in params})
        for method in _methods(callback):
            real = getattr(other_api, method)(real_url, {}, format="json")
            fake = getattr(other_api, method)(fake_url, {}, format="json")
            where = f"{method.upper()} {real_url}"
            assert real.status_code >= 400, f"{where} answered {real.status_code} to another merchant"
            assert real.status_code == fake.status_code, (
                f"{where}: {real.status_code} vs {fake.status_code} for a missing id"
            )
            if real.headers.get("Content-Type", "").startswith("application/json"):
                assert real.json()["error"]["code"] == fake.json()["error"]["code"], where
            if method == "get":
                assert real.status_code == 404, f"{where} should be 404, got {real.status_code}"
            checked += 1
    assert checked >= len(routes)
    after = {s.public_id: s.version for s in CheckoutSession.objects.filter(merchant=api.merchant)}
    assert after == before, "another merchant changed this merchant's sessions"


def test_lists_never_show_other_merchants_objects(api, other_api):
    own = _build_session(api)
    listed = [s["checkout_id"] for s in other_api.get("/v1/checkout/sessions").json()["data"]]
    assert own not in listed
