"""Back office: gift cards listed and searched by last four with their ledger; staff issue
a card (its code shown once); split parts on the payment page."""

import pytest
from django.core.cache import cache

from payments.models import PaymentTransaction
from payments.wallet.models import GiftCard
from tests.checkout.finalize_helpers import ready_session
from tests.payments.helpers import confirm, create_intent, ok, tokenize
from tests.payments.test_admin import login
from tests.wallet.helpers import apply_card, assert_ledgers_balance, issue

pytestmark = pytest.mark.django_db


def test_gift_card_list_search_and_ledger(api):
    card = issue(api, 2500)
    issue(api, 100)
    staff = login(superuser=True)
    listed = staff.get("/admin/payments/giftcard/", {"q": card["last4"]})
    assert listed.status_code == 200 and card["id"] in listed.content.decode()
    detail = staff.get(f"/admin/payments/giftcard/{GiftCard.objects.get(public_id=card['id']).pk}/change/")
    body = detail.content.decode()
    assert detail.status_code == 200 and "issue" in body and "2500" in body
    assert card["code"] not in body and card["code"].replace("-", "") not in body


def test_staff_issue_a_card_and_see_its_code_once(api):
    staff = login(superuser=True)
    response = staff.post(
        "/admin/payments/giftcard/add/",
        {
            "merchant": api.merchant.pk,
            "initial_balance": 1200,
            "currency": "USD",
            "expires_at_0": "",
            "expires_at_1": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    card = GiftCard.objects.get()
    assert card.current_balance == 1200 and card.created_by.startswith("staff:")
    assert "shown only now" in response.content.decode()
    assert_ledgers_balance()


def test_payment_page_shows_the_split_parts(api):
    cache.clear()
    session = ready_session(api)
    card = issue(api, 700)
    ok(apply_card(api, session["checkout_id"], card["code"]))
    intent = create_intent(api, session["checkout_id"])
    ok(confirm(api, intent["id"], tokenize(api)))
    staff = login(superuser=True)
    pk = PaymentTransaction.objects.get(public_id=intent["id"]).pk
    body = staff.get(f"/admin/payments/paymenttransaction/{pk}/change/").content.decode()
    assert "gift_card" in body and "$7.00" in body and "succeeded" in body


def test_bulk_issue_from_a_csv_answers_the_codes_once_all_or_nothing(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    staff = login(superuser=True)
    url = "/admin/payments/giftcard/issue-csv/"
    assert staff.get(url).status_code == 200
    good = b"initial_balance,currency,expires_at\n1000,USD,\n2500,usd,2099-01-01T00:00:00Z\n"
    response = staff.post(url, {"merchant": api.merchant.pk, "file": SimpleUploadedFile("cards.csv", good)})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    lines = response.content.decode().strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("id,code,last4")
    assert sorted(GiftCard.objects.values_list("current_balance", flat=True)) == [1000, 2500]
    bad = b"initial_balance,currency\n500,USD\n-3,USD\n"
    refused = staff.post(url, {"merchant": api.merchant.pk, "file": SimpleUploadedFile("bad.csv", bad)})
    assert refused.status_code == 200 and "Line 3" in refused.content.decode()
    assert GiftCard.objects.count() == 2  # the good row of the bad file was not issued either
    assert_ledgers_balance()
