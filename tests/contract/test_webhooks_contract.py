"""Section 9 (webhooks) of the API document as written, and the signed callback to a
session's callback_url (seed 003): its secret printed with the keys and readable again."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_httpserver import HTTPServer
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from merchants.services import merchant_create
from merchants.webhooks.event_types import EVENT_TYPES
from merchants.webhooks.models import WebhookEndpoint, WebhookSecret
from tests.contract.paying import intent_url, intents_url, session_owing, tokenized
from tests.contract.seed import example
from tests.payments.helpers import V1, ok, publishable_client

URL = f"{V1}/webhooks"
SUBSCRIBE = example("POST", "webhooks")
PASSPHRASE = "correct horse battery staple 4 webhooks!"


@pytest.fixture
def receiver():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def received(server, path, secret):
    """Each event posted to `path`, once Standard Webhooks verification accepted it."""
    return [Webhook(secret).verify(r.get_data(), dict(r.headers)) for r, _ in server.log if r.path == path]


def test_every_documented_event_is_one_we_emit():
    (body,) = SUBSCRIBE.variants()
    assert body["events"] == ["checkout.created", "payment.succeeded", "checkout.completed", "checkout.failed"]
    assert set(body["events"]) <= set(EVENT_TYPES)


@pytest.mark.django_db
def test_the_document_body_as_written_is_refused_only_for_its_placeholders(api, receiver):
    (body,) = SUBSCRIBE.variants()
    placeholder_url = api.post(URL, body, format="json")
    assert placeholder_url.status_code == 400 and placeholder_url.json()["error"]["param"] == "url"
    weak = api.post(URL, {**body, "url": receiver.url_for("/hook")}, format="json")
    error = weak.json()["error"]
    assert weak.status_code == 400 and (error["code"], error["param"]) == ("secret_too_weak", "secret")
    assert "..." not in error["message"]  # the secret is never echoed
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "secret,problem",
    [
        ("a" * 40, "different characters"),
        ("short-but-varied-1234", "characters"),
        ("whsec_" + "A" * 8, "bytes"),
        ("whsec_not base64!", "base64"),
        (" leading space and then more than enough characters", "spaces"),
    ],
)
def test_weak_secrets_are_refused(api, receiver, secret, problem):
    (body,) = SUBSCRIBE.variants()
    response = api.post(URL, {**body, "url": receiver.url_for("/hook"), "secret": secret}, format="json")
    assert response.status_code == 400 and problem in response.json()["error"]["message"]
    assert not WebhookSecret.objects.filter(endpoint__isnull=False).exists()


@pytest.mark.django_db
def test_list_test_and_delete(api, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    (body,) = SUBSCRIBE.variants()
    none = api.post(f"{URL}/test", format="json")
    assert none.status_code == 400 and none.json()["error"]["code"] == "no_webhook_endpoint"

    created = ok(api.post(URL, {**body, "url": receiver.url_for("/hook"), "secret": PASSPHRASE}, format="json"), 201)
    assert created["events"] == body["events"] and created["secret"].startswith("whsec_")
    listed = ok(api.get(URL))
    assert [e["id"] for e in listed["data"]] == [created["id"]] and "secret" not in listed["data"][0]

    # The document's test call has no body: the merchant's only endpoint is tested.
    tested = ok(api.post(f"{URL}/test", format="json"))
    assert (tested["endpoint_id"], tested["outcome"]) == (created["id"], "succeeded")
    (event,) = received(receiver, "/hook", created["secret"])
    assert event["type"] == "webhook.test"

    second = ok(api.post(URL, {"url": receiver.url_for("/other"), "events": ["*"]}, format="json"), 201)
    ambiguous = api.post(f"{URL}/test", {}, format="json")
    assert ambiguous.status_code == 400 and ambiguous.json()["error"]["param"] == "endpoint_id"
    assert ok(api.post(f"{URL}/test", {"endpoint_id": created["id"]}, format="json"))["outcome"] == "succeeded"

    assert ok(api.delete(f"{URL}/{second['id']}"))["status"] == "deleted"
    assert [e["id"] for e in ok(api.get(URL))["data"]] == [created["id"]]


@pytest.mark.django_db
def test_a_whsec_secret_of_the_merchant_is_kept_as_given(api, receiver):
    mine = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    (body,) = SUBSCRIBE.variants()
    created = ok(api.post(URL, {**body, "url": receiver.url_for("/hook"), "secret": mine}, format="json"), 201)
    assert created["secret"] == mine


@pytest.mark.django_db(transaction=True)
def test_documented_events_arrive_signed_with_the_merchants_secret(api, receiver):
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    (body,) = SUBSCRIBE.variants()
    created = ok(api.post(URL, {**body, "url": receiver.url_for("/hook"), "secret": PASSPHRASE}, format="json"), 201)

    paid = session_owing(api)
    intent = ok(api.post(intents_url(paid["checkout_id"]), {}, format="json"), 201)
    pm = tokenized(publishable_client(api))
    ok(api.post(intent_url(intent["id"], "confirm"), {"payment_method_id": pm}, format="json"))
    ok(api.post(f"{V1}/sessions/{paid['checkout_id']}/finalize", {"create_order": True}, format="json"), 201)

    failing = session_owing(api)
    doomed = ok(api.post(intents_url(failing["checkout_id"]), {}, format="json"), 201)
    ok(api.post(intent_url(doomed["id"], "cancel"), {}, format="json"))

    events = received(receiver, "/hook", created["secret"])
    by_session = {}
    for event in events:
        by_session.setdefault(event["checkout_id"], []).append(event["type"])
    assert by_session[paid["checkout_id"]] == ["checkout.created", "payment.succeeded", "checkout.completed"]
    assert by_session[failing["checkout_id"]] == ["checkout.created", "checkout.failed"]
    succeeded = next(e for e in events if e["type"] == "payment.succeeded")
    # The document: payloads include checkout_id and payment_intent_id.
    assert (succeeded["checkout_id"], succeeded["payment_intent_id"]) == (paid["checkout_id"], intent["id"])


@pytest.mark.django_db(transaction=True)
def test_callback_secret_printed_at_creation_reads_again_and_verifies_callbacks(receiver):
    receiver.expect_request("/cb", method="POST").respond_with_data("OK", status=200)
    secrets = merchant_create(name="Callback Shop")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secrets.secret_key}")
    assert secrets.callback_secret.startswith("whsec_")

    first = ok(api.get(f"{URL}/callback-secret"))
    second = ok(api.get(f"{URL}/callback-secret"))
    assert first["secret"] == second["secret"] == secrets.callback_secret  # reading never rotates
    assert first["signature_headers"] == ["webhook-id", "webhook-timestamp", "webhook-signature"]
    assert WebhookSecret.objects.filter(merchant=secrets.merchant, endpoint__isnull=True).count() == 1

    body = {
        "currency": "GBP",
        "lines": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_amount": 1250}],
        "return_urls": {"callback_url": receiver.url_for("/cb")},
    }
    session = ok(api.post(f"{V1}/sessions", body, format="json"), 201)
    ok(api.delete(f"{V1}/sessions/{session['checkout_id']}"))
    # The README's three lines.
    (request, _) = receiver.log[0]
    wh = Webhook(first["secret"])
    payload = wh.verify(request.get_data(), dict(request.headers))
    assert payload["checkout_id"] == session["checkout_id"] and payload["type"] == "checkout.canceled"

    rotated = ok(api.post(f"{URL}/callback-secret", format="json"))
    assert ok(api.get(f"{URL}/callback-secret"))["secret"] == rotated["secret"] != first["secret"]


@pytest.mark.django_db
def test_create_merchant_prints_the_callback_secret(capsys):
    call_command("create_merchant", "Printed Ltd", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["callback_secret"].startswith("whsec_")
    call_command("create_merchant", "Printed Too Ltd")
    out = capsys.readouterr().out
    assert "Callback secret" in out and "GET /v1/checkout/webhooks/callback-secret" in out


@pytest.mark.django_db
def test_the_run_commands_demo_output_prints_the_callback_secret(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("bootstrap_demo")
    data = json.loads((tmp_path / "demo-merchant.json").read_text())
    out = capsys.readouterr().out
    assert f"Callback secret      {data['callback_secret']}" in out


def _settings_in_child(**env) -> dict:
    """Settings as a fresh process computes them from this environment."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'port': s.PORT, 'base': s.PUBLIC_BASE_URL}))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("PORT", "PUBLIC_BASE_URL")}
    child = {**base, "DJANGO_SETTINGS_MODULE": "config.settings", "APP_ENV": "local", **env}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], env=child, cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_port_moves_the_links_handed_out_unless_public_base_url_is_set():
    assert _settings_in_child() == {"port": 8000, "base": "http://127.0.0.1:8000"}
    assert _settings_in_child(PORT="8001") == {"port": 8001, "base": "http://127.0.0.1:8001"}
    assert _settings_in_child(PORT="8001", PUBLIC_BASE_URL="https://pay.example") == {
        "port": 8001,
        "base": "https://pay.example",
    }


def test_make_run_passes_the_port_to_the_run_script():
    root = Path(__file__).resolve().parents[2]
    dry = subprocess.run(["make", "-n", "run", "PORT=8001"], cwd=root, capture_output=True, text=True, timeout=30)
    assert 'PORT="8001" scripts/run.sh' in dry.stdout
    script = (root / "scripts" / "run.sh").read_text()
    assert 'runserver "127.0.0.1:$PORT"' in script
    refused = subprocess.run(
        ["bash", "scripts/run.sh"], cwd=root, env={**os.environ, "PORT": "80x"}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert refused.returncode == 2 and "PORT must be a number" in refused.stderr
