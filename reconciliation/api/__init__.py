"""The reconciliation API: statements in, reports out."""

from core.api.views import register_created_location

register_created_location("statement", id_field="id", path="/v1/checkout/reconciliation/statements/{}")
