import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from checkout.models import CheckoutSession, SessionEvent
from merchants.models import Event

pytestmark = pytest.mark.django_db


def test_create_returns_canonical_resource(api, cart):
    response = api.post("/v1/checkout/sessions", cart, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["checkout_id"].startswith("cs_")
    assert body["status"] == "created"
    assert body["client_token"].startswith("ct_")
    assert [line["quantity"] for line in body["lines"]] == [2, 1]
    assert body["totals"] is None and body["calculation_id"] is None
    assert f"/pay/{body['checkout_id']}?token=ct_" in body["links"]["approve"]
    assert response["ETag"] == f'"{body["version"]}"'
    for key in ("cart_id", "owner", "shipping_address", "billing_address", "selected_shipping",
                "reservation_id", "payment_intent", "created_at", "updated_at", "metadata", "expires_at"):  # fmt: skip
        assert key in body
    session = CheckoutSession.objects.get(public_id=body["checkout_id"])
    assert list(session.timeline.values_list("type", flat=True)) == ["status.created"]
    assert Event.objects.filter(type="checkout.created", checkout_id=body["checkout_id"]).count() == 1


@pytest.mark.parametrize(
    "mutate,param",
    [
        (lambda c: c.update(owner={"type": "robot", "id": "r1"}), "owner.type"),
        (lambda c: c.update(owner={"type": "guest"}), "owner.id"),
        (lambda c: c.update(options={"capture_mode": "sometimes"}), "options.capture_mode"),
        (lambda c: c.update(lines=None), "lines"),
        (lambda c: c["lines"][0].update(quantity=0), "lines[0].quantity"),
        (lambda c: c["lines"][0].update(unit_amount=19.99), "lines[0].unit_amount"),
        (lambda c: c.update(currency="usd"), "currency"),
        (lambda c: c.update(currency="JPY"), "currency"),  # valid code, not supported by this merchant
        (lambda c: c.update(bogus=True), "bogus"),
        (lambda c: c.update(return_urls={"success_url": "not a url"}), "return_urls.success_url"),
    ],
)
def test_create_bad_input_is_400_and_writes_nothing(api, cart, mutate, param):
    mutate(cart)
    response = api.post("/v1/checkout/sessions", cart, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    assert CheckoutSession.objects.count() == 0


def test_get_and_client_token_reads_only_its_session(api, session, cart):
    assert api.get(f"/v1/checkout/sessions/{session['checkout_id']}").json()["checkout_id"] == session["checkout_id"]
    shopper = APIClient()
    shopper.credentials(HTTP_AUTHORIZATION=f"Bearer {session['client_token']}")
    assert shopper.get(f"/v1/checkout/sessions/{session['checkout_id']}").status_code == 200
    other = api.post("/v1/checkout/sessions", cart, format="json").json()
    assert shopper.get(f"/v1/checkout/sessions/{other['checkout_id']}").status_code == 403
    # A client token is never enough to change the session.
    assert (
        shopper.patch(f"/v1/checkout/sessions/{session['checkout_id']}", {"owner": "x"}, format="json").status_code
        == 403
    )


def test_patch_with_if_match_and_stale_etag(api, session):
    url = f"/v1/checkout/sessions/{session['checkout_id']}"
    etag = f'"{session["version"]}"'
    response = api.patch(url, {"metadata": {"a": "b"}}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["metadata"] == {"a": "b"}
    assert response.json()["status"] == "collecting"
    stale = api.patch(url, {"owner": "someone"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert api.get(url).json()["owner"] == {"type": "user", "id": "cust_1"}


def test_delete_cancels_then_further_changes_are_409(api, session):
    url = f"/v1/checkout/sessions/{session['checkout_id']}"
    response = api.delete(f"{url}?release_inventory=true")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    again = api.delete(url)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_state_transition"
    patch = api.patch(url, {"owner": "x"}, format="json")
    assert patch.status_code == 409
    assert patch.json()["error"]["code"] == "invalid_state_transition"
    types = list(SessionEvent.objects.filter(session__public_id=session["checkout_id"]).values_list("type", flat=True))
    assert types == ["status.created", "status.canceled"]
    assert Event.objects.filter(type="checkout.canceled").count() == 1


def test_refresh_extends_expiry(api, session):
    response = api.post(f"/v1/checkout/sessions/{session['checkout_id']}/refresh")
    assert response.status_code == 200
    assert response.json()["expires_at"] >= session["expires_at"]
    assert response.json()["version"] == session["version"] + 1


def test_timeline_lists_every_event(api, session):
    url = f"/v1/checkout/sessions/{session['checkout_id']}"
    api.patch(url, {"owner": "o2"}, format="json")
    body = api.get(f"{url}/timeline").json()
    assert [e["type"] for e in body["data"]] == ["status.created", "status.collecting", "session.updated"]
    assert body["data"][1]["from_status"] == "created" and body["data"][1]["to_status"] == "collecting"


def test_list_paginates_with_cursor(api, cart):
    ids = {api.post("/v1/checkout/sessions", cart, format="json").json()["checkout_id"] for _ in range(5)}
    first = api.get("/v1/checkout/sessions?limit=2").json()
    assert len(first["data"]) == 2 and first["has_more"]
    seen = {s["checkout_id"] for s in first["data"]}
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(f"/v1/checkout/sessions?limit=2&cursor={cursor}").json()
        seen |= {s["checkout_id"] for s in page["data"]}
        cursor = page["next_cursor"]
    assert seen == ids
    assert api.get("/v1/checkout/sessions?cursor=garbage").status_code == 400


def test_create_query_count_is_flat_in_the_number_of_lines(api, cart):
    counts = []
    for line_count in (1, 50):
        body = {
            **cart,
            "lines": [{"sku": f"S{n}", "name": "Item", "quantity": 1, "unit_amount": 100} for n in range(line_count)],
        }
        api.post("/v1/checkout/sessions", body, format="json")  # warm the key's last_used_at write
        with CaptureQueriesContext(connection) as ctx:
            assert api.post("/v1/checkout/sessions", body, format="json").status_code == 201
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    # key lookup, savepoint, session, lines (one bulk insert), timeline, its audit row, event, release
    assert counts[0] <= 8, counts
