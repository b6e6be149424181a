"""Back office for orders and asynchronous finalizations.

Imported by checkout/admin.py. Both are read-only: an order is the snapshot finalize
wrote, and a job's state moves only through its task. Undoing either goes through the
API's services (rollback, refunds), which check and audit what they do.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from checkout.models import FinalizationJob, Order
from core import admin_kit
from core.money import Money, is_currency


class _ReadOnlyAdmin(admin_kit.ModelAdmin):
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(_ReadOnlyAdmin):
    list_display = ("public_id", "merchant", "session", "total", "payment_status", "status", "created_at")
    list_filter = ("status", "payment_status", "currency", ("merchant", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("merchant", "session")
    search_fields = ("public_id", "session__public_id", "payment_intent_id", "customer__email")
    raw_id_fields = ("merchant", "session")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "receipt_link"]

    @admin.display(description="Total")
    def total(self, order):
        return Money(order.amount, order.currency).format() if is_currency(order.currency) else order.amount

    @admin.display(description="Receipt")
    def receipt_link(self, order):
        url = reverse("receipt", kwargs={"receipt_id": order.receipt_id})
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">Open the receipt</a>', url)


@admin.register(FinalizationJob)
class FinalizationJobAdmin(_ReadOnlyAdmin):
    list_display = ("public_id", "merchant", "session", "status", "order", "attempts", "created_at", "finished_at")
    list_filter = ("status", ("merchant", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("merchant", "session", "order")
    search_fields = ("public_id", "session__public_id")
    raw_id_fields = ("merchant", "session", "order")
