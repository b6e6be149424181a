"""POST /exports → 202 and a job; the file is built by the Celery task, stored through
Django's storage API, and served by a signed link that expires."""

import csv
import io
import json
from datetime import date

import pytest
import time_machine
from django.utils import timezone

from ledger.models import BalanceTransaction, Export
from ledger.services.exports import export_build
from tests.payments.helpers import V1, ok
from tests.refunds.helpers import captured_intent

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _export(api, commit, **body):
    body = {"type": "balance_transactions", "from": TODAY.isoformat(), "to": TODAY.isoformat(), **body}
    with commit(execute=True):
        response = api.post(f"{V1}/exports", body, format="json", HTTP_IDEMPOTENCY_KEY=f"exp-{body}")
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(f"/v1/checkout/exports/{response.json()['id']}")
    return ok(api.get(f"{V1}/exports/{response.json()['id']}"))


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content).decode()


def test_a_balance_transaction_export_as_csv_matches_the_ledger(api, anon_api, django_capture_on_commit_callbacks):
    with time_machine.travel("2026-11-24 10:00Z", tick=False):
        intent_id = captured_intent(api)
        export = _export(api, django_capture_on_commit_callbacks)
        content = _download(anon_api, export["download_url"])
    assert (export["status"], export["row_count"], export["type"], export["format"]) == (
        "succeeded", 1, "balance_transactions", "csv"
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(content)))
    txn = BalanceTransaction.objects.get()
    assert rows == [
        {
            "id": txn.public_id, "created_at": txn.created_at.isoformat(), "type": "charge", "amount": "5000",
            "fee": "175", "net": "4825", "currency": "USD", "available_on": "2026-11-26", "source_type": "payment",
            "source_id": intent_id, "payout_id": "",
        }
    ]  # fmt: skip


def test_payments_and_events_as_json_lines(api, anon_api, django_capture_on_commit_callbacks):
    with time_machine.travel("2026-11-24 10:00Z", tick=False):
        intent_id = captured_intent(api)
        payments = _export(api, django_capture_on_commit_callbacks, type="payments", format="jsonl")
        events = _export(api, django_capture_on_commit_callbacks, type="events", format="jsonl")
        payment_lines = _download(anon_api, payments["download_url"])
        event_lines = _download(anon_api, events["download_url"])
    lines = [json.loads(line) for line in payment_lines.splitlines()]
    assert [(p["id"], p["status"], p["amount_captured"], p["card_last4"]) for p in lines] == [
        (intent_id, "succeeded", 5000, "4242")  # the API's word for it, not the stored state
    ]
    types = [json.loads(line)["type"] for line in event_lines.splitlines()]
    assert "payment.succeeded" in types and "checkout.created" in types


def test_failed_sessions_export(api, anon_api, django_capture_on_commit_callbacks):
    from tests.checkout.finalize_helpers import ready_session, session_url

    with time_machine.travel("2026-11-24 10:00Z", tick=False):
        canceled = ready_session(api)["checkout_id"]
        ok(api.delete(session_url(canceled)))
        ready_session(api)  # still open: not a failure
        export = _export(api, django_capture_on_commit_callbacks, type="failed_sessions")
        rows = list(csv.DictReader(io.StringIO(_download(anon_api, export["download_url"]))))
    assert [(r["checkout_id"], r["status"]) for r in rows] == [(canceled, "canceled")]


def test_the_link_is_signed_expires_and_is_the_merchants_only(
    api, other_api, anon_api, settings, django_capture_on_commit_callbacks
):
    settings.LEDGER_EXPORT_LINK_SECONDS = 60
    export = _export(api, django_capture_on_commit_callbacks)
    url = export["download_url"]
    assert anon_api.get(url.replace("token=", "token=x")).status_code == 404
    assert anon_api.get(url.split("?")[0]).status_code == 404
    assert other_api.get(f"{V1}/exports/{export['id']}").status_code == 404
    with time_machine.travel(timezone.now().timestamp() + 120):
        assert anon_api.get(url).status_code == 404


def test_bad_requests_are_400s(api):
    for body in (
        {"type": "cards", "from": "2026-11-01", "to": "2026-11-02"},
        {"type": "payments", "from": "2026-11-03", "to": "2026-11-02"},
        {"type": "payments", "from": "2024-01-01", "to": "2026-11-02"},
        {"type": "payments", "from": "2026-11-01", "to": "2026-11-02", "format": "xlsx"},
        {"type": "payments", "from": "2026-11-01", "to": "2026-11-02", "extra": 1},
        {"type": "payments"},
    ):
        response = api.post(f"{V1}/exports", body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert not Export.objects.exists()


def test_the_task_run_twice_builds_once(api, django_capture_on_commit_callbacks):
    export = _export(api, django_capture_on_commit_callbacks)
    stored = Export.objects.get(public_id=export["id"])
    assert export_build(export_pk=stored.pk) == "done already"
    stored.refresh_from_db()
    assert stored.file_name == Export.objects.get(pk=stored.pk).file_name


def test_the_rows_are_streamed_not_loaded(api, django_capture_on_commit_callbacks, monkeypatch):
    """Memory stays flat: the rows come through QuerySet.iterator in chunks, written as they come."""
    from ledger.services import exports

    seen = []
    original = exports.CHUNK
    monkeypatch.setattr(exports, "CHUNK", 2)

    def spy(self, chunk_size=None):
        seen.append(chunk_size)
        return iter_original(self, chunk_size=chunk_size)

    from django.db.models.query import QuerySet

    iter_original = QuerySet.iterator
    monkeypatch.setattr(QuerySet, "iterator", spy)
    _export(api, django_capture_on_commit_callbacks, type="events")
    assert seen == [2] and original == 2000
