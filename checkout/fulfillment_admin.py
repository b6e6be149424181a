"""Back office for stock locations and shipment plans.

Imported by checkout/admin.py. A location's details are the merchant's own and may be
edited; its stock is read here and set through the API (location_stock_set keeps the
ledger total in step). Shipment plans are a record of what a session was offered.
"""

from django.contrib.admin import register

from checkout.models import LocationStock, ShipmentPlan, StockLocation
from core.admin_kit import ModelAdmin, TabularInline


class LocationStockInline(TabularInline):
    model = LocationStock
    extra = 0
    can_delete = False
    fields = ("sku", "on_hand", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@register(StockLocation)
class StockLocationAdmin(ModelAdmin):
    list_display = ("code", "name", "kind", "country", "priority", "handling_days", "is_active", "merchant")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "public_id")
    raw_id_fields = ("merchant",)
    readonly_fields = ("public_id", "created_at")
    inlines = [LocationStockInline]


@register(ShipmentPlan)
class ShipmentPlanAdmin(ModelAdmin):
    list_display = ("public_id", "session", "status", "shipping_total", "currency", "created_at")
    list_filter = ("status",)
    search_fields = ("public_id", "session__public_id")
    list_select_related = ("session",)
    show_full_result_count = False
    readonly_fields = [f.name for f in ShipmentPlan._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
