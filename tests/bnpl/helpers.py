"""Steps of a buy now, pay later checkout by API, shared by the BNPL tests."""

import re

from django.test import Client

from payments.simulator import processor
from payments.simulator.models import SimulatorCard
from tests.payments.helpers import SUCCESS, V1, calculated_session, create_intent, intent_url, ok

BNPL = "buy_now_pay_later"
FAILING_LATER = "4000000000000341"


def bnpl_intent(api, *, email="ada@example.com", cart=None) -> tuple[dict, dict]:
    session = calculated_session(api, cart)
    ok(api.post(f"{V1}/sessions/{session['checkout_id']}/customer", {"email": email}, format="json"))
    intent = create_intent(api, session["checkout_id"], payment_methods=[BNPL])
    return session, intent


def confirm_bnpl(api, payment_intent_id, plan="pay_in_4", **headers):
    body = {"payment_method_data": {"type": BNPL, "plan": plan}}
    return api.post(intent_url(payment_intent_id, "confirm"), body, format="json", **headers)


def provider_path(intent: dict) -> str:
    url = intent["next_action"]["url"]
    return re.sub(r"^https?://[^/]+", "", url)


def complete_at_provider(intent: dict, number=SUCCESS, browser: Client | None = None):
    """The shopper agrees on the provider's page; answers its redirect back."""
    browser = browser or Client()
    path = provider_path(intent)
    page = browser.get(path)
    assert page.status_code == 200 and b"Pay in 4" in page.content
    return browser.post(path, {"action": "agree", "number": number, "expiry": "12 / 34", "cvc": "123"})


def card_starts_declining(token: str) -> None:
    processor.card_set_profile(token=token, profile="charge_declines")


def plan_card_token(intent_id: str) -> str:
    from payments.bnpl.models import InstallmentPlan

    plan = InstallmentPlan.objects.select_related("payment_method").get(payment__public_id=intent_id)
    assert SimulatorCard.objects.filter(token=plan.payment_method.token).exists()
    return plan.payment_method.token


def installments(api, intent_id) -> list[dict]:
    return ok(api.get(intent_url(intent_id, "installments")))["data"]
