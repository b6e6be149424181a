"""Checkout's place in the back office: orders, sessions, stock and the shop's setup."""

from checkout.selectors import sessions_stuck_closing_count
from core.backoffice.registry import ORDERS, MenuItem, Tile, add_menu, add_tile


def register():
    add_menu(
        MenuItem(ORDERS, "Orders", model="checkout.Order", icon="receipt_long", order=10),
        MenuItem(ORDERS, "Checkout sessions", model="checkout.CheckoutSession", icon="shopping_cart", order=20),
        MenuItem(ORDERS, "Finalizations", model="checkout.FinalizationJob", icon="task_alt", order=30),
        MenuItem(ORDERS, "Stock", model="checkout.StockItem", icon="inventory_2", order=40),
        MenuItem(ORDERS, "Stock holds", model="checkout.Reservation", icon="lock_clock", order=50),
        MenuItem(ORDERS, "Shipping rates", model="checkout.ShippingRate", icon="local_shipping", order=60),
        MenuItem(ORDERS, "Pickup locations", model="checkout.PickupLocation", icon="store", order=70),
        MenuItem(ORDERS, "Promotions", model="checkout.Promotion", icon="sell", order=80),
        MenuItem(ORDERS, "Tax rates", model="checkout.TaxRate", icon="percent", order=90),
        MenuItem(ORDERS, "Calculations", model="checkout.Calculation", icon="calculate", order=100),
    )
    add_tile(
        Tile(
            key="sessions_stuck_closing",
            title="Sessions stuck closing",
            model="checkout.CheckoutSession",
            query="stuck=closing",
            count=sessions_stuck_closing_count,
            description="Money on its way back to a shopper for more than 15 minutes.",
            tone="danger",
            order=60,
        )
    )
