"""The OpenAPI document describes the answers the API really gives."""

import pytest
from drf_spectacular.generators import SchemaGenerator

V1 = "/v1/checkout"

LISTS = [
    "/v1/checkout/sessions",
    "/v1/checkout/sessions/{checkout_id}/timeline",
    "/v1/checkout/refunds",
    "/v1/checkout/events",
    "/v1/checkout/webhooks",
    "/v1/checkout/webhooks/{endpoint_id}/deliveries",
    "/v1/checkout/inventory",
]


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


@pytest.mark.parametrize("path", LISTS)
def test_every_list_is_documented_as_a_page_not_a_bare_array(schema, path):
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    page = _resolve(schema, body)
    assert page["type"] == "object"
    assert set(page["required"]) >= {"object", "data", "has_more", "next_cursor"}
    assert page["properties"]["data"]["type"] == "array"
    assert page["properties"]["next_cursor"].get("nullable") is True


def test_no_paginated_operation_is_documented_as_a_bare_array(schema):
    for path, item in schema["paths"].items():
        get = item.get("get")
        if not get or not any(parameter["name"] == "cursor" for parameter in get.get("parameters", [])):
            continue
        body = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert _resolve(schema, body).get("type") == "object", path


@pytest.mark.parametrize(
    ("path", "method"),
    [("/v1/checkout/sessions/{checkout_id}", "patch"), ("/v1/checkout/settings", "patch")],
)
def test_a_patch_that_reads_if_match_documents_its_412(schema, path, method):
    operation = schema["paths"][path][method]
    assert "If-Match" in {parameter["name"] for parameter in operation["parameters"]}
    assert _resolve(schema, operation["responses"]["412"]["content"]["application/json"]["schema"])


def test_every_operation_documents_the_refusals_of_the_request_layer(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert "400" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert "413" in operation["responses"], (method, path)


def test_customer_email_is_nullable_in_the_schema(schema):
    email = schema["components"]["schemas"]["Customer"]["properties"]["email"]
    assert email.get("nullable") is True


@pytest.mark.django_db
def test_a_session_without_an_email_answers_null_not_an_empty_string(api):
    response = api.post(
        f"{V1}/sessions",
        {"currency": "USD", "lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_amount": 100}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["customer"]["email"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "openapi-json"])
def test_the_schema_is_served_as_json(anon_api, fmt):
    response = anon_api.get(f"/v1/schema/?format={fmt}")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.django_db
def test_an_unknown_schema_format_is_a_json_envelope(anon_api):
    response = anon_api.get("/v1/schema/?format=xml")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "resource_missing"
