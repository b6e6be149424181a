"""The refunds API. Created resources name their location (a 201's Location header)."""

from core.api.views import register_created_location

register_created_location("refund", id_field="id", path="/v1/checkout/refunds/{}")
