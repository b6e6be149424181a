"""The merchant's stock ledger: loading and adjusting on_hand, and the commit decrement.

Every change writes a StockMovement row in the same transaction. Rows are locked in sku
order (checkout.locks.lock_stock_items), the order every other inventory path uses.
"""

from django.db import transaction

from checkout.locks import lock_stock_items
from checkout.models import StockItem, StockMovement
from core.exceptions import Conflict, NotFound


def stock_apply(item: StockItem, *, delta: int, reason: str, actor: str, reference: str = "") -> StockItem:
    """Moves a locked row's on_hand by delta and records the movement.

    Callers hold the row's lock (lock_stock_items) inside their transaction.
    """
    item.on_hand += delta
    item.save(update_fields=["on_hand", "updated_at"])
    StockMovement.objects.create(
        stock_item=item, reason=reason, delta=delta, on_hand_after=item.on_hand, reference=reference, actor=actor
    )
    return item


def stock_rows_ensure(*, merchant_id: int, skus: list[str]) -> dict[str, StockItem]:
    """The ledger rows of these SKUs, created at 0 where missing, locked in sku order."""
    # Inserted in sku order with ON CONFLICT DO NOTHING: two loads creating the same new
    # SKUs wait on each other's unique-index entries in the same order, so they queue.
    # A fresh row shows 0 only inside this transaction; others see it once it is set.
    StockItem.objects.bulk_create(
        [StockItem(merchant_id=merchant_id, sku=sku, on_hand=0) for sku in sorted(skus)], ignore_conflicts=True
    )
    return lock_stock_items(merchant_id=merchant_id, skus=skus)


def stock_set(*, merchant_id: int, items: list[dict], actor: str) -> list[StockItem]:
    """Sets on_hand absolutely for each {sku, on_hand}, creating rows for new SKUs.

    Locks the SKUs' rows in sku order. SKUs must be distinct (the API checks). Setting
    less than is currently held is allowed: the merchant's count is the truth, and the
    holds already granted are still honoured at commit (see StockItem.on_hand).
    """
    wanted = {item["sku"]: item["on_hand"] for item in items}
    with transaction.atomic():
        rows = stock_rows_ensure(merchant_id=merchant_id, skus=list(wanted))
        for sku in sorted(wanted):
            # Recorded even when nothing moves: a count that confirms the ledger is a fact too.
            stock_apply(rows[sku], delta=wanted[sku] - rows[sku].on_hand, reason=StockMovement.Reason.SET, actor=actor)
    return [rows[sku] for sku in sorted(wanted)]


def stock_adjust(*, merchant_id: int, sku: str, delta: int, actor: str) -> StockItem:
    """Adds delta to on_hand (negative to remove) of a SKU already in the ledger.

    An unknown SKU is 404, not created: it is untracked (unlimited) until loaded with
    stock_set, and turning "unlimited" into "delta" is not what an adjustment means.
    Raises Conflict `stock_would_go_negative` (409) when the result would be below zero.
    """
    with transaction.atomic():
        row = lock_stock_items(merchant_id=merchant_id, skus=[sku]).get(sku)
        if row is None:
            raise NotFound("This SKU has no stock record; load it with POST /inventory first.", param="sku")
        if row.on_hand + delta < 0:
            raise Conflict(
                f"{sku} has {row.on_hand} on hand; removing {-delta} would take it below zero.",
                code="stock_would_go_negative",
                param="delta",
            )
        return stock_apply(row, delta=delta, reason=StockMovement.Reason.ADJUST, actor=actor)
