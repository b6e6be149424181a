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
    "Order",
    "PickupLocation",
    "Promotion",
    "Reservation",
    "ReservationLine",
    "SessionEvent",
    "SessionWalletItem",
    "ShippingRate",
    "StockItem",
    "StockMovement",
    "TaxRate",
]
