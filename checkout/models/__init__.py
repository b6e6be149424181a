from checkout.models.fulfillment import (
    LocationStock,
    ReservationAllocation,
    ShipmentPlan,
    StockLocation,
)
from checkout.models.inventory import Reservation, ReservationLine, StockItem, StockMovement
from checkout.models.order import FinalizationJob, Order
from checkout.models.pricing import Calculation, Promotion, TaxRate
from checkout.models.session import Address, CartLine, CheckoutSession, SessionEvent
from checkout.models.shipping import PickupLocation, ShippingRate
from checkout.models.wallet import SessionWalletItem

__all__ = [
    "Address",
    "Calculation",
    "CartLine",
    "CheckoutSession",
    "FinalizationJob",
    "LocationStock",
    "Order",
    "PickupLocation",
    "Promotion",
    "Reservation",
    "ReservationAllocation",
    "ReservationLine",
    "SessionEvent",
    "SessionWalletItem",
    "ShipmentPlan",
    "ShippingRate",
    "StockItem",
    "StockLocation",
    "StockMovement",
    "TaxRate",
]
