"""Recording balance transactions, in the caller's transaction.

Payments tells the ledger of each movement through its money listeners
(`payments.hooks.money_moved`), inside the transaction that moves the money; the apps
above payments call `balance_transaction_record` (or `installment_record`) directly,
inside theirs. Either way the row commits or rolls back with the movement, and a
repeated `key` records nothing twice.
"""

from datetime import date

from django.utils import timezone

from core.rows import SkipExisting, insert_rows, rows_are_held, rows_write
from ledger.models import BalanceTransaction
from ledger.pricing import add_business_days, card_fee, pricing_for
from payments import hooks

Type = BalanceTransaction.Type
# The unique constraint a replay of a movement meets (balance_txn_key_unique).
_KEY = ("merchant", "key")

# A movement's kind → (type, source, cash, priced how)
_KINDS = {
    hooks.CHARGE: (Type.CHARGE, BalanceTransaction.Source.PAYMENT, True),
    hooks.REFUND: (Type.REFUND, BalanceTransaction.Source.REFUND, True),
    hooks.DISPUTE: (Type.DISPUTE, BalanceTransaction.Source.DISPUTE, True),
    hooks.DISPUTE_REVERSAL: (Type.DISPUTE_REVERSAL, BalanceTransaction.Source.DISPUTE, True),
    hooks.GIFT_CARD: (Type.GIFT_CARD, BalanceTransaction.Source.SPLIT_PART, False),
    hooks.STORE_CREDIT: (Type.STORE_CREDIT, BalanceTransaction.Source.SPLIT_PART, False),
    hooks.INSTALLMENT: (Type.INSTALLMENT, BalanceTransaction.Source.INSTALLMENT, True),
    # Paid into the merchant's own account (its IBAN): revenue, but never the platform's
    # money, so no fee and no payout, as Stripe books a payment made outside its balance.
    hooks.BANK_TRANSFER: (Type.CHARGE, BalanceTransaction.Source.PAYMENT, False),
    # Its refund leaves the same account by the merchant's own outgoing transfer.
    hooks.BANK_TRANSFER_REFUND: (Type.REFUND, BalanceTransaction.Source.REFUND, False),
}


def _fee(type: str, merchant_id: int, amount: int) -> int:
    """The platform's fee from the merchant's pricing. Refunds return no fee; a dispute
    costs its fee whether won or lost; a dispute won returns only the disputed money."""
    if type in (Type.CHARGE, Type.INSTALLMENT) and amount > 0:
        return card_fee(pricing_for(merchant_id), amount)
    if type == Type.DISPUTE:
        return pricing_for(merchant_id).dispute_fee
    return 0


def _available_on(type: str, merchant_id: int, amount: int, today: date) -> date:
    # Money in waits the settlement delay; money out is taken at once (Stripe does the
    # same), so a payout can never pay out what a refund has already given back.
    if amount > 0 and type in (Type.CHARGE, Type.INSTALLMENT, Type.DISPUTE_REVERSAL):
        return add_business_days(today, pricing_for(merchant_id).payout_delay_days)
    return today


def balance_transaction_record(
    *,
    merchant_id: int,
    type: str,
    amount: int,
    currency: str,
    key: str,
    source_type: str,
    source_id: str,
    payment_pk: int | None = None,
    fee: int | None = None,
    cash: bool = True,
    gateway: str = "",
    gateway_reference: str = "",
    description: str = "",
    available_on: date | None = None,
) -> BalanceTransaction | None:
    """Appends one balance transaction in the caller's open transaction.

    `amount` is signed from the merchant's side (money in positive); `fee` None prices it
    from the merchant's pricing. A `key` already recorded writes nothing (the INSERT skips
    it: ON CONFLICT on the merchant's unique key, so neither a replay nor a concurrent
    writer makes a second row) and returns the row recorded under it. Returns None for a
    movement of nothing at no cost. Inside a core.rows.rows_held block (the payment's
    record of a capture) the row goes with the block's other rows at its end, and the
    unsaved instance is returned.
    """
    if fee is None:
        fee = _fee(type, merchant_id, amount) if cash else 0
    if amount == 0 and fee == 0:
        return None
    today = timezone.localdate()
    row = BalanceTransaction(
        merchant_id=merchant_id,
        type=type,
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency=currency,
        cash=cash,
        # Value the merchant already holds waits for no settlement.
        available_on=available_on or (_available_on(type, merchant_id, amount, today) if cash else today),
        source_type=source_type,
        source_id=source_id,
        payment_id=payment_pk,
        key=key,
        gateway=gateway,
        gateway_reference=gateway_reference,
        description=description[:200],
    )
    if rows_are_held():
        rows_write(SkipExisting([row], unique=_KEY))
        return row
    insert_rows(SkipExisting([row], unique=_KEY))
    if row.pk is None:
        return BalanceTransaction.objects.filter(merchant_id=merchant_id, key=key).first()
    return row


def installment_record(
    *, merchant_id: int, installment_id: str, amount: int, currency: str, payment_pk: int | None = None, gateway=""
) -> BalanceTransaction | None:
    """A BNPL installment collected (`amount` > 0) or given back (< 0): call it inside the
    transaction that marks the installment paid or refunded, with its row locked. Priced
    as a card charge; refunds return no fee."""
    kind = "collected" if amount > 0 else "returned"
    return balance_transaction_record(
        merchant_id=merchant_id,
        type=Type.INSTALLMENT,
        amount=amount,
        currency=currency,
        key=f"installment:{installment_id}:{kind}",
        source_type=BalanceTransaction.Source.INSTALLMENT,
        source_id=installment_id,
        payment_pk=payment_pk,
        gateway=gateway,
    )


def balance_transaction_from_movement(movement: hooks.MoneyMovement) -> BalanceTransaction | None:
    """Payments' money listener: runs inside the moving transaction."""
    type, source, cash = _KINDS[movement.kind]
    return balance_transaction_record(
        merchant_id=movement.merchant_id,
        type=type,
        amount=movement.amount,
        currency=movement.currency,
        key=movement.key,
        source_type=source,
        source_id=movement.source_id,
        payment_pk=movement.payment_pk,
        fee=movement.fee,
        cash=cash,
        gateway=movement.gateway,
        description=movement.description,
    )
