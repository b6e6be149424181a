"""The only place the ledger builds select_for_update querysets."""

from ledger.models import BalanceTransaction, Payout


def lock_payable_rows(*, merchant_id: int, currency: str, on: "date"):  # noqa: F821
    """The cash rows of a merchant and currency available by `on` that no payout took
    yet, locked by primary key: a concurrent payout waits, then finds them taken."""
    return list(
        BalanceTransaction.objects.select_for_update()
        .filter(merchant_id=merchant_id, currency=currency, cash=True, payout__isnull=True, available_on__lte=on)
        .exclude(type=BalanceTransaction.Type.PAYOUT)
        .order_by("pk")
        .only("pk", "net")
    )


def lock_payout(payout_pk: int) -> Payout:
    return Payout.objects.select_for_update().get(pk=payout_pk)
