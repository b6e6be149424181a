"""Section 8 (finalization and order handoff) of the API document, as written."""

import pytest

from checkout.models import FinalizationJob, Order
from tests.checkout.finalize_helpers import paid_session, session_url
from tests.contract.seed import example
from tests.payments.helpers import V1, ok

pytestmark = pytest.mark.django_db

FINALIZE = example("POST", "sessions/{checkoutId}/finalize")
HINT = {"fulfilment_center": "LON-1", "priority": "standard", "tags": ["gift"], "nested": {"a": {"b": 1}}}


def test_the_document_body_and_response_shape():
    assert FINALIZE.variants() == [{"create_order": True, "order_service_hint": {}}]
    assert FINALIZE.response_examples() == [{"status": "completed", "order_id": "order_123", "receipt_id": "rcpt_456"}]


def test_finalize_as_written_answers_the_documented_fields(api):
    checkout_id = paid_session(api)["checkout_id"]
    (body,) = FINALIZE.variants()
    response = api.post(session_url(checkout_id, "finalize"), body, format="json")
    result = ok(response, 201)
    order = Order.objects.get(session__public_id=checkout_id)
    documented = FINALIZE.response_examples()[0]
    assert set(documented) <= set(result)
    assert (result["status"], result["order_id"], result["receipt_id"]) == (
        "completed",
        order.public_id,
        order.receipt_id,
    )
    # Ours besides: the whole order, which names the same ids.
    assert result["order"]["id"] == result["order_id"]
    assert result["order"]["receipt"]["receipt_id"] == result["receipt_id"]
    assert ok(api.get(session_url(checkout_id)))["status"] == "completed"

    again = ok(api.post(session_url(checkout_id, "finalize"), body, format="json"))
    assert (again["status"], again["order_id"], again["receipt_id"], again["created"]) == (
        "completed",
        result["order_id"],
        result["receipt_id"],
        False,
    )


def test_order_service_hint_is_stored_on_the_order_as_given(api):
    checkout_id = paid_session(api)["checkout_id"]
    result = ok(
        api.post(
            session_url(checkout_id, "finalize"), {"create_order": True, "order_service_hint": HINT}, format="json"
        ),
        201,
    )
    assert result["order"]["order_service_hint"] == HINT
    assert Order.objects.get(public_id=result["order_id"]).order_service_hint == HINT
    assert ok(api.get(f"{V1}/orders/{result['order_id']}"))["order_service_hint"] == HINT


@pytest.mark.parametrize(
    "body,code,param",
    [
        ({"create_order": False}, "option_unsupported", "create_order"),
        ({"order_service_hint": {"blob": "x" * 5000}}, "parameter_invalid", "order_service_hint"),
        (
            {"order_service_hint": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}},
            "parameter_invalid",
            "order_service_hint",
        ),
        ({"order_service_hint": "LON-1"}, "parameter_invalid", "order_service_hint"),
        ({"create_order": True, "priority": "high"}, "parameter_invalid", "priority"),
    ],
)
def test_what_finalize_cannot_honour_is_refused_by_name(api, body, code, param):
    checkout_id = paid_session(api)["checkout_id"]
    response = api.post(session_url(checkout_id, "finalize"), body, format="json")
    error = response.json()["error"]
    assert response.status_code == 400 and (error["code"], error["param"]) == (code, param)
    assert not Order.objects.exists()
    assert ok(api.get(session_url(checkout_id)))["status"] == "payment_processing"


def test_finalize_async_with_the_document_body_then_poll(api, django_capture_on_commit_callbacks):
    checkout_id = paid_session(api)["checkout_id"]
    with django_capture_on_commit_callbacks(execute=True):
        job = ok(
            api.post(
                session_url(checkout_id, "finalize/async"),
                {"create_order": True, "order_service_hint": HINT},
                format="json",
            ),
            202,
        )
    assert job["id"] == job["job_id"] and job["job_id"].startswith("fin_")
    assert FinalizationJob.objects.get(public_id=job["job_id"]).order_service_hint == HINT
    done = ok(api.get(f"{V1}/finalizations/{job['job_id']}"))
    order = Order.objects.get(session__public_id=checkout_id)
    assert (done["status"], done["order_id"], done["receipt_id"]) == ("succeeded", order.public_id, order.receipt_id)
    assert order.order_service_hint == HINT


def test_rollback_as_documented(api):
    paid = paid_session(api, capture_mode="manual")
    rolled = ok(api.post(session_url(paid["checkout_id"], "finalize/rollback"), {}, format="json"))
    assert rolled["payment"] == "voided" and rolled["status"] == "failed"
