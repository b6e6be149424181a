"""The debits of a processor's payout report besides charges: its refunds, and its
disputes with their fee, named by the processor's own id or by the charge they touch,
matched to the refund or dispute the ledger recorded for them."""

import csv
import io

import pytest

from ledger.models import BalanceTransaction
from payments.models import PaymentAttempt
from payments.simulator import processor
from reconciliation.models import StatementLine, StatementLineEvent
from reconciliation.services.imports import statement_import
from reconciliation.services.matching import lines_match
from reconciliation.simulator_bank.writers import STRIPE_COLUMNS
from refunds.models import Dispute, RefundRequest
from tests.reconciliation.helpers import V1
from tests.refunds.helpers import captured_intent, request_refund

pytestmark = pytest.mark.django_db
BANK_NET = {"date": "created_utc", "amount": "net", "currency": "currency", "reference": "source_id"}


def _charge(intent_id) -> str:
    return PaymentAttempt.objects.get(transaction__public_id=intent_id).gateway_reference


def _refunded(api, intent_id, amount, capture) -> RefundRequest:
    with capture(execute=True):
        assert request_refund(api, intent_id, amount=amount).status_code == 201
    refund = RefundRequest.objects.filter(payment__public_id=intent_id).latest("pk")
    assert refund.state == RefundRequest.State.COMPLETED and refund.gateway_reference
    return refund


def _disputed(intent_id, capture) -> Dispute:
    with capture(execute=True):
        processor.charge_dispute_open(reference=_charge(intent_id), reason="fraudulent")
    return Dispute.objects.get(payment__public_id=intent_id)


def _report(api, rows, mapping=None, name="payout.csv"):
    """A Stripe-like payout report: (category, source_id, gross, fee) in minor units."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STRIPE_COLUMNS)
    for n, (category, source_id, gross, fee) in enumerate(rows):
        day = BalanceTransaction.objects.filter(merchant=api.merchant).latest("pk").created_at.date()
        writer.writerow([
            f"txn_{n}", f"{day} 12:00:00", day, "usd", f"{gross / 100:.2f}", f"{fee / 100:.2f}",
            f"{(gross - fee) / 100:.2f}", category, source_id, f"{category} {source_id}", "",
        ])  # fmt: skip
    statement, _ = statement_import(
        merchant_id=api.merchant.pk, content=out.getvalue().encode(), actor="t", file_name=name, csv_mapping=mapping
    )
    lines_match(merchant_id=api.merchant.pk, actor="t")
    return list(StatementLine.objects.filter(statement=statement).order_by("position"))


def test_a_refund_row_is_matched_by_the_processors_own_refund_id(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    refund = _refunded(api, intent_id, 1200, django_capture_on_commit_callbacks)
    [row] = _report(api, [("refund", refund.gateway_reference, -1200, 0)])
    assert (row.state, row.match_kind, row.matched_refund_id, row.matched_automatically) == (
        "matched",
        "refund",
        refund.pk,
        True,
    )


def test_refund_rows_naming_only_their_charge_are_told_apart_by_amount(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    small = _refunded(api, intent_id, 1200, django_capture_on_commit_callbacks)
    rest = _refunded(api, intent_id, 3800, django_capture_on_commit_callbacks)
    charge = _charge(intent_id)
    rows = _report(api, [("refund", charge, -3800, 0), ("refund", charge, -1200, 0)])
    assert [(r.state, r.matched_refund_id) for r in rows] == [("matched", rest.pk), ("matched", small.pk)]


def test_a_dispute_row_is_matched_to_the_dispute_by_its_id(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    dispute = _disputed(intent_id, django_capture_on_commit_callbacks)
    withdrawal = BalanceTransaction.objects.get(type="dispute", source_id=dispute.gateway_dispute_id)
    assert withdrawal.fee == 1500
    [row] = _report(api, [("dispute", dispute.gateway_dispute_id, withdrawal.amount, withdrawal.fee)])
    assert (row.state, row.match_kind, row.matched_dispute_id) == ("matched", "dispute", dispute.pk)
    event = StatementLineEvent.objects.get(line=row)
    assert event.data == {"kind": "dispute", "id": dispute.public_id, "reasons": []}
    body = api.get(f"{V1}/reconciliation/statements/{row.statement.public_id}").json()
    assert body["lines"][0]["match"] == {"type": "dispute", "id": dispute.public_id, "automatic": True}


def test_a_bank_side_report_of_the_dispute_net_of_its_fee_matches_by_the_charge(
    api, django_capture_on_commit_callbacks
):
    intent_id = captured_intent(api)
    dispute = _disputed(intent_id, django_capture_on_commit_callbacks)
    withdrawal = BalanceTransaction.objects.get(type="dispute", source_id=dispute.gateway_dispute_id)
    # The line names only the charge; what the dispute withdrew with its fee equals it.
    [row] = _report(api, [("dispute", _charge(intent_id), withdrawal.amount, withdrawal.fee)], mapping=BANK_NET)
    assert row.amount == withdrawal.amount - 1500 == withdrawal.net
    assert (row.state, row.matched_dispute_id) == ("matched", dispute.pk)
    assert StatementLineEvent.objects.get(line=row).data["reasons"] == ["net of fee"]


def test_a_refund_and_a_dispute_on_one_charge_each_take_their_own_row(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    refund = _refunded(api, intent_id, 1000, django_capture_on_commit_callbacks)
    dispute = _disputed(intent_id, django_capture_on_commit_callbacks)
    withdrawal = BalanceTransaction.objects.get(type="dispute", source_id=dispute.gateway_dispute_id)
    charge = _charge(intent_id)
    rows = _report(api, [("dispute", charge, withdrawal.amount, 1500), ("refund", charge, -1000, 0)])
    assert [(r.match_kind, r.matched_dispute_id, r.matched_refund_id) for r in rows] == [
        ("dispute", dispute.pk, None),
        ("refund", None, refund.pk),
    ]


def test_a_second_row_for_the_same_dispute_goes_to_review(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    dispute = _disputed(intent_id, django_capture_on_commit_callbacks)
    withdrawal = BalanceTransaction.objects.get(type="dispute", source_id=dispute.gateway_dispute_id)
    [first] = _report(api, [("dispute", dispute.gateway_dispute_id, withdrawal.amount, 1500)])
    [again] = _report(api, [("dispute", dispute.public_id, withdrawal.amount, 1500)], name="again.csv")
    assert first.state == "matched"
    assert again.state == "in_review" and again.review_reason.startswith("duplicate")
    assert again.suggestions[0]["kind"] == "dispute" and again.suggestions[0]["id"] == dispute.public_id


def test_a_dispute_of_another_merchant_is_never_a_candidate(api, other_api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(other_api)
    dispute = _disputed(intent_id, django_capture_on_commit_callbacks)
    captured_intent(api)  # so the report has a day
    [row] = _report(api, [("dispute", dispute.gateway_dispute_id, -5000, 1500)])
    assert (row.state, row.matched_dispute_id) == ("unmatched", None)
