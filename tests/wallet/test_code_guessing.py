"""Guessing gift card codes: wrong codes are counted per API key, per client IP and per
checkout session; past a limit the answer is 429 with Retry-After, never stored under an
Idempotency-Key, and every failure is logged without the code."""

import pytest

from payments.wallet import services
from tests.checkout.finalize_helpers import ready_session
from tests.payments.helpers import V1, ok, shopper_client
from tests.wallet.helpers import issue

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the load balancer in front of us


def _apply(client, checkout_id, code, **headers):
    return client.post(f"{V1}/sessions/{checkout_id}/apply-giftcard", {"code": code}, format="json", **headers)


def _from(ip):
    # As the request arrives behind one trusted proxy: the client's address is the last hop.
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ip}


def test_wrong_codes_from_one_shopper_ip_across_sessions_are_limited_not_the_proxy(api, settings, caplog):
    settings.TRUSTED_PROXY_COUNT = 1
    first, second = ready_session(api), ready_session(api)
    card = issue(api, 500)
    for session, tries in ((first, 6), (second, 4)):
        for number in range(tries):
            wrong = f"WRONGCODE{number:04d}"
            response = _apply(shopper_client(session), session["checkout_id"], wrong, **_from("203.0.113.5"))
            assert response.status_code == 404
    # Neither session nor its client token reached 10: the shopper's address did.
    limited = _apply(shopper_client(second), second["checkout_id"], card["code"], **_from("203.0.113.5"))
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "too_many_attempts")
    assert 0 < int(limited["Retry-After"]) <= services.GUESS_WINDOW_SECONDS
    # Another shopper behind the same proxy is not locked out by the first one's guesses.
    other = _apply(shopper_client(second), second["checkout_id"], card["code"], **_from("198.51.100.7"))
    assert ok(other)["applied_amount"] == 500
    assert "gift card code not found" in caplog.text and "WRONGCODE" not in caplog.text
    assert "ip=203.0.113.5" in caplog.text


def test_a_secret_key_is_limited_per_key_and_per_session_not_per_its_servers_address(api, monkeypatch):
    monkeypatch.setattr(services, "GUESS_LIMIT_PER_KEY", 3)
    sessions = [ready_session(api) for _ in range(4)]
    card = issue(api, 500)
    for number, session in enumerate(sessions[:3]):
        assert _apply(api, session["checkout_id"], f"WRONGCODE{number:04d}").status_code == 404
    # A fresh session, but the same key: the key's limit holds.
    limited = _apply(api, sessions[3]["checkout_id"], card["code"])
    assert limited.status_code == 429 and limited["Retry-After"]
    # The merchant's server's address was not counted: a shopper from it is not limited.
    shopper = shopper_client(sessions[3])
    assert ok(_apply(shopper, sessions[3]["checkout_id"], card["code"]))["applied_amount"] == 500


def test_a_limited_answer_is_not_replayed_for_its_idempotency_key(api, monkeypatch):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    card = issue(api, 500)
    for number in range(services.GUESS_LIMIT):
        assert _apply(api, checkout_id, f"WRONGCODE{number:04d}").status_code == 404
    key = {"HTTP_IDEMPOTENCY_KEY": "apply-after-typos"}
    assert _apply(api, checkout_id, card["code"], **key).status_code == 429
    monkeypatch.setattr(services, "GUESS_LIMIT", services.GUESS_LIMIT + 1)  # as if the window had passed
    retried = _apply(api, checkout_id, card["code"], **key)
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert retried.json()["applied_amount"] == 500


def test_guesses_through_an_explicit_split_count_against_the_intents_session(api):
    from tests.payments.helpers import create_intent, intent_url, tokenize

    session = ready_session(api)
    checkout_id = session["checkout_id"]
    intent = create_intent(api, checkout_id)
    for number in range(services.GUESS_LIMIT):
        allocations = [
            {"type": "gift_card", "code": f"WRONGCODE{number:04d}", "amount": 100},
            {"type": "card", "payment_method_id": tokenize(api), "amount": intent["amount"] - 100},
        ]
        response = api.post(intent_url(intent["id"], "split"), {"allocations": allocations}, format="json")
        assert response.status_code == 404
    card = issue(api, 500)
    assert _apply(api, checkout_id, card["code"]).status_code == 429
