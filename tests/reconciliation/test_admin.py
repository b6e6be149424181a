"""The back office: upload, the review queue, decisions (audited), the report page and CSV."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reconciliation.models import DailyReport, StatementLine, StatementLineEvent
from reconciliation.services.imports import statement_import
from reconciliation.services.matching import lines_match
from reconciliation.services.reports import daily_report_build
from tests.reconciliation.admin_helpers import clerk
from tests.reconciliation.helpers import DAY, line, settled_payment, statement_file

pytestmark = pytest.mark.django_db
LINES = "/admin/reconciliation/statementline/"


@pytest.fixture
def queue(merchant):
    """A matched line, a duplicate in review, a bank fee unmatched."""
    payment = settled_payment(merchant, 5000)
    other = settled_payment(merchant, 7000)
    content = statement_file(
        [
            line(5000, payment.public_id),
            line(5000, payment.public_id),
            line(-300, "", remittance="Account fee"),
            line(7000, "lost-reference"),
        ]
    )
    statement, _ = statement_import(merchant_id=merchant.pk, content=content, actor="t")
    lines_match(merchant_id=merchant.pk, actor="t")
    rows = list(StatementLine.objects.filter(statement=statement))
    return {
        "payment": payment,
        "other": other,
        "matched": rows[0],
        "duplicate": rows[1],
        "fee": rows[2],
        "lost": rows[3],
    }


def test_the_queue_lists_what_is_left_to_decide(queue):
    _, client = clerk()
    page = client.get(LINES).content.decode()
    assert queue["duplicate"].public_id in page and queue["fee"].public_id in page
    assert queue["matched"].public_id not in page


def test_a_clerk_matches_by_search_and_it_is_audited(queue):
    user, client = clerk()
    lost = queue["lost"]
    page = client.get(f"{LINES}{lost.pk}/decide/?q=7000").content.decode()
    assert queue["other"].public_id in page
    response = client.post(
        f"{LINES}{lost.pk}/decide/",
        {"decision": "match", "kind": "payment", "target_id": queue["other"].public_id, "note": "ref lost"},
    )
    assert response.status_code == 302
    lost.refresh_from_db()
    assert (lost.state, lost.matched_payment, lost.matched_by, lost.matched_automatically) == (
        "matched",
        queue["other"],
        user,
        False,
    )
    event = StatementLineEvent.objects.filter(line=lost).last()
    assert (event.type, event.actor, event.data["note"]) == ("line.match_by_hand", "staff:carol", "ref lost")


def test_money_another_line_settles_cannot_be_matched_twice(queue):
    _, client = clerk()
    response = client.post(
        f"{LINES}{queue['duplicate'].pk}/decide/",
        {"decision": "match", "kind": "payment", "target_id": queue["payment"].public_id},
    )
    assert response.status_code == 200
    assert "already matched by line" in response.content.decode()
    queue["duplicate"].refresh_from_db()
    assert queue["duplicate"].state == "in_review"


def test_investigate_needs_a_note_and_takes_the_line_off_the_queue(queue):
    _, client = clerk()
    fee = queue["fee"]
    assert "Say what" in client.post(f"{LINES}{fee.pk}/decide/", {"decision": "investigate"}).content.decode()
    client.post(f"{LINES}{fee.pk}/decide/", {"decision": "investigate", "note": "Bank's monthly fee"})
    fee.refresh_from_db()
    assert (fee.state, fee.note) == ("unmatched", "Bank's monthly fee") and fee.investigated_at
    # Off the queue (the page may still say it was marked, in its message): no row links to it.
    assert f"{LINES}{fee.pk}/change/" not in client.get(LINES).content.decode()
    report = daily_report_build(merchant_id=fee.merchant_id, day=DAY)
    assert report.figures["USD"]["investigated"] == {"count": 1, "amount": -300}


def test_unmatch_puts_the_line_back(queue):
    _, client = clerk()
    matched = queue["matched"]
    client.post(f"{LINES}{matched.pk}/decide/", {"decision": "unmatch", "note": "wrong one"})
    matched.refresh_from_db()
    assert (matched.state, matched.matched_payment) == ("unmatched", None)
    assert StatementLineEvent.objects.filter(line=matched, type="line.unmatch").exists()


def test_deciding_needs_the_match_permission(queue):
    _, client = clerk("dave", can_match=False)
    response = client.post(f"{LINES}{queue['fee'].pk}/decide/", {"decision": "investigate", "note": "x"})
    assert response.status_code == 403


def test_upload_in_the_admin_imports_and_matches(merchant):
    payment = settled_payment(merchant, 5000)
    _, client = clerk()
    content = statement_file([line(5000, payment.public_id)], format="mt940")
    response = client.post(
        "/admin/reconciliation/statement/add/",
        {"merchant": merchant.pk, "file": SimpleUploadedFile("d.sta", content), "format": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert StatementLine.objects.get().state == "matched"


def test_the_report_page_and_its_csv(queue, merchant):
    report = daily_report_build(merchant_id=merchant.pk, day=DAY)
    _, client = clerk()
    page = client.get(f"/admin/reconciliation/dailyreport/{report.pk}/change/").content.decode()
    assert "Unexplained" in page
    body = client.get(f"/admin/reconciliation/dailyreport/{report.pk}/csv/").content.decode().splitlines()
    header, row = body[0].split(","), body[1].split(",")
    figures = dict(zip(header, row, strict=True))
    assert (figures["matched_count"], figures["in_review_count"], figures["unmatched_count"]) == ("1", "1", "2")
    # The duplicate (5000), the fee (300) and the lost reference (7000) are unexplained.
    assert figures["unexplained"] == "12300"
    assert DailyReport.objects.count() == 1
