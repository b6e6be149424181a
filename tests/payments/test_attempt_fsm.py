"""A payment attempt's status moves only through its django-fsm transitions."""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from payments.models import PaymentAttempt
from tests.payments.helpers import attach, calculated_session, confirm, create_intent, ok, tokenize

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path for app in ("payments", "checkout", "refunds", "reconciliation") for path in (ROOT / app).rglob("*.py")]
# `attempt.status = ...` or a bulk update that sets an attempt's status.
ASSIGNMENT = re.compile(r"attempts?\w*\.status\s*=(?!=)")
BULK = re.compile(r"(attempts|PaymentAttempt\.objects)[^\n]*\.update\([^)]*\bstatus\s*=", re.S)


@pytest.mark.django_db
def test_the_status_cannot_be_assigned(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    ok(attach(api, intent["id"], tokenize(api)))
    ok(confirm(api, intent["id"]))
    attempt = PaymentAttempt.objects.get(transaction__public_id=intent["id"])
    assert attempt.status == "succeeded"
    with pytest.raises(AttributeError):
        attempt.status = "pending"
    with pytest.raises(TransitionNotAllowed):
        attempt.fail(code="card_declined", at=timezone.now())  # settled: no way back


def test_no_code_assigns_or_bulk_updates_an_attempt_status():
    offenders = []
    for path in SOURCES:
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)[:80]}" for m in ASSIGNMENT.finditer(text)]
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)[:80]}" for m in BULK.finditer(text)]
    assert offenders == []
