"""POST /reconciliation/statements and GET /reconciliation/statements/{id}."""

import uuid

import pytest

from reconciliation.models import Statement, StatementLine
from tests.concurrency import run_together
from tests.reconciliation.helpers import DAY, V1, completed_refund, line, settled_payment, statement_file, upload

pytestmark = pytest.mark.django_db


def test_upload_imports_and_matches_and_answers_with_the_lines(api, merchant):
    payment = settled_payment(merchant, 5000)
    refund = completed_refund(merchant, payment, 1200)
    content = statement_file([line(5000, payment.public_id), line(-1200, refund.public_id), line(-250, "",
                              remittance="Account fee")])  # fmt: skip
    response = upload(api, content)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["object"] == "statement" and body["format"] == "camt053"
    assert body["line_count"] == body["imported_count"] == 3
    assert response["Location"].endswith(f"/v1/checkout/reconciliation/statements/{body['id']}")

    detail = api.get(f"{V1}/reconciliation/statements/{body['id']}").json()
    assert detail["states"] == {"unmatched": 1, "in_review": 0, "matched": 2}
    assert [(item["state"], item["match"]) for item in detail["lines"]] == [
        ("matched", {"type": "payment", "id": payment.public_id, "automatic": True}),
        ("matched", {"type": "refund", "id": refund.public_id, "automatic": True}),
        ("unmatched", None),
    ]


def test_the_same_file_twice_imports_nothing_new(api, merchant):
    content = statement_file([line(700, "x-1"), line(800, "x-2")])
    first = upload(api, content)
    again = upload(api, content)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert StatementLine.objects.filter(merchant=merchant).count() == 2


def test_a_later_file_overlapping_an_earlier_one_adds_only_the_new_lines(api, merchant):
    upload(api, statement_file([line(700, "x-1", bank_reference="B1")], format="mt940"), name="a.sta")
    response = upload(
        api, statement_file([line(700, "x-1", bank_reference="B1"), line(900, "x-3", bank_reference="B3")],
                            format="mt940"), name="b.sta",
    )  # fmt: skip
    assert response.status_code == 201
    assert (response.json()["line_count"], response.json()["imported_count"]) == (2, 1)
    assert StatementLine.objects.filter(merchant=merchant).count() == 2


def test_a_line_the_bank_booked_twice_in_one_file_is_kept_twice(api, merchant):
    payment = settled_payment(merchant, 5000)
    body = upload(api, statement_file([line(5000, payment.public_id)] * 2)).json()
    lines = api.get(f"{V1}/reconciliation/statements/{body['id']}").json()["lines"]
    assert [item["state"] for item in lines] == ["matched", "in_review"]
    assert "already matched" in lines[1]["review_reason"]
    assert lines[1]["suggestions"][0]["id"] == payment.public_id


def test_csv_with_a_mapping_given_in_the_upload(api, merchant):
    payment = settled_payment(merchant, 1999, currency="EUR")
    content = f"Datum;Betrag;Zweck\n20.11.2026;19,99;{payment.public_id}\n".encode()
    mapping = '{"date": "Datum", "amount": "Betrag", "reference": "Zweck", "currency_value": "EUR", ' \
              '"date_format": "%d.%m.%Y"}'  # fmt: skip
    response = upload(api, content, name="bank.csv", format="csv", csv_mapping=mapping)
    assert response.status_code == 201, response.content
    assert response.json()["lines"][0]["state"] == "matched"


@pytest.mark.parametrize(
    "content,fields,param",
    [
        (b"<Document", {}, None),
        (b"   ", {}, "file"),
        (b"a,b\n1,2\n", {"format": "csv", "csv_mapping": '{"date": "a"}'}, "csv_mapping"),
        (b"a,b\n1,2\n", {"format": "csv", "csv_mapping": '["a"]'}, "csv_mapping"),
        (b"a,b\n1,2\n", {"format": "pdf"}, "format"),
    ],
)
def test_bad_files_are_a_400_in_the_envelope_and_write_nothing(api, merchant, content, fields, param):
    response = upload(api, content, **fields)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["param"] == param
    assert not Statement.objects.exists()


def test_another_merchants_statement_is_not_found(api, other_api):
    body = upload(api, statement_file([line(700, "x-1")])).json()
    response = other_api.get(f"{V1}/reconciliation/statements/{body['id']}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


def test_lines_page_through_positions(api):
    body = upload(api, statement_file([line(100 + n, f"r-{n}") for n in range(5)])).json()
    page = api.get(f"{V1}/reconciliation/statements/{body['id']}?limit=2&lines_after=2").json()
    assert [item["position"] for item in page["lines"]] == [3, 4]
    assert page["has_more"] is True


def test_an_idempotency_key_replays_the_first_answer(api):
    key = str(uuid.uuid4())
    content = statement_file([line(700, "x-1")])
    first = api.post(f"{V1}/reconciliation/statements", {"file": _file(content)}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY=key)  # fmt: skip
    again = api.post(f"{V1}/reconciliation/statements", {"file": _file(content)}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY=key)  # fmt: skip
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def _file(content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("s.xml", content)


@pytest.mark.django_db(transaction=True)
def test_the_same_file_uploaded_at_once_is_one_statement(api, merchant):
    content = statement_file([line(700 + n, f"x-{n}") for n in range(50)])
    results = run_together(4, lambda i: upload(api, content).status_code)
    assert sorted(results) == [200, 200, 200, 201] or sorted(results).count(201) == 1, results
    assert Statement.objects.filter(merchant=merchant).count() == 1
    assert StatementLine.objects.filter(merchant=merchant).count() == 50


def test_a_days_report_counts_the_callers_own_lines_only(api, other_api):
    upload(api, statement_file([line(4321, "NOBODY-KNOWS")]))
    day = DAY.isoformat()
    ours = api.get(f"{V1}/reconciliation/reports/{day}").json()
    theirs = other_api.get(f"{V1}/reconciliation/reports/{day}").json()
    assert "4321" in str(ours) and "4321" not in str(theirs)
