"""No derivative of card data anywhere: a full pg_dump and every log line after a card has
been tokenized (with an Idempotency-Key, replayed) and a payment confirmed with it."""

import hashlib
import itertools
import json
import logging
import os
import re
import subprocess

import pytest
from django.conf import settings
from django.db import connection

from tests.payments.helpers import V1, calculated_session, confirm, create_intent, ok, publishable_client

TOKENIZE = f"{V1}/payment-methods/tokenize"
# Not a well-known test number, so any occurrence in the dump can only come from this test.
NUMBER = "4929 3816 5907 2213"
DIGITS = NUMBER.replace(" ", "")
CVC = "731"
EXP_MONTH, EXP_YEAR = 11, 2033
DUMP_TIMEOUT_SECONDS = 120


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def _body_variants(body: dict) -> list[bytes]:
    """The request body as the client sent it and as anything might have re-serialized it."""
    variants = []
    for number in (NUMBER, DIGITS):
        for exp_month, exp_year in ((EXP_MONTH, EXP_YEAR), (str(EXP_MONTH), str(EXP_YEAR))):
            b = {**body, "card": {**body["card"], "number": number, "exp_month": exp_month, "exp_year": exp_year}}
            for sort_keys, separators in itertools.product((False, True), (None, (",", ":"))):
                variants.append(json.dumps(b, sort_keys=sort_keys, separators=separators).encode())
                variants.append(json.dumps(b["card"], sort_keys=sort_keys, separators=separators).encode())
    return variants


def _forbidden(raw_bodies: list[bytes]) -> dict[str, str]:
    """Every string that would betray the card: what a plain hash can be tested against."""
    secrets = [NUMBER, DIGITS, CVC]
    exp_forms = [f"{EXP_MONTH}{EXP_YEAR}", f"{EXP_MONTH}/{EXP_YEAR}", f"{EXP_MONTH}{EXP_YEAR % 100}"]
    combos = [
        sep.join(parts)
        for sep in ("", "|", ":", " ", ",")
        for number in (NUMBER, DIGITS)
        for exp in exp_forms
        for parts in ((number, exp, CVC), (number, CVC), (number, str(EXP_MONTH), str(EXP_YEAR), CVC))
    ]
    preimages = [s.encode() for s in secrets + combos] + _body_variants(json.loads(raw_bodies[0])) + raw_bodies
    # The fingerprint as it used to be made: SHA-256 over length-prefixed method, path, body.
    legacy = []
    for body in raw_bodies + _body_variants(json.loads(raw_bodies[0])):
        digest = hashlib.sha256()
        for part in (b"POST", TOKENIZE.encode(), body):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        legacy.append(digest.hexdigest())
    forbidden = {}
    for value in preimages:
        for name in ("sha256", "sha1", "md5", "sha512"):
            forbidden[hashlib.new(name, value).hexdigest()] = f"{name}({value[:40]!r})"
    for digest in legacy:
        forbidden[digest] = "legacy request fingerprint"
    for secret in (NUMBER, DIGITS):
        forbidden[secret] = "card number"
        forbidden[secret[4:12]] = "middle digits"
    return forbidden


def _pg_dump() -> str:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["pg_dump", "--no-owner", "-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    command += ["-U", db.get("USER") or "postgres", db["NAME"]]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT_SECONDS, check=True)
    return result.stdout


def _log_files_text() -> str:
    texts = []
    for handler in settings.LOGGING.get("handlers", {}).values():
        filename = handler.get("filename")
        if filename and os.path.exists(filename):
            with open(filename, errors="replace") as log_file:
                texts.append(log_file.read())
    return "\n".join(texts)


def _cvc_occurrences(text: str) -> list[str]:
    # Three digits alone turn up by chance in any dump (an amount, an id, a port in a COPY
    # row), so look for the CVC where card data would be written: as a quoted string value,
    # or near a field that names it.
    pattern = rf"(?i)([\"']{CVC}[\"']|(cvc|cvv|cvn|security_code|card_code)[^\n]{{0,40}}(?<![0-9]){CVC}(?![0-9]))"
    return [text[max(0, m.start() - 60) : m.end() + 60] for m in re.finditer(pattern, text)]


@pytest.mark.django_db(transaction=True)
def test_no_derivative_of_the_card_in_a_full_dump_or_the_logs(api, caplog, capfd):
    assert _luhn_ok(DIGITS)
    caplog.set_level(logging.DEBUG)
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    body = {"type": "card", "card": {"number": NUMBER, "exp_month": EXP_MONTH, "exp_year": EXP_YEAR, "cvc": CVC}}
    raw = json.dumps(body).encode()
    browser = publishable_client(api)
    first = browser.post(TOKENIZE, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="card-1")
    method = ok(first, 201)
    assert method["card"] == {"brand": "visa", "last4": DIGITS[-4:], "exp_month": EXP_MONTH, "exp_year": EXP_YEAR}
    replay = browser.post(TOKENIZE, raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="card-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.content == first.content
    # The same body without spaces in the number is the same request.
    digits_raw = json.dumps({**body, "card": {**body["card"], "number": DIGITS}}, separators=(",", ":")).encode()
    same = browser.post(TOKENIZE, digits_raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="card-1")
    paid = ok(confirm(api, intent["id"], method["payment_method_id"], HTTP_IDEMPOTENCY_KEY="confirm-1"))
    assert paid["status"] == "succeeded" and paid["payment_method"]["card"]["last4"] == DIGITS[-4:]

    dump = _pg_dump()
    assert "payment-methods/tokenize" in dump  # the dump does hold the idempotency rows
    assert DIGITS[-4:] in dump  # and the search works: the last four are kept, by design
    logs = caplog.text + "\n" + "\n".join(capfd.readouterr()) + "\n" + _log_files_text()
    for where, text in (("pg_dump", dump), ("logs", logs)):
        lowered = text.lower()
        found = [label for needle, label in _forbidden([raw, digits_raw]).items() if needle.lower() in lowered]
        assert found == [], f"{where} holds {found}"
        assert _cvc_occurrences(text) == [], f"{where} holds the CVC"
    assert same.get("Idempotent-Replayed") == "true", same.content


@pytest.mark.django_db
def test_a_card_for_a_stripe_merchant_never_leaves_for_stripe(stripe_api, caplog):
    """Stripe merchants' cards are Stripe.js's business: a number sent to us is refused
    before any call to Stripe, so neither the SDK (which logs request bodies at DEBUG) nor
    anything else of ours carries it."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stripe")
    body = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "319"}}
    response = stripe_api.post(TOKENIZE, body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "card_numbers_refused"
    assert "Request to Stripe api" not in caplog.text
    assert "4242424242424242" not in caplog.text
    assert "319" not in re.sub(r"\d{4,}", "", caplog.text)
