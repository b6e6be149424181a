"""Section 12 (hosted and embedded checkout) of the API document."""

from datetime import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.contract.paying import session_owing
from tests.contract.seed import example
from tests.payments.helpers import V1, ok

pytestmark = pytest.mark.django_db


def _seconds_until(iso: str, answered_at: datetime) -> float:
    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) - answered_at).total_seconds()


def test_hosted_url_answers_the_url_and_its_ttl(api):
    assert "returns URL + TTL" in example("POST", "sessions/{checkoutId}/hosted-url").text
    session = session_owing(api)
    now = timezone.now()
    link = ok(api.post(f"{V1}/sessions/{session['checkout_id']}/hosted-url", format="json"))
    assert link["url"].startswith(f"{settings.PUBLIC_BASE_URL}/pay/{session['checkout_id']}?token=")
    assert 3590 <= link["ttl_seconds"] <= 3600
    assert abs(_seconds_until(link["expires_at"], now) - link["ttl_seconds"]) <= 2
    page = APIClient().get(link["url"].removeprefix(settings.PUBLIC_BASE_URL))
    assert page.status_code in (200, 302)


def test_embed_token_is_short_lived_and_scoped(api):
    session = session_owing(api)
    embed = ok(api.get(f"{V1}/sessions/{session['checkout_id']}/embed-token"))
    assert embed["token"] and 890 <= embed["ttl_seconds"] <= 900
    browser = APIClient()
    browser.credentials(HTTP_AUTHORIZATION=f"Bearer {embed['token']}")
    assert ok(browser.get(f"{V1}/hosted/{session['checkout_id']}/status"))["checkout_id"] == session["checkout_id"]
    other = session_owing(api)
    assert browser.get(f"{V1}/hosted/{other['checkout_id']}/status").status_code in (401, 403, 404)


def test_hosted_status_for_the_return_page(api, other_api):
    session = session_owing(api)
    status = ok(api.get(f"{V1}/hosted/{session['checkout_id']}/status"))
    assert (status["status"], status["order_id"], status["redirect_url"]) == ("collecting", None, None)
    assert other_api.get(f"{V1}/hosted/{session['checkout_id']}/status").status_code == 404
