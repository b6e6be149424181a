"""Steps shared by the gift card, wallet and split payment tests."""

from django.db.models import Sum

from payments.wallet.models import GiftCard, StoreCreditAccount
from tests.payments.helpers import DIGITAL_CART, V1, ok

# How a session names its customer (the owner of type user).
OWNER = "cust_1"
OWNED_CART = {**DIGITAL_CART, "owner": {"type": "user", "id": OWNER}}


def issue(api, initial_balance=2000, currency="USD", **extra) -> dict:
    return ok(
        api.post(
            f"{V1}/gift-cards", {"initial_balance": initial_balance, "currency": currency, **extra}, format="json"
        ),
        201,
    )


def grant(api, amount=1000, customer_id=OWNER, currency="USD") -> dict:
    body = {"amount": amount, "currency": currency, "reason": "goodwill"}
    return ok(api.post(f"{V1}/customers/{customer_id}/store-credit", body, format="json"), 201)


def apply_card(api, checkout_id, code):
    return api.post(f"{V1}/sessions/{checkout_id}/apply-giftcard", {"code": code}, format="json")


def wallet(api, checkout_id) -> dict:
    return ok(api.get(f"{V1}/sessions/{checkout_id}/wallet"))


def balance(gift_card_id: str) -> int:
    return GiftCard.objects.get(public_id=gift_card_id).current_balance


def assert_ledgers_balance() -> None:
    """Every instrument's balance is the sum of its ledger (the database checks it at
    commit too; this sees what a test's open transaction holds)."""
    for card in GiftCard.objects.all():
        total = card.ledger.aggregate(total=Sum("amount"))["total"] or 0
        assert total == card.current_balance, (card.public_id, total, card.current_balance)
    for account in StoreCreditAccount.objects.all():
        total = account.ledger.aggregate(total=Sum("amount"))["total"] or 0
        assert total == account.balance, (account.customer_id, total, account.balance)
