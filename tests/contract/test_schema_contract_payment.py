"""The OpenAPI schema (/v1/schema/) says what the API document says for payments,
finalization, webhooks and hosted links: its fields with their types, its request examples."""

import pytest
import yaml

from tests.contract.seed import example

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _props(schema, name):
    return schema["components"]["schemas"][name]["properties"]


def _request_examples(schema, path, method="post"):
    content = schema["paths"][f"/v1/checkout/{path}"][method]["requestBody"]["content"]["application/json"]
    return [e["value"] for e in content.get("examples", {}).values()]


def _response_ref(schema, path, status, method="post"):
    ref = schema["paths"][f"/v1/checkout/{path}"][method]["responses"][str(status)]["content"]["application/json"]
    return ref["schema"]["$ref"].rsplit("/", 1)[-1]


def test_payment_intent_fields_and_the_documents_example(schema):
    name = _response_ref(schema, "sessions/{checkout_id}/payment-intents", 201)
    props = _props(schema, name)
    for field in ("payment_intent_id", "status", "client_secret", "amount", "currency", "capture_mode"):
        assert field in props, field
    assert props["payment_intent_id"]["type"] == "string" and props["amount"]["type"] == "integer"
    assert "next_action" in props
    request = schema["components"]["schemas"]["SessionPaymentIntentCreateRequest"]["properties"]
    assert {"amount", "currency", "capture_mode", "payment_methods", "metadata"} <= set(request)
    assert request["payment_methods"]["type"] == "array"
    documented = example("POST", "sessions/{checkoutId}/payment-intents").variants()[0]
    examples = _request_examples(schema, "sessions/{checkout_id}/payment-intents")
    assert {**documented, "payment_methods": ["card"]} in examples
    assert documented in examples  # as written: it works (see test_payments_contract)
    assert "unavailable_payment_methods" in props


def test_attach_method_example_is_the_documents(schema):
    (documented,) = example("POST", "payment-intents/{paymentIntentId}/attach-method").variants()
    assert documented in _request_examples(schema, "payment-intents/{payment_intent_id}/attach-method")
    assert _props(schema, "AttachMethodRequest")["save_method"]["type"] == "boolean"


def test_finalize_fields_and_example(schema):
    props = _props(schema, _response_ref(schema, "sessions/{checkout_id}/finalize", 201))
    for field in ("status", "order_id", "receipt_id"):
        assert props[field].get("type") == "string" or "$ref" in props[field] or "allOf" in props[field], field
    (documented,) = example("POST", "sessions/{checkoutId}/finalize").variants()
    assert any(set(e) == set(documented) and e["create_order"] is True for e in _request_examples(
        schema, "sessions/{checkout_id}/finalize"
    ))  # fmt: skip
    request = _props(schema, "FinalizeInputRequest")
    assert request["create_order"]["type"] == "boolean" and request["order_service_hint"]["type"] == "object"


def test_webhook_example_and_hosted_url_ttl(schema):
    (documented,) = example("POST", "webhooks").variants()
    examples = _request_examples(schema, "webhooks")
    assert any(e["events"] == documented["events"] and "secret" in e for e in examples)
    assert "secret" in _props(schema, "WebhookEndpointCreateRequest")
    hosted = _props(schema, "HostedUrl")
    assert hosted["url"]["type"] == "string" and hosted["ttl_seconds"]["type"] == "integer"
