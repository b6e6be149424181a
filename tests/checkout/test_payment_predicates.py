"""Checkout asks payments what a payment means through named predicates
(payments.selectors.payment_is_*), never by comparing payments' state values: a new
payment state then changes one module, not every page and job above it."""

import re
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2] / "checkout"
STATE_IMPORT = re.compile(r"from payments\.models import[^\n]*\bState\b")
STATE_STRINGS = re.compile(r"\.state\s*(==|!=|in|not in)\s*[\"'({]")


def test_checkout_never_compares_payment_states():
    offenders = []
    for path in CHECKOUT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        if STATE_IMPORT.search(text) or STATE_STRINGS.search(text):
            offenders.append(str(path.relative_to(CHECKOUT.parent)))
    assert offenders == []
