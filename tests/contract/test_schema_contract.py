"""The OpenAPI schema shows the document's fields with their types, and its request examples
for sections 1–5 are the document's own bodies."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.contract.seed import canonical_session, example

BASE = "/v1/checkout"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(schema, node["allOf"][0])
    return node


def _operation(schema, method, path):
    return schema["paths"][f"{BASE}/{path}"][method.lower()]


def _request_schema(schema, method, path):
    return _resolve(schema, _operation(schema, method, path)["requestBody"]["content"]["application/json"]["schema"])


def _response_schema(schema, method, path, status="200"):
    response = _operation(schema, method, path)["responses"][status]
    return _resolve(schema, response["content"]["application/json"]["schema"])


def _request_examples(schema, method, path):
    examples = _operation(schema, method, path)["requestBody"]["content"]["application/json"].get("examples", {})
    return [entry["value"] for entry in examples.values()]


JSON_TYPES = {dict: "object", str: "string", int: "integer", bool: "boolean", list: "array"}


def _assert_types(schema, node, documented, path):
    node = _resolve(schema, node)
    expected = JSON_TYPES[type(documented)]
    if "oneOf" in node or "anyOf" in node:
        options = [_resolve(schema, option) for option in node.get("oneOf", node.get("anyOf"))]
        node = next(option for option in options if option.get("type") != "null" or expected == "null")
    assert node.get("type", "object") == expected, f"{path}: {node.get('type')} is not {expected}"
    if isinstance(documented, dict):
        properties = node.get("properties", {})
        for key, value in documented.items():
            assert key in properties, f"{path}.{key} is not in the schema"
            _assert_types(schema, properties[key], value, f"{path}.{key}")


def test_the_session_resource_schema_has_every_canonical_field_with_its_type(schema):
    session = _response_schema(schema, "GET", "sessions/{checkout_id}")
    _assert_types(schema, session, canonical_session(), "session")
    owner_type = _resolve(schema, _resolve(schema, session["properties"]["owner"])["properties"]["type"])
    assert owner_type["type"] == "string"


def test_create_request_schema_and_examples_are_the_documents(schema):
    body = _request_schema(schema, "POST", "sessions")
    owner = _resolve(schema, body["properties"]["owner"])
    assert set(owner["properties"]) == {"type", "id"}
    assert set(_resolve(schema, owner["properties"]["type"])["enum"]) == {"user", "guest"}
    options = _resolve(schema, body["properties"]["options"])
    assert {"auto", "manual"} <= set(_resolve(schema, options["properties"]["capture_mode"])["enum"])
    assert options["properties"]["require_billing_address"]["type"] == "boolean"
    assert "lines" not in body.get("required", [])
    for variant in example("POST", "sessions").variants()[:1]:
        assert variant in _request_examples(schema, "POST", "sessions")


@pytest.mark.parametrize(
    "route,path",
    [
        ("sessions/{checkoutId}/select-shipping", "sessions/{checkout_id}/select-shipping"),
        ("sessions/{checkoutId}/calculate", "sessions/{checkout_id}/calculate"),
        ("sessions/{checkoutId}/reserve", "sessions/{checkout_id}/reserve"),
    ],
)
def test_request_examples_include_the_documents_body(schema, route, path):
    documented = example("POST", route).variants()
    found = _request_examples(schema, "POST", path)
    assert any(variant in found for variant in documented), (documented, found)
    body = _request_schema(schema, "POST", path)
    for key in documented[0]:
        assert key in body["properties"], key


def test_response_schemas_name_the_documented_fields(schema):
    calc = _response_schema(schema, "POST", "sessions/{checkout_id}/calculate")
    documented = {"lines", "adjustments", "tax_lines", "shipping", "fees", "totals", "calculation_id", "calculated_at"}
    assert documented <= set(calc["properties"])
    line = _resolve(schema, calc["properties"]["lines"]["items"])
    assert {"base_price", "adjustments"} <= set(line["properties"])
    reservation = _response_schema(schema, "POST", "sessions/{checkout_id}/reserve", "201")
    assert {"reservation_id", "lines", "partial", "expires_at"} <= set(reservation["properties"])
    reserved_line = _resolve(schema, reservation["properties"]["lines"]["items"])
    assert {"requested", "reserved", "shortfall"} <= set(reserved_line["properties"])
    refresh = _response_schema(schema, "POST", "sessions/{checkout_id}/refresh")
    assert {"calculation_id", "validation_results"} <= set(refresh["properties"])
    customer = _request_schema(schema, "POST", "sessions/{checkout_id}/customer")
    assert {"email", "phone", "customer_id", "save_for_later"} <= set(customer["properties"])
    options = _operation(schema, "GET", "sessions/{checkout_id}/shipping-options")
    assert "include_estimated_delivery_dates" in {p["name"] for p in options["parameters"]}
    delete = _operation(schema, "DELETE", "sessions/{checkout_id}")
    assert "release_inventory" in {p["name"] for p in delete["parameters"]}
