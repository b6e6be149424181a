"""The checkout API. Created resources name their location (a 201's Location header)."""

from core.api.views import register_created_location

register_created_location("checkout.reservation", id_field="reservation_id", path="/v1/checkout/reservations/{}")
# A finalization that creates the order answers 201: the order is the new resource.
register_created_location("checkout.finalization", id_field="order_id", path="/v1/checkout/orders/{}")
