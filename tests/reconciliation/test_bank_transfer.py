"""Bank transfer, paid through the statement: session → bank transfer → the statement with
the credit → the payment completes and the session finalizes, as for a card."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from checkout.models import CheckoutSession
from payments.models import PaymentTransaction
from payments.services.maintenance import payments_expire_due
from reconciliation.models import StatementLine, StatementSource
from reconciliation.services.daily import reconciliation_run
from reconciliation.sources import merchant_folder
from tests.checkout.finalize_helpers import ready_session, session_url
from tests.payments.helpers import V1, attach, confirm, create_intent, ok
from tests.reconciliation.helpers import line, statement_file, upload

IBAN = "DE89370400440532013000"


@pytest.fixture
def offers_transfers(api):
    body = {"extra_settings": {"bank_transfer": {"enabled": True, "iban": IBAN, "account_holder": "Acme GmbH"}}}
    ok(api.patch(f"{V1}/settings", body, format="json"))
    return api


def transfer_intent(api) -> tuple[str, dict]:
    session = ready_session(api)
    intent = create_intent(api, session["checkout_id"])
    method = ok(api.post(f"{V1}/payment-methods/tokenize", {"type": "bank_transfer"}, format="json"), 201)
    assert method["type"] == "bank_transfer" and method["card"] is None
    ok(attach(api, intent["id"], method["payment_method_id"]))
    return session["checkout_id"], ok(confirm(api, intent["id"]))


def instructions_of(intent: dict) -> dict:
    assert intent["status"] == "requires_action"
    assert intent["next_action"]["type"] == "display_bank_transfer_instructions"
    return intent["next_action"]["display_bank_transfer_instructions"]


@pytest.mark.django_db(transaction=True)
def test_the_statement_credit_completes_the_payment_and_the_order_follows(offers_transfers, merchant, settings,
                                                                           tmp_path):  # fmt: skip
    api = offers_transfers
    checkout_id, intent = transfer_intent(api)
    shown = instructions_of(intent)
    assert (shown["iban"], shown["amount"], shown["currency"], shown["account_holder"]) == (
        IBAN, intent["amount"], "USD", "Acme GmbH")  # fmt: skip
    assert shown["reference"].startswith("BT") and len(shown["reference"]) == 14
    # One spelling of time across the API: UTC as "Z", as the intent's own timestamps.
    assert shown["expires_at"].endswith("Z") and intent["created_at"].endswith("Z")
    deadline = timezone.datetime.fromisoformat(shown["expires_at"])
    assert timedelta(days=2, hours=23) < deadline - timezone.now() <= timedelta(days=3)

    # The shopper pays; the bank's statement (written by the test-mode bank) shows it.
    settings.RECONCILIATION_STATEMENTS_DIR = tmp_path
    StatementSource.objects.create(merchant=merchant, name="bank", kind="folder")
    today = timezone.localdate()
    call_command("simulator_bank_statement", merchant.public_id, "--date", today.isoformat(), "--layout", "bank",
                 "--pay-transfers", stdout=open("/dev/null", "w"))  # fmt: skip
    assert [p.suffix for p in merchant_folder(merchant).iterdir()] == [".xml"]
    reconciliation_run(merchant_id=merchant.pk, day=today)

    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert (payment.state, payment.amount_captured) == ("completed", intent["amount"])
    line_row = StatementLine.objects.get(merchant=merchant)
    assert (line_row.state, line_row.matched_payment_id) == ("matched", payment.pk)
    assert ok(api.get(f"{V1}/payment-intents/{intent['id']}"))["status"] == "succeeded"
    # The session finalizes as for a card.
    order = ok(api.post(session_url(checkout_id, "finalize"), {}, format="json"), 201)["order"]
    assert (order["status"], order["payment_status"], order["amount_captured"]) == ("confirmed", "captured", 5000)
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "completed"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("paid,reason", [(-1, "underpaid by 1"), (+500, "overpaid by 500")])
def test_an_under_or_overpayment_goes_to_review_and_completes_nothing(offers_transfers, merchant, paid, reason):
    _, intent = transfer_intent(offers_transfers)
    shown = instructions_of(intent)
    # Banks print remittance text in capitals; the reference still finds the payment.
    content = statement_file([line(shown["amount"] + paid, "", remittance=f"ORDER {shown['reference'].lower()}")])
    body = upload(offers_transfers, content).json()
    assert body["lines"][0]["state"] == "in_review"
    assert body["lines"][0]["review_reason"] == f"bank transfer: {reason}"
    assert body["lines"][0]["suggestions"][0]["id"] == intent["id"]
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "requires_action"


@pytest.mark.django_db(transaction=True)
def test_no_credit_by_the_deadline_expires_the_payment_and_a_late_credit_is_left_for_a_person(
    offers_transfers, merchant
):
    checkout_id, intent = transfer_intent(offers_transfers)
    shown = instructions_of(intent)
    assert payments_expire_due(now=timezone.now() + timedelta(days=2)) == 0
    assert payments_expire_due(now=timezone.now() + timedelta(days=3, minutes=1)) == 1
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "expired"
    body = upload(offers_transfers, statement_file([line(shown["amount"], shown["reference"])])).json()
    assert body["lines"][0]["state"] == "unmatched"
    assert CheckoutSession.objects.get(public_id=checkout_id).status != "completed"


@pytest.mark.django_db
def test_a_merchant_without_transfers_or_with_a_bad_iban_is_refused(api):
    refused = api.post(f"{V1}/payment-methods/tokenize", {"type": "bank_transfer"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bank_transfer_unavailable"
    bad = {"extra_settings": {"bank_transfer": {"enabled": True, "iban": "DE89370400440532013001"}}}
    response = api.patch(f"{V1}/settings", bad, format="json")
    assert response.status_code == 400 and "IBAN" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_hosted_page_shows_the_transfer_instructions(offers_transfers, merchant):
    from django.test import Client

    from tests.hosted.helpers import open_checkout, pay_page, text

    checkout_id, intent = transfer_intent(offers_transfers)
    shown = instructions_of(intent)
    client = Client()
    session = CheckoutSession.objects.get(public_id=checkout_id)
    open_checkout(client, session)
    page = text(client.get(pay_page(session, "payment/processing")))
    assert "by bank transfer" in page
    assert IBAN in page and shown["reference"] in page and "$50.00" in page
