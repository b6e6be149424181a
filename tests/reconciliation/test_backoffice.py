"""Finance's place in the back office: the lines left to match are a tile on the
dashboard, one click from the queue, and a finance clerk can open and work it."""

import pytest

from core.backoffice.roles import FINANCE_CLERK, REFUND_REVIEWER
from tests.backoffice.helpers import signed_in, staff_user
from tests.backoffice.test_dashboard import tiles
from tests.reconciliation.helpers import line, statement_file, upload

pytestmark = pytest.mark.django_db


def test_a_finance_clerk_finds_the_unmatched_lines_from_the_dashboard(api):
    body = upload(api, statement_file([line(-250, "", remittance="Account fee"), line(777, "NO-SUCH-REF")])).json()
    assert body["imported_count"] == 2
    clerk = signed_in(staff_user("clerk", FINANCE_CLERK))
    count, link = tiles(clerk.get("/admin/").content.decode())["statement_lines_unmatched"]
    assert count == 2 and link == "/admin/reconciliation/statementline/"
    queue = clerk.get(link)
    assert queue.status_code == 200
    assert "NO-SUCH-REF" in queue.content.decode()
    # Roles that do not reconcile see neither the tile nor the queue.
    reviewer = signed_in(staff_user("reviewer", REFUND_REVIEWER))
    assert "statement_lines_unmatched" not in tiles(reviewer.get("/admin/").content.decode())
    assert reviewer.get(link).status_code == 403


def test_a_finance_clerk_opens_the_finance_dashboard_and_the_ledger(db):
    clerk = signed_in(staff_user("ledger-clerk", FINANCE_CLERK))
    assert clerk.get("/admin/ledger/paymentanalytics/dashboard/").status_code == 200
    for page in ("balancetransaction", "payout", "export"):
        assert clerk.get(f"/admin/ledger/{page}/").status_code == 200, page
    # Reading, not changing: the merchants' pricing opens read-only.
    assert clerk.get("/admin/ledger/merchantpricing/add/").status_code == 403


def test_the_finance_dashboard_charts_the_lines_by_state(api):
    import json

    from reconciliation.models import StatementLine

    upload(api, statement_file([line(-250, "", remittance="Account fee"), line(777, "NO-SUCH-REF")]))
    booked_on = StatementLine.objects.values_list("booked_on", flat=True).first()
    clerk = signed_in(staff_user("clerk", FINANCE_CLERK))
    page = clerk.get("/admin/ledger/paymentanalytics/dashboard/", {"days": 366}).content.decode()
    charts = json.loads(page.split('id="finance-charts" type="application/json">')[1].split("</script>")[0])
    chart = next(c for c in charts if c["title"].startswith("Reconciliation"))
    assert chart["stacked"] is True and "currency" not in chart
    day = chart["labels"].index(booked_on.isoformat())
    assert {s["label"]: s["data"][day] for s in chart["datasets"]} == {"Matched": 0, "In Review": 0, "Unmatched": 2}
