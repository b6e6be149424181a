"""The matcher: what is matched, what goes to review and why, what stays unmatched."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger.services.balance import balance_transaction_record
from reconciliation.models import StatementLine, StatementLineEvent
from reconciliation.services.bulk_matching import transition_edge
from reconciliation.services.imports import statement_import
from reconciliation.services.matching import lines_match
from tests.concurrency import run_together
from tests.reconciliation.helpers import DAY, completed_refund, line, next_day, settled_payment, statement_file

pytestmark = pytest.mark.django_db


def imported(merchant, lines, format="camt053", day=DAY):
    statement, _ = statement_import(merchant_id=merchant.pk, content=statement_file(lines, format, day), actor="t")
    return statement


def states(statement):
    return [(item.state, item.review_reason) for item in StatementLine.objects.filter(statement=statement)]


def test_reference_in_the_remittance_text_and_a_date_within_the_tolerance_match(merchant):
    payment = settled_payment(merchant, 4200, reference="cs_checkout42")
    statement = imported(
        merchant, [line(4200, "", remittance=f"SEPA credit {payment.public_id} thank you", day=next_day(DAY, 3))]
    )
    result = lines_match(merchant_id=merchant.pk, actor="t")
    assert (result.matched, result.in_review, result.unmatched) == (1, 0, 0)
    matched = StatementLine.objects.get(statement=statement)
    assert matched.matched_payment == payment and matched.matched_automatically
    event = StatementLineEvent.objects.get(line=matched)
    assert (event.type, event.from_state, event.to_state) == ("line.match_automatically", "unmatched", "matched")


def test_the_payers_own_reference_finds_the_payment_too(merchant):
    payment = settled_payment(merchant, 4200, reference="cs_checkout42")
    imported(merchant, [line(4200, "cs_checkout42")])
    lines_match(merchant_id=merchant.pk, actor="t")
    assert StatementLine.objects.get().matched_payment == payment


def test_outside_the_date_tolerance_goes_to_review(merchant):
    payment = settled_payment(merchant, 4200)
    statement = imported(merchant, [line(4200, payment.public_id, day=next_day(DAY, 5))])
    lines_match(merchant_id=merchant.pk, actor="t")
    assert states(statement) == [("in_review", "5 days apart")]


def test_an_amount_off_within_the_tolerance_goes_to_review_with_the_candidate(merchant):
    payment = settled_payment(merchant, 4200)
    statement = imported(merchant, [line(4150, payment.public_id)])
    lines_match(merchant_id=merchant.pk, actor="t")
    line_row = StatementLine.objects.get(statement=statement)
    assert (line_row.state, line_row.review_reason) == ("in_review", "amount differs by 50")
    assert line_row.suggestions[0]["id"] == payment.public_id


def test_an_amount_far_off_is_no_candidate(merchant):
    payment = settled_payment(merchant, 4200)
    statement = imported(merchant, [line(9999, payment.public_id)])
    result = lines_match(merchant_id=merchant.pk, actor="t")
    assert result.unmatched == 1
    assert states(statement) == [("unmatched", "")]


def test_several_candidates_go_to_review_ranked(merchant):
    first = settled_payment(merchant, 3000, reference="order-77")
    second = settled_payment(merchant, 3000, reference="order-77")
    statement = imported(merchant, [line(3000, "order-77")])
    lines_match(merchant_id=merchant.pk, actor="t")
    row = StatementLine.objects.get(statement=statement)
    assert (row.state, row.review_reason) == ("in_review", "several candidates")
    assert {s["id"] for s in row.suggestions} == {first.public_id, second.public_id}


def test_a_reference_the_bank_cut_short_is_offered_for_review(merchant):
    payment = settled_payment(merchant, 4200)
    cut = payment.public_id[:14]
    statement = imported(merchant, [line(4200, cut, remittance=cut)])
    lines_match(merchant_id=merchant.pk, actor="t")
    row = StatementLine.objects.get(statement=statement)
    assert (row.state, row.review_reason) == ("in_review", "reference cut short by the bank")
    assert row.suggestions[0]["id"] == payment.public_id


def test_a_bank_fee_line_stays_unmatched(merchant):
    statement = imported(merchant, [line(-350, "", remittance="Monthly account fee")])
    lines_match(merchant_id=merchant.pk, actor="t")
    assert states(statement) == [("unmatched", "")]


def test_refund_debits_match_refunds_and_credits_never_do(merchant):
    payment = settled_payment(merchant, 5000)
    refund = completed_refund(merchant, payment, 1500)
    statement = imported(merchant, [line(-1500, refund.public_id), line(1500, refund.public_id)])
    lines_match(merchant_id=merchant.pk, actor="t")
    rows = list(StatementLine.objects.filter(statement=statement))
    assert rows[0].matched_refund == refund and rows[1].state == "unmatched"


def test_another_merchants_payment_is_never_a_candidate(merchant, other_api):
    foreign = settled_payment(other_api.merchant, 4200)
    statement = imported(merchant, [line(4200, foreign.public_id)])
    lines_match(merchant_id=merchant.pk, actor="t")
    assert states(statement) == [("unmatched", "")]


def test_matching_again_changes_nothing(merchant):
    payment = settled_payment(merchant, 4200)
    imported(merchant, [line(4200, payment.public_id), line(-10, "", remittance="fee")])
    lines_match(merchant_id=merchant.pk, actor="t")
    events = StatementLineEvent.objects.count()
    again = lines_match(merchant_id=merchant.pk, actor="t")
    assert (again.matched, again.in_review, again.unmatched) == (0, 0, 1)
    assert StatementLineEvent.objects.count() == events


def _queries_to_match(merchant, count, offset):
    payments = [settled_payment(merchant, 1000 + offset + n) for n in range(count)]
    lines = [line(p.amount, p.public_id, bank_reference=f"b{offset}-{n}") for n, p in enumerate(payments)]
    lines += [line(-5, "", remittance=f"fee {offset} {n}") for n in range(count)]
    imported(merchant, lines)
    with CaptureQueriesContext(connection) as queries:
        result = lines_match(merchant_id=merchant.pk, actor="t")
    assert result.matched == count
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_lines(merchant):
    assert _queries_to_match(merchant, 3, 0) == _queries_to_match(merchant, 60, 10_000)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_never_match_one_payment_twice(merchant):
    payments = [settled_payment(merchant, 2000 + n) for n in range(40)]
    # Every payment appears twice, in two statements: one line each may match, never both.
    imported(merchant, [line(p.amount, p.public_id, bank_reference=f"a{n}") for n, p in enumerate(payments)])
    imported(merchant, [line(p.amount, p.public_id, bank_reference=f"b{n}") for n, p in enumerate(payments)], "mt940")
    results = run_together(3, lambda i: lines_match(merchant_id=merchant.pk, actor=f"run{i}"))
    assert not any(isinstance(r, Exception) for r in results), results
    lines_match(merchant_id=merchant.pk, actor="after")
    matched = StatementLine.objects.filter(state="matched")
    assert matched.count() == 40
    assert matched.values("matched_payment").distinct().count() == 40
    assert StatementLine.objects.filter(state="in_review").count() == 40


def test_exact_credits_are_matched_in_one_statement_with_their_events(merchant):
    gross = settled_payment(merchant, 4200)
    net = settled_payment(merchant, 5000)
    balance_transaction_record(
        merchant_id=merchant.pk, type="charge", amount=5000, currency="USD", key=f"charge:{net.public_id}",
        source_type="payment", source_id=net.public_id, payment_pk=net.pk, fee=175,
    )  # fmt: skip
    statement = imported(merchant, [line(4200, gross.public_id), line(4825, "", remittance=f"Payout {net.public_id}")])
    with CaptureQueriesContext(connection) as queries:
        result = lines_match(merchant_id=merchant.pk, actor="nightly")
    assert (result.matched, result.in_review, result.unmatched) == (2, 0, 0)
    rows = list(StatementLine.objects.filter(statement=statement))
    assert [(r.state, r.matched_payment_id, r.matched_automatically, r.version) for r in rows] == [
        ("matched", gross.pk, True, 2),
        ("matched", net.pk, True, 2),
    ]
    events = StatementLineEvent.objects.filter(line__statement=statement).order_by("line_id")
    assert [(e.line_id, e.type, e.from_state, e.to_state, e.actor, e.data) for e in events] == [
        (rows[0].pk, "line.match_automatically", "unmatched", "matched", "nightly",
         {"kind": "payment", "id": gross.public_id, "reasons": []}),
        (rows[1].pk, "line.match_automatically", "unmatched", "matched", "nightly",
         {"kind": "payment", "id": net.public_id, "reasons": ["net of fee"]}),
    ]  # fmt: skip
    # Neither the line-by-line write nor its event insert ran: one statement did both.
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "UPDATE reconciliation_statementline AS l" not in sql
    assert 'INSERT INTO "reconciliation_statementlineevent"' not in sql


def test_two_lines_of_one_batch_for_one_payment_match_once_the_other_goes_to_review(merchant):
    payment = settled_payment(merchant, 4200)
    statement = imported(
        merchant, [line(4200, payment.public_id, bank_reference="a"), line(4200, payment.public_id, bank_reference="b")]
    )
    lines_match(merchant_id=merchant.pk, actor="t")
    assert states(statement) == [
        ("matched", ""),
        ("in_review", "duplicate: the money was already matched by another line"),
    ]


def test_the_set_based_pass_moves_lines_only_along_the_models_transition():
    assert transition_edge("match_automatically") == ("unmatched", "matched")
    with pytest.raises(AssertionError):
        transition_edge("match_by_hand")  # two sources: no single edge to write in bulk
