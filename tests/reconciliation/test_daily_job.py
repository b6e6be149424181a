"""The daily job: fetch from the merchant's folder, import, match, report, tell people once."""

import pytest
from django.core import mail
from django.core.management import call_command

from merchants.models import Event, Merchant
from reconciliation.models import DailyReport, Statement, StatementLine, StatementSource
from reconciliation.sources import merchant_folder
from reconciliation.tasks import reconcile_daily
from tests.reconciliation.admin_helpers import clerk
from tests.reconciliation.helpers import DAY, V1, completed_refund, settled_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(merchant, settings, tmp_path):
    settings.RECONCILIATION_STATEMENTS_DIR = tmp_path
    StatementSource.objects.create(merchant=merchant, name="bank folder", kind="folder")
    return merchant_folder(merchant)


def test_the_simulator_bank_writes_the_day_and_the_job_reconciles_it(api, merchant, folder):
    payment = settled_payment(merchant, 5000)
    refund = completed_refund(merchant, settled_payment(merchant, 3000), 1000)
    call_command("simulator_bank_statement", merchant.public_id, "--date", DAY.isoformat(), stdout=_Null())
    assert sorted(p.name for p in folder.iterdir()) == [f"{DAY}-settlement.csv"]
    clerk("erin")

    assert reconcile_daily(DAY.isoformat()) == 1
    report = DailyReport.objects.get(merchant=merchant, date=DAY)
    assert (report.lines_matched, report.lines_in_review, report.lines_unmatched) == (3, 0, 0)
    assert report.figures["USD"]["unexplained"] == 0
    assert report.figures["USD"]["matched"] == {"count": 3, "amount": 5000 + 3000 - 1000}
    event = Event.objects.get(merchant=merchant, type="reconciliation.completed")
    assert event.data["lines_matched"] == 3 and event.data["date"] == DAY.isoformat()
    assert mail.outbox == []  # nothing left for finance

    body = api.get(f"{V1}/reconciliation/reports/{DAY.isoformat()}").json()
    assert body["final"] is True and body["lines_matched"] == 3
    assert body["currencies"][0]["currency"] == "USD" and body["currencies"][0]["unexplained"] == 0
    assert payment.public_id and refund.public_id


def test_running_twice_imports_once_and_announces_once(merchant, folder):
    payment = settled_payment(merchant, 5000)
    call_command("simulator_bank_statement", merchant.public_id, "--date", DAY.isoformat(), stdout=_Null())
    (folder / "extra.csv").write_text(
        "balance_transaction_id,created_utc,currency,gross,source_id,description\n"
        f"fee_1,{DAY} 09:00:00,usd,-3.00,,Account fee\n"
    )
    clerk("erin")
    reconcile_daily(DAY.isoformat())
    reconcile_daily(DAY.isoformat())
    assert Statement.objects.filter(merchant=merchant).count() == 2
    report = DailyReport.objects.get(merchant=merchant, date=DAY)
    assert (report.runs, report.lines_matched, report.lines_unmatched) == (2, 1, 1)
    assert report.figures["USD"]["unexplained"] == 300
    assert Event.objects.filter(merchant=merchant, type="reconciliation.completed").count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["erin@example.com"]
    assert "1 lines need a look" in mail.outbox[0].subject
    assert payment.public_id


def test_a_file_that_cannot_be_read_is_reported_and_does_not_stop_the_rest(merchant, folder):
    settled_payment(merchant, 5000)
    call_command("simulator_bank_statement", merchant.public_id, "--date", DAY.isoformat(), stdout=_Null())
    (folder / "broken.xml").write_bytes(b"<Document")
    reconcile_daily(DAY.isoformat())
    report = DailyReport.objects.get(merchant=merchant, date=DAY)
    assert report.lines_matched == 1
    assert report.import_errors[0]["file"] == "broken.xml"


def test_the_report_before_the_run_shows_the_figures_as_they_stand(api):
    body = api.get(f"{V1}/reconciliation/reports/{DAY.isoformat()}").json()
    assert (body["final"], body["lines_matched"], body["currencies"]) == (False, 0, [])
    bad = api.get(f"{V1}/reconciliation/reports/2026-13-01")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "date"


def test_all_three_formats_of_one_day_import_alike(api, merchant, tmp_path):
    from tests.reconciliation.helpers import upload

    settled_payment(merchant, 5000)
    call_command("simulator_bank_statement", merchant.public_id, "--date", DAY.isoformat(), "--format", "all",
                 "--layout", "settlement", "--out", str(tmp_path), stdout=_Null())  # fmt: skip
    states = []
    for suffix in ("csv", "sta", "xml"):
        content = (tmp_path / f"{DAY}-settlement.{suffix}").read_bytes()
        body = upload(api, content, name=f"s.{suffix}").json()
        states.append((body["format"], body["line_count"], body["states"]))
    assert [s[:2] for s in states] == [("csv", 1), ("mt940", 1), ("camt053", 1)]
    # The first import matched the payment; the same money in the other two is a duplicate.
    assert [s[2]["matched"] for s in states] == [1, 0, 0]


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass


def test_the_demo_merchant_reconciles_its_folder_from_the_command_line(settings, tmp_path):
    import io
    import json

    settings.RECONCILIATION_STATEMENTS_DIR = tmp_path
    settings.VAR_DIR = tmp_path
    call_command("bootstrap_demo", stdout=io.StringIO())
    demo = Merchant.objects.get(public_id=json.loads((tmp_path / "demo-merchant.json").read_text())["merchant_id"])
    assert StatementSource.objects.filter(merchant=demo, kind="folder", is_active=True).exists()
    payment = settled_payment(demo, 5000)
    call_command("simulator_bank_statement", demo.public_id, "--date", DAY.isoformat(), stdout=_Null())
    out = io.StringIO()
    call_command("reconcile", demo.public_id, "--date", DAY.isoformat(), stdout=out)
    assert out.getvalue().strip() == f"{demo.public_id} {DAY}: 1 matched, 0 in review, 0 unmatched, unexplained 0"
    assert StatementLine.objects.get(statement__merchant=demo).matched_payment_id == payment.pk
