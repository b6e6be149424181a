import warnings

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator


@pytest.mark.django_db
def test_health_reports_database_and_broker(anon_api, fresh_heartbeats):
    response = anon_api.get("/v1/checkout/health")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert response.json()["status"] == "ok" and checks["database"] == "ok" and checks["broker"] == "ok"


@pytest.mark.django_db
def test_health_is_503_when_the_broker_is_down(anon_api, settings, fresh_heartbeats):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = anon_api.get("/v1/checkout/health")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] != "ok"


def test_openapi_schema_generates_without_warnings(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call_command("spectacular", "--fail-on-warn", "--validate", "--file", "/dev/null")
    captured = capsys.readouterr()
    assert "Warning" not in captured.err and "Error" not in captured.err


def test_schema_lists_the_contract_paths():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = set(schema["paths"])
    for path in [
        "/v1/checkout/sessions",
        "/v1/checkout/sessions/{checkout_id}",
        "/v1/checkout/sessions/{checkout_id}/refresh",
        "/v1/checkout/sessions/{checkout_id}/timeline",
        "/v1/checkout/settings",
        "/v1/checkout/capabilities",
        "/v1/checkout/health",
    ]:
        assert path in paths, path


@pytest.mark.django_db
def test_swagger_ui_and_schema_are_served(anon_api):
    assert anon_api.get("/v1/docs/").status_code == 200
    assert anon_api.get("/v1/schema/").status_code == 200


@pytest.mark.django_db
def test_unknown_api_paths_answer_in_the_envelope(api):
    api.handler.enforce_csrf_checks = True  # as a real client, which has no CSRF cookie
    response = api.post("/v1/checkout/sessions/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"
    assert api.get("/not-an-api-path").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/v1/payment-intents/pi_123", "/v1/nothing", "/v1", "/v1/checkout/nothing"])
def test_every_unknown_v1_path_answers_the_envelope_in_debug_too(api, settings, debug, path):
    """A local run has DEBUG on, where Django's 404 handler is its HTML debug page."""
    settings.DEBUG = debug
    response = api.get(path)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "resource_missing")
    assert path in error["message"]


@pytest.mark.django_db
def test_oauth_token_url_works_without_the_trailing_slash(merchant_secrets, anon_api):
    response = anon_api.post(
        "/v1/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": merchant_secrets.oauth_client_id,
            "client_secret": merchant_secrets.oauth_client_secret,
        },
    )
    assert response.status_code == 200 and response.json()["access_token"]
