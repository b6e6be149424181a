"""Inventory providers: whether a session's cart can be held, and taking it out of stock.

The merchant picks one with `extra_settings["inventory_provider"]` (default "ledger"):
- "ledger": the merchant's StockItem rows (loaded by API or admin). Available =
  on_hand − the quantities of the ledger's ACTIVE holds whose expires_at is ahead.
  A SKU with no StockItem row is untracked: always available, never decremented, so a
  merchant can track some SKUs (physical goods) and not others (gift wrap, downloads).
- "none": no stock tracking; every hold is granted (and still recorded, so the session's
  holds and timeline read the same whichever provider is on).

Reservations themselves (status, expiry, timeline) belong to checkout.services.inventory;
a provider only answers for stock. It is called while the session is locked, so it must
answer from the database: one that asks a warehouse API would have to call before the
transaction and be verified after, which is not built yet.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

from checkout.inventory_selectors import LEDGER, reserved_quantities
from checkout.locks import lock_stock_items
from checkout.models import StockMovement
from checkout.services.stock import stock_apply
from core.exceptions import ServiceUnavailable

DEFAULT_PROVIDER = LEDGER


@dataclass(frozen=True)
class LineAvailability:
    sku: str
    requested: int
    available: int | None  # None: not tracked, any quantity is granted

    @property
    def tracked(self) -> bool:
        return self.available is not None

    @property
    def short(self) -> bool:
        return self.available is not None and self.available < self.requested


class InventoryProvider(ABC):
    name: str

    @abstractmethod
    def check(self, *, merchant_id: int, wanted: dict[str, int], now) -> list[LineAvailability]:
        """What is available of each SKU in `wanted` ({sku: quantity}), in sku order.

        Locks whatever must hold still until the caller's transaction ends, so that the
        caller can write its hold before anyone else reads the same stock.
        """

    @abstractmethod
    def commit(self, *, merchant_id: int, quantities: dict[str, int], reference: str, actor: str) -> None:
        """Takes held quantities out of stock for good, in the caller's transaction."""


class LedgerInventoryProvider(InventoryProvider):
    name = LEDGER

    def check(self, *, merchant_id: int, wanted: dict[str, int], now) -> list[LineAvailability]:
        rows = lock_stock_items(merchant_id=merchant_id, skus=wanted)
        # Read after the locks: under READ COMMITTED this statement sees every hold that
        # was committed by whoever held the rows before us.
        held = reserved_quantities(merchant_id=merchant_id, skus=list(rows), now=now) if rows else {}
        return [
            LineAvailability(
                sku=sku,
                requested=quantity,
                available=max(rows[sku].on_hand - held.get(sku, 0), 0) if sku in rows else None,
            )
            for sku, quantity in sorted(wanted.items())
        ]

    def commit(self, *, merchant_id: int, quantities: dict[str, int], reference: str, actor: str) -> None:
        rows = lock_stock_items(merchant_id=merchant_id, skus=quantities)
        for sku in sorted(rows):
            stock_apply(
                rows[sku], delta=-quantities[sku], reason=StockMovement.Reason.COMMIT, reference=reference, actor=actor
            )


class UntrackedInventoryProvider(InventoryProvider):
    name = "none"

    def check(self, *, merchant_id: int, wanted: dict[str, int], now) -> list[LineAvailability]:
        return [LineAvailability(sku=sku, requested=qty, available=None) for sku, qty in sorted(wanted.items())]

    def commit(self, *, merchant_id: int, quantities: dict[str, int], reference: str, actor: str) -> None:
        return None


_providers: dict[str, InventoryProvider] = {}


def register_inventory_provider(provider: InventoryProvider) -> InventoryProvider:
    _providers[provider.name] = provider
    return provider


register_inventory_provider(LedgerInventoryProvider())
register_inventory_provider(UntrackedInventoryProvider())


def inventory_provider_named(name: str) -> InventoryProvider:
    provider = _providers.get(name)
    if provider is None:
        # Granting holds without the provider would oversell; refusing says what is wrong.
        raise ServiceUnavailable(
            "The inventory provider configured for this merchant is not available.",
            code="inventory_provider_unavailable",
            explain=f"unknown inventory provider {name!r}",
        )
    return provider


def inventory_provider_for(merchant) -> InventoryProvider:
    return inventory_provider_named((merchant.extra_settings or {}).get("inventory_provider", DEFAULT_PROVIDER))
