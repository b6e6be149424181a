"""Refunding a payment made by bank transfer: no gateway holds that money, so the refund
goes back by the merchant's own transfer to the account it came from (the statement
credit's counterparty, or the one the request names), waits in processing until finance
marks the transfer sent, then completes, booked and announced like any refund."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from core.backoffice.roles import FINANCE_CLERK, REFUND_REVIEWER
from ledger.models import BalanceTransaction
from merchants.audit.models import AuditEntry
from merchants.models import Event
from payments.exceptions import PaymentPaidByTransfer
from payments.models import PaymentEvent, PaymentTransaction
from payments.services.refunds import payment_gateway_refund
from payments.wallet.models import StoreCreditAccount
from reconciliation.models import StatementLine
from reconciliation.simulator_bank.day import refund_transfer_debits
from refunds import services, tasks
from refunds.models import RefundEvent, RefundRequest
from refunds.services.processing import refunds_resume_stuck
from refunds.services.transfers import TransferSenderNotAllowed
from tests.backoffice.helpers import signed_in, staff_user
from tests.concurrency import run_together
from tests.payments.helpers import ok
from tests.reconciliation.helpers import line, statement_file, upload
from tests.reconciliation.test_bank_transfer import instructions_of, transfer_intent
from tests.refunds.helpers import ADMIN, CAPTURED, captured_intent, refund_detail, request_refund, review_limit

pytestmark = pytest.mark.django_db(transaction=True)

PAYER_IBAN = "DE02120300000000202051"
PAYER = "Erika Mustermann"
MERCHANT_IBAN = "DE89370400440532013000"


@pytest.fixture
def transfers(api):
    body = {"extra_settings": {"bank_transfer": {"enabled": True, "iban": MERCHANT_IBAN, "account_holder": "Acme"}}}
    ok(api.patch("/v1/checkout/settings", body, format="json"))
    return api


@pytest.fixture
def clerk(db):
    return staff_user("fiona", FINANCE_CLERK)


def paid_by_transfer(api, *, payer=True) -> str:
    """A payment intent paid by the shopper's transfer: the statement's credit, matched by
    the upload, completed it. `payer`: the statement names the account it came from."""
    _, intent = transfer_intent(api)
    shown = instructions_of(intent)
    account = {"counterparty_name": PAYER, "counterparty_iban": PAYER_IBAN} if payer else {}
    lines = ok(upload(api, statement_file([line(shown["amount"], shown["reference"], **account)])), 201)["lines"]
    assert lines[0]["state"] == "matched"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "completed"
    return intent["id"]


def transfer_page(refund: dict) -> str:
    return f"{ADMIN}{RefundRequest.objects.get(public_id=refund['id']).pk}/transfer/"


def mark_sent(client, refund: dict, bank_reference="SEPA-OUT-1"):
    return client.post(transfer_page(refund), {"action": "sent", "bank_reference": bank_reference, "confirm": "on"})


def error(response, status) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_the_refund_waits_for_finance_then_completes_booked_announced_and_receipted(transfers, clerk):
    api = transfers
    intent_id = paid_by_transfer(api)
    refund = ok(request_refund(api, intent_id, amount=2000, receipt_email="erika@example.com"), 201)

    # Approved by the merchant's rules, then processing: nothing went to a gateway.
    assert refund["status"] == "processing" and refund["failure"] is None
    assert refund["bank_transfer"] == {
        "iban_last4": "2051", "account_holder": PAYER, "account_source": "statement", "reference": refund["id"],
        "sent_at": None, "bank_reference": "",
    }  # fmt: skip
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert not PaymentEvent.objects.filter(transaction=payment, type="refund.claimed").exists()
    assert PaymentEvent.objects.filter(transaction=payment, type="refund.transfer_awaited").count() == 1
    # The task again, or the stuck-refund sweeper a day later, leave it waiting.
    row = RefundRequest.objects.get(public_id=refund["id"])
    assert tasks.process_refund.delay(row.pk).get() == "processing"
    assert refunds_resume_stuck(now=timezone.now() + timedelta(days=1)) == 0
    assert (payment.state, payment.amount_refunded) == ("completed", 0)
    # Its amount is held: what is left is what was paid less this refund.
    refused = error(request_refund(api, intent_id, amount=CAPTURED - 2000 + 1), 400)
    assert refused["code"] == "refund_exceeds_captured"

    # Finance sees where to send it, sends it from the bank, marks it sent.
    client = signed_in(clerk)
    page = client.get(transfer_page(refund)).content.decode()
    assert "DE02 1203 0000 0000 2020 51" in page and PAYER in page and refund["id"] in page and "$20.00" in page
    assert mark_sent(client, refund).status_code == 302

    done = ok(refund_detail(api, refund["id"]))
    assert done["status"] == "completed" and done["completed_at"]
    assert done["bank_transfer"]["sent_at"] and done["bank_transfer"]["bank_reference"] == "SEPA-OUT-1"
    payment.refresh_from_db()
    assert (payment.state, payment.amount_refunded) == ("partially_refunded", 2000)
    # Booked out of the merchant's own account, as the transfer came in: non-cash, no fee.
    charge, booked = BalanceTransaction.objects.filter(payment=payment).order_by("id")
    assert (charge.type, charge.amount, charge.cash, charge.fee) == ("charge", CAPTURED, False, 0)
    assert (booked.type, booked.amount, booked.cash, booked.fee, booked.net) == ("refund", -2000, False, 0, -2000)
    assert booked.key == f"refund:{refund['id']}"
    # Announced, audited with who marked it, and the shopper told where the money went.
    assert Event.objects.filter(type="refund.completed", correlation_id=refund["id"]).count() == 1
    completed = RefundEvent.objects.get(refund__public_id=refund["id"], type="state.completed")
    assert (completed.from_state, completed.user, completed.actor) == ("processing", clerk, "staff:fiona")
    assert AuditEntry.objects.filter(object_id=refund["id"], action="state.completed", actor="staff:fiona").exists()
    receipts = [m for m in mail.outbox if m.to == ["erika@example.com"]]
    assert len(receipts) == 1 and "bank transfer to the account ending 2051" in receipts[0].body

    # A second submit (a double click, a stale tab) books nothing twice.
    again = client.post(
        transfer_page(refund), {"action": "sent", "bank_reference": "SEPA-OUT-2", "confirm": "on"}, follow=True
    )
    assert "already marked sent" in again.content.decode()
    assert BalanceTransaction.objects.filter(type="refund", payment=payment).count() == 1
    assert ok(refund_detail(api, refund["id"]))["bank_transfer"]["bank_reference"] == "SEPA-OUT-1"


def test_the_statement_debit_quoting_the_refund_is_matched_to_it(transfers, clerk, merchant):
    intent_id = paid_by_transfer(transfers)
    refund = ok(request_refund(transfers, intent_id), 201)  # all of it
    assert mark_sent(signed_in(clerk), refund).status_code == 302
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "refunded"

    # The merchant's bank books the outgoing transfer (the test bank writes it as it would).
    today = timezone.localdate()
    debits = refund_transfer_debits(merchant.pk, today)
    assert [(d.amount, d.reference, d.counterparty_iban) for d in debits] == [(-CAPTURED, refund["id"], PAYER_IBAN)]
    lines = ok(upload(transfers, statement_file(debits, day=today), name="out.xml"), 201)["lines"]
    assert lines[0]["state"] == "matched"
    matched = StatementLine.objects.get(public_id=lines[0]["id"])
    assert (matched.match_kind, matched.matched_refund.public_id) == ("refund", refund["id"])


def test_without_the_payers_account_on_the_statement_the_request_must_name_it(transfers):
    api = transfers
    intent_id = paid_by_transfer(api, payer=False)

    missing = error(request_refund(api, intent_id, amount=1000), 400)
    assert (missing["code"], missing["param"]) == ("bank_account_required", "bank_account")
    bad = error(request_refund(api, intent_id, bank_account={"iban": "DE02120300000000202052",
                                                            "account_holder": PAYER}), 400)  # fmt: skip
    assert (bad["code"], bad["param"]) == ("invalid_iban", "bank_account.iban")
    blank = error(request_refund(api, intent_id, bank_account={"iban": PAYER_IBAN, "account_holder": "  "}), 400)
    assert blank["param"].startswith("bank_account")
    unknown = error(request_refund(api, intent_id, bank_account={"iban": PAYER_IBAN, "bic": "X"}), 400)
    assert unknown["param"].startswith("bank_account")
    shape = error(request_refund(api, intent_id, bank_account="DE02120300000000202051"), 400)
    assert shape["param"].startswith("bank_account")
    assert RefundRequest.objects.count() == 0

    named = {"iban": "de02 1203 0000 0000 2020 51", "account_holder": " Erika  Mustermann "}
    refund = ok(request_refund(api, intent_id, amount=1000, bank_account=named), 201)
    assert refund["bank_transfer"]["account_source"] == "request"
    assert (refund["bank_transfer"]["iban_last4"], refund["bank_transfer"]["account_holder"]) == ("2051", PAYER)
    assert RefundRequest.objects.get(public_id=refund["id"]).transfer_iban == PAYER_IBAN


def test_an_account_other_than_the_statements_is_refused(transfers):
    intent_id = paid_by_transfer(transfers)
    elsewhere = {"iban": "GB33BUKB20201555555555", "account_holder": "Someone Else"}
    refused = error(request_refund(transfers, intent_id, bank_account=elsewhere), 400)
    assert refused["code"] == "bank_account_mismatch" and "2051" in refused["message"]
    # The same account, as the shopper spells it, is the statement's.
    same = {"iban": "DE02 1203 0000 0000 2020 51", "account_holder": "E. Mustermann"}
    refund = ok(request_refund(transfers, intent_id, amount=500, bank_account=same), 201)
    assert refund["bank_transfer"]["account_source"] == "statement"
    assert refund["bank_transfer"]["account_holder"] == PAYER  # as the bank booked it


def test_a_bank_account_is_refused_on_a_card_refund_and_on_store_credit(api):
    intent_id = captured_intent(api)
    account = {"iban": PAYER_IBAN, "account_holder": PAYER}
    refused = error(request_refund(api, intent_id, amount=100, bank_account=account), 400)
    assert refused["code"] == "bank_account_not_applicable"
    assert RefundRequest.objects.count() == 0


def test_a_refund_to_store_credit_still_completes_at_once_with_no_transfer(transfers):
    intent_id = paid_by_transfer(transfers)
    refund = ok(request_refund(transfers, intent_id, amount=1500, refund_to="store_credit", customer_id="cus_9"), 201)
    assert (refund["status"], refund["bank_transfer"]) == ("completed", None)
    assert StoreCreditAccount.objects.get(customer_id="cus_9").balance == 1500


def test_marking_sent_is_finances_and_only_for_a_transfer_waiting_to_be_sent(transfers, clerk, merchant):
    api = transfers
    intent_id = paid_by_transfer(api)
    merchant.refresh_from_db()  # the settings the API changed
    review_limit(merchant, 100)
    refund = ok(request_refund(api, intent_id, amount=1000), 201)
    assert refund["status"] == "under_review"
    row = RefundRequest.objects.get(public_id=refund["id"])

    # A refund reviewer decides refunds but does not say money left the bank.
    reviewer = staff_user("rita", REFUND_REVIEWER)
    assert signed_in(reviewer).get(transfer_page(refund)).status_code == 403
    with pytest.raises(TransferSenderNotAllowed):
        services.refund_transfer_mark_sent(refund_pk=row.pk, user=reviewer)
    # Not approved yet: nothing to send.
    with pytest.raises(Exception) as refused:
        services.refund_transfer_mark_sent(refund_pk=row.pk, user=clerk)
    assert (refused.value.code, refused.value.status_code) == ("invalid_state_transition", 409)
    page = signed_in(clerk).get(transfer_page(refund)).content.decode()
    assert "its transfer is sent once it is approved" in page and 'name="confirm"' not in page
    assert mark_sent(signed_in(clerk), refund).status_code == 200  # the page, saying why
    assert RefundRequest.objects.get(pk=row.pk).state == "under_review"

    # A card payment's refund has no transfer to mark.
    review_limit(merchant, 1_000_000)
    card = ok(request_refund(api, captured_intent(api), amount=100), 201)
    with pytest.raises(Exception) as refused:
        services.refund_transfer_mark_sent(refund_pk=RefundRequest.objects.get(public_id=card["id"]).pk, user=clerk)
    assert refused.value.code == "invalid_state_transition"


def test_a_transfer_that_could_not_be_sent_fails_the_refund_and_frees_its_amount(transfers, clerk):
    api = transfers
    intent_id = paid_by_transfer(api)
    refund = ok(request_refund(api, intent_id, amount=4000), 201)
    client = signed_in(clerk)
    # Unticked, or without a reason, nothing happens and the page says what is missing.
    unticked = client.post(transfer_page(refund), {"action": "sent", "bank_reference": "X"})
    assert unticked.status_code == 200 and "Tick this" in unticked.content.decode()
    unexplained = client.post(transfer_page(refund), {"action": "not_sent", "reason": " "})
    assert unexplained.status_code == 200 and "Say why" in unexplained.content.decode()
    assert RefundRequest.objects.get(public_id=refund["id"]).state == "processing"

    failed = client.post(transfer_page(refund), {"action": "not_sent", "reason": "Account closed (AC04)"})
    assert failed.status_code == 302
    body = ok(refund_detail(api, refund["id"]))
    assert (body["status"], body["failure"]) == (
        "failed", {"code": "transfer_not_sent", "message": "Account closed (AC04)"})  # fmt: skip
    assert Event.objects.filter(type="refund.failed", correlation_id=refund["id"]).count() == 1
    assert RefundEvent.objects.get(refund__public_id=refund["id"], type="state.failed").user == clerk
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert (payment.state, payment.amount_refunded) == ("completed", 0)
    assert not BalanceTransaction.objects.filter(type="refund").exists()
    # Nothing left the account: the whole amount may be refunded again.
    assert ok(request_refund(api, intent_id, amount=CAPTURED), 201)["status"] == "processing"


def test_the_change_page_offers_the_transfer_and_the_queue_lists_it(transfers, clerk):
    intent_id = paid_by_transfer(transfers)
    refund = ok(request_refund(transfers, intent_id, amount=700), 201)
    client = signed_in(clerk)
    change = client.get(f"{ADMIN}{RefundRequest.objects.get(public_id=refund['id']).pk}/change/").content.decode()
    assert "Send the refund transfer" in change
    queue = client.get(f"{ADMIN}?transfer=waiting")
    assert [row.public_id for row in queue.context["cl"].result_list] == [refund["id"]]
    home = client.get("/admin/").content.decode()
    assert "Refund transfers to send" in home
    mark_sent(client, refund)
    assert client.get(f"{ADMIN}?transfer=waiting").context["cl"].result_count == 0


def test_the_gateway_is_never_asked_to_refund_a_transfer(transfers):
    payment = PaymentTransaction.objects.get(public_id=paid_by_transfer(transfers))
    with pytest.raises(PaymentPaidByTransfer) as refused:
        payment_gateway_refund(payment_pk=payment.pk, amount=100, idempotency_key="k1")
    assert (refused.value.code, refused.value.status_code) == ("refund_needs_transfer", 409)


def test_a_replayed_request_is_one_refund(transfers):
    intent_id = paid_by_transfer(transfers)
    headers = {"HTTP_IDEMPOTENCY_KEY": "transfer-refund-1"}
    body = {"amount": 900, "reason": "duplicate"}
    url = f"/v1/checkout/payment-intents/{intent_id}/refund"
    first = transfers.post(url, body, format="json", **headers)
    again = transfers.post(url, body, format="json", **headers)
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert first.content == again.content and RefundRequest.objects.count() == 1


def test_another_merchant_cannot_refund_or_see_it(transfers, other_api):
    intent_id = paid_by_transfer(transfers)
    refund = ok(request_refund(transfers, intent_id, amount=300), 201)
    assert error(request_refund(other_api, intent_id, amount=300), 404)["code"] == "resource_missing"
    assert refund_detail(other_api, refund["id"]).status_code == 404
    assert RefundRequest.objects.count() == 1


def test_concurrent_refunds_never_exceed_what_was_paid_and_concurrent_marks_book_once(transfers, clerk):
    intent_id = paid_by_transfer(transfers)
    secret = transfers.secrets.secret_key

    def ask(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        response = request_refund(client, intent_id, amount=3000)
        return response.status_code, response.json()

    answers = run_together(2, ask)
    assert sorted(status for status, _ in answers) == [201, 400]
    assert {body["error"]["code"] for status, body in answers if status == 400} == {"refund_exceeds_captured"}
    refund = next(body for status, body in answers if status == 201)
    row = RefundRequest.objects.get(public_id=refund["id"])
    assert RefundRequest.objects.count() == 1 and row.state == "processing"

    marked = run_together(3, lambda i: services.refund_transfer_mark_sent(refund_pk=row.pk, user=clerk)[1])
    assert sorted(marked) == [False, False, True]
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert (payment.state, payment.amount_refunded) == ("partially_refunded", 3000)
    assert BalanceTransaction.objects.filter(type="refund", payment=payment).count() == 1
    assert Event.objects.filter(type="refund.completed", correlation_id=refund["id"]).count() == 1
