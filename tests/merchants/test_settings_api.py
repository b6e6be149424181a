import pytest

pytestmark = pytest.mark.django_db


def test_get_settings_has_defaults_and_etag(api):
    response = api.get("/v1/checkout/settings")
    body = response.json()
    assert body["payment_time_limit_minutes"] == 10
    assert body["approval_mode"] == "auto"
    assert response["ETag"] == f'"{body["version"]}"'


def test_patch_settings_with_if_match(api):
    etag = api.get("/v1/checkout/settings")["ETag"]
    response = api.patch(
        "/v1/checkout/settings",
        {"approval_mode": "merchant", "max_payment_attempts": 5},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert response.json()["approval_mode"] == "merchant"
    assert response["ETag"] != etag
    stale = api.patch("/v1/checkout/settings", {"max_payment_attempts": 4}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert api.get("/v1/checkout/settings").json()["max_payment_attempts"] == 5


@pytest.mark.parametrize(
    "payload,param",
    [
        ({"default_currency": "XXQ"}, "default_currency"),
        ({"approval_mode": "sometimes"}, "approval_mode"),
        ({"max_payment_attempts": 0}, "max_payment_attempts"),
        ({"nonsense": 1}, "nonsense"),
        ({"default_currency": "JPY"}, "default_currency"),  # not among supported_currencies
    ],
)
def test_patch_settings_bad_input_is_400_and_changes_nothing(api, payload, param):
    before = api.get("/v1/checkout/settings").json()
    response = api.patch("/v1/checkout/settings", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    assert api.get("/v1/checkout/settings").json() == before


def test_capabilities(api):
    body = api.get("/v1/checkout/capabilities").json()
    assert "card" in body["payment_method_types"]
    assert body["default_currency"] == "USD"


def test_extra_settings_are_merged_key_by_key(api):
    api.patch("/v1/checkout/settings", {"extra_settings": {"a": 1, "b": 2}}, format="json")
    response = api.patch("/v1/checkout/settings", {"extra_settings": {"b": None, "c": 3}}, format="json")
    assert response.status_code == 200
    assert response.json()["extra_settings"] == {"a": 1, "c": 3}


def test_a_gateway_the_platform_has_not_configured_is_refused(api, settings):
    settings.STRIPE_API_KEY = ""
    response = api.patch("/v1/checkout/settings", {"gateway": "stripe"}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("gateway_not_configured", "gateway")
    assert api.get("/v1/checkout/settings").json()["gateway"] == "simulator"
    settings.STRIPE_API_KEY = "sk_test_platform"
    assert api.patch("/v1/checkout/settings", {"gateway": "stripe"}, format="json").json()["gateway"] == "stripe"
    # The simulator is a test-mode processor: where the platform serves none, none is chosen.
    settings.PAYMENTS_SIMULATOR_ENABLED = False
    refused = api.patch("/v1/checkout/settings", {"gateway": "simulator"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "gateway_not_configured"
    # Other settings still change for a merchant whose gateway is unchanged.
    settings.STRIPE_API_KEY = ""
    assert api.patch("/v1/checkout/settings", {"max_payment_attempts": 4}, format="json").status_code == 200


@pytest.mark.parametrize("sent,stored,answered", [("auto", "automatic", "auto"), ("automatic", "automatic", "auto"),
                                                  ("manual", "manual", "manual")])  # fmt: skip
def test_capture_mode_takes_both_spellings_and_answers_the_documents(api, merchant, sent, stored, answered):
    if sent != "manual":
        api.patch("/v1/checkout/settings", {"capture_mode": "manual"}, format="json")
    response = api.patch("/v1/checkout/settings", {"capture_mode": sent}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["capture_mode"] == answered
    merchant.refresh_from_db()
    assert merchant.capture_mode == stored
    assert api.get("/v1/checkout/settings").json()["capture_mode"] == answered
    assert api.get("/v1/checkout/capabilities").json()["capture_modes"] == ["auto", "manual"]
    bad = api.patch("/v1/checkout/settings", {"capture_mode": "later"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "capture_mode"
