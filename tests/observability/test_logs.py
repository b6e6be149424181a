"""No secret, token or card data in any log line; every line carries the request id."""

import io
import json
import logging

import pytest
import structlog

from core.logs import formatter, scrub_text
from core.request_id import bound_request_id
from tests.payments.helpers import DECLINE, SUCCESS, V1, calculated_session, confirm, create_intent, ok, tokenize

CARD = "4242424242424242"
SECRETS = [
    CARD,
    "4242 4242 4242 4242",
    "sk_test_51HxYzAbCdEfGhIjKlMn",
    "sk_live_abcdefghijklmnop",
    "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==",
    "pi_123_secret_abcdef",
    "eyJhbGciOiJIUzI1NiJ9.payload.signature",
]


@pytest.fixture
def lines():
    """Everything the root logger writes, through the production (JSON) formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=True))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _text(records) -> str:
    return "\n".join(json.dumps(record) for record in records)


def test_secrets_in_messages_arguments_extras_and_exceptions_are_scrubbed(lines):
    log = logging.getLogger("tests.observability")
    with bound_request_id("req_scrub_1"):
        log.info("charging card %s with key %s", CARD, "sk_test_51HxYzAbCdEfGhIjKlMn")
        log.info("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature")
        log.warning("grouped 4242 4242 4242 4242 and client secret pi_123_secret_abcdef")
        log.info("body", extra={"card": {"number": CARD, "cvc": "123"}, "client_secret": "anything", "amount": 1500})
        log.info("posted token=abc.def&password=hunter2 secret: whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==")
        try:
            raise ValueError(f"gateway said no for {CARD} (sk_live_abcdefghijklmnop)")
        except ValueError:
            log.exception("gateway failed")
        structlog.get_logger("tests.structlog").info("structured", token="tok_live_value", card_number=CARD, amount=1)

    records = lines()
    text = _text(records)
    for secret in [*SECRETS, "hunter2", "tok_live_value", '"123"']:
        assert secret not in text, secret
    assert all(record["request_id"] == "req_scrub_1" for record in records)
    assert len(records) == 7
    body = next(record for record in records if record["event"] == "body")
    assert body["card"] == {"number": "[redacted]", "cvc": "[redacted]"} and body["amount"] == 1500
    assert "[card]" in records[0]["event"] and "ValueError" in records[5]["exception"]


def test_ordinary_numbers_survive():
    # Order numbers, amounts and timestamps are not cards: only Luhn-valid 12-19 digit runs go.
    assert scrub_text("order 1234567890123 for 150000 at 2026-11-29") == "order 1234567890123 for 150000 at 2026-11-29"
    assert scrub_text("card 4000000000000002") == "card [card]"
    assert scrub_text("card 4000000000000002.") == "card [card]."
    assert scrub_text("succeeded in 0.05313405600008991s") == "succeeded in 0.05313405600008991s"
    # A key's lookup prefix names the actor without being the key.
    assert scrub_text("by merchant:sk_test_hB57die4") == "by merchant:sk_test_hB57die4"


def test_a_whole_card_payment_writes_no_card_data_or_key_to_any_line(api, lines):
    # The Stripe SDK's DEBUG body logging is what leaks cards in the wild: allow it here.
    logging.getLogger("stripe").setLevel(logging.DEBUG)
    try:
        for number in (SUCCESS, DECLINE):
            session = calculated_session(api)
            intent = create_intent(api, session["checkout_id"])
            payment_method = tokenize(api, number)
            confirm(api, intent["id"], payment_method, HTTP_X_REQUEST_ID="req_pay_1")
        ok(api.get(f"{V1}/sessions"))
    finally:
        logging.getLogger("stripe").setLevel(logging.INFO)
    records = lines()
    assert records, "the payment path logs something"
    text = _text(records)
    for secret in [SUCCESS, DECLINE, api.secrets.secret_key, '"cvc": "123"', "cvc=123"]:
        assert secret not in text, secret
    assert any(record.get("request_id") == "req_pay_1" for record in records)


def test_local_lines_are_readable_and_carry_the_id():
    record = logging.LogRecord("payments", logging.INFO, __file__, 1, "paid %s", ("pi_1",), None)
    with bound_request_id("req_local_1"):
        line = formatter(json=False).format(record)
    assert "paid pi_1" in line and "request_id=req_local_1" in line and not line.startswith("{")
