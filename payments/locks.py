"""The only place payments builds select_for_update querysets.

Order when several rows are locked: session → order → payment → refund, by primary key.
Payments never locks a session: the apps above it lock theirs first, then call in.
"""

from core.exceptions import NotFound
from payments.models import PaymentTransaction


def _locked():
    return PaymentTransaction.objects.select_for_update(of=("self",)).select_related("merchant", "payment_method")


def lock_payment(*, merchant_id: int, payment_intent_id: str) -> PaymentTransaction:
    """Locks the merchant's payment for the rest of the transaction, or 404s (another
    merchant's payment is indistinguishable from a missing one)."""
    payment = _locked().filter(merchant_id=merchant_id, public_id=payment_intent_id).first()
    if payment is None:
        raise NotFound("No such payment intent.", param="id")
    return payment


def lock_payment_by_pk(pk: int) -> PaymentTransaction:
    return _locked().get(pk=pk)


def lock_next_due(queryset) -> PaymentTransaction | None:
    """The first row of `queryset` nobody else holds: lets several workers sweep at once."""
    return queryset.select_for_update(skip_locked=True, of=("self",)).select_related("merchant").first()


def lock_gift_cards(pks) -> dict:
    """Locks gift cards by primary key, in key order (so two splits sharing cards cannot
    deadlock); returns them by pk."""
    from payments.wallet.models import GiftCard

    return {card.pk: card for card in GiftCard.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk")}


def lock_store_credit(pks) -> dict:
    """Locks store-credit accounts by primary key, in key order (after any gift cards)."""
    from payments.wallet.models import StoreCreditAccount

    return {
        account.pk: account
        for account in StoreCreditAccount.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk")
    }


def lock_split(pk: int):
    from payments.wallet.models import SplitPayment

    return SplitPayment.objects.select_for_update().get(pk=pk)
