"""Gift cards and store credit by API: issue, read, ledger, disable, grant."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from merchants.models import Event
from payments.wallet.models import GiftCard, GiftCardTransaction, StoreCreditAccount
from tests.payments.helpers import V1, ok
from tests.wallet.helpers import assert_ledgers_balance, grant, issue

pytestmark = pytest.mark.django_db


def test_issue_shows_the_code_once_and_stores_only_its_keyed_hash(api):
    card = issue(api, 5000)
    assert card["code"] and card["current_balance"] == 5000 and card["status"] == "active"
    plain = card["code"].replace("-", "")
    assert card["last4"] == plain[-4:]
    stored = GiftCard.objects.get(public_id=card["id"])
    assert plain not in stored.code_hmac and len(stored.code_hmac) == 64
    again = ok(api.get(f"{V1}/gift-cards/{card['id']}"))
    assert "code" not in again and again["current_balance"] == 5000
    ledger = ok(api.get(f"{V1}/gift-cards/{card['id']}/transactions"))["data"]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in ledger] == [("issue", 5000, 5000)]
    assert Event.objects.filter(merchant=api.merchant, type="gift_card.issued").count() == 1
    assert_ledgers_balance()


def test_merchant_chosen_code_is_unique_per_merchant(api, other_api):
    issue(api, 1000, code="summer-2026-gift")
    duplicate = api.post(
        f"{V1}/gift-cards", {"initial_balance": 10, "currency": "USD", "code": "SUMMER2026GIFT"}, format="json"
    )
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "gift_card_code_taken"
    # Another merchant may use the same code: nothing tells it the code exists elsewhere.
    issue(other_api, 1000, code="summer-2026-gift")


@pytest.mark.parametrize(
    "body, param",
    [
        ({"initial_balance": 0, "currency": "USD"}, "initial_balance"),
        ({"initial_balance": -5, "currency": "USD"}, "initial_balance"),
        ({"initial_balance": 10.5, "currency": "USD"}, "initial_balance"),
        ({"initial_balance": 100, "currency": "XXX"}, "currency"),
        ({"initial_balance": 100, "currency": "USD", "code": "short"}, "code"),
        ({"initial_balance": 100, "currency": "USD", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"initial_balance": 100, "currency": "USD", "colour": "red"}, "colour"),
    ],
)
def test_bad_issue_input_is_a_400_and_writes_nothing(api, body, param):
    response = api.post(f"{V1}/gift-cards", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    assert not GiftCard.objects.exists()


def test_disable_is_idempotent_and_keeps_the_balance(api):
    card = issue(api, 700)
    first = ok(api.post(f"{V1}/gift-cards/{card['id']}/disable", {"reason": "lost"}, format="json"))
    second = ok(api.post(f"{V1}/gift-cards/{card['id']}/disable", {}, format="json"))
    assert first["status"] == second["status"] == "disabled"
    assert second["current_balance"] == 700


def test_issue_honours_idempotency_key(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "issue-1"}
    body = {"initial_balance": 900, "currency": "USD"}
    first = api.post(f"{V1}/gift-cards", body, format="json", **headers)
    second = api.post(f"{V1}/gift-cards", body, format="json", **headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert GiftCard.objects.count() == 1


def test_expired_card_reads_as_expired(api):
    card = issue(api, 100, expires_at=(timezone.now() + timedelta(days=1)).isoformat())
    assert card["expires_at"].endswith("Z") and card["created_at"].endswith("Z")
    GiftCard.objects.filter(public_id=card["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ok(api.get(f"{V1}/gift-cards/{card['id']}"))["status"] == "expired"


def test_another_merchants_gift_card_is_not_found(api, other_api):
    card = issue(api, 100)
    for url in (f"{V1}/gift-cards/{card['id']}", f"{V1}/gift-cards/{card['id']}/transactions"):
        assert other_api.get(url).status_code == 404
    response = other_api.post(f"{V1}/gift-cards/{card['id']}/disable", {}, format="json")
    assert response.status_code == 404
    assert GiftCard.objects.get(public_id=card["id"]).status == "active"


def test_store_credit_grants_add_up_per_customer_and_currency(api):
    grant(api, 1000)
    account = grant(api, 250)
    assert account["balance"] == 1250 and account["customer_id"] == "cust_1"
    assert StoreCreditAccount.objects.get(public_id=account["id"]).ledger.count() == 2
    bad = api.post(f"{V1}/customers/cust_1/store-credit", {"amount": 0, "currency": "USD"}, format="json")
    assert bad.status_code == 400
    assert_ledgers_balance()


@pytest.mark.django_db(transaction=True)
def test_database_refuses_a_balance_that_is_not_its_ledger(api):
    card = issue(api, 1000)
    with pytest.raises(IntegrityError) if connection.vendor != "postgresql" else pytest.raises(Exception) as caught:
        with transaction.atomic():
            GiftCard.objects.filter(public_id=card["id"]).update(current_balance=5000)
    assert "ledger" in str(caught.value)
    entry = GiftCardTransaction.objects.get(gift_card__public_id=card["id"])
    with pytest.raises(Exception) as caught:
        with transaction.atomic():
            GiftCardTransaction.objects.filter(pk=entry.pk).update(amount=1)
    assert "append-only" in str(caught.value)
    assert GiftCard.objects.get(public_id=card["id"]).current_balance == 1000
