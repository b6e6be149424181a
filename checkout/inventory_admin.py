"""Back office for the stock ledger and the holds taken against it.

Imported by checkout/admin.py. on_hand is the merchant's own count, so staff may edit it,
but the form's save goes through stock_set (row lock, movement row), never a bare save.
Reservations are read-only; the release action calls reservation_release.
"""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from checkout.inventory_selectors import stock_with_reserved
from checkout.models import Reservation, ReservationLine, StockItem, StockMovement
from checkout.services.inventory import reservation_release
from checkout.services.stock import stock_set
from core import admin_kit
from core.exceptions import DomainError


class _ReadOnlyInline(admin_kit.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StockMovementInline(_ReadOnlyInline):
    model = StockMovement
    verbose_name_plural = "ledger"
    fields = ("created_at", "reason", "delta", "on_hand_after", "reference", "actor")
    readonly_fields = fields
    ordering = ("-id",)


class StockItemForm(forms.ModelForm):
    class Meta:
        model = StockItem
        fields = ["merchant", "sku", "on_hand"]

    def clean_on_hand(self):
        value = self.cleaned_data["on_hand"]
        if value < 0:
            raise forms.ValidationError("A count cannot be below zero.")
        return value


@admin.register(StockItem)
class StockItemAdmin(admin_kit.ModelAdmin):
    form = StockItemForm
    list_display = ("sku", "merchant", "on_hand", "reserved", "updated_at")
    list_filter = (("merchant", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("merchant",)
    raw_id_fields = ("merchant",)
    search_fields = ("sku", "merchant__name", "merchant__public_id")
    show_full_result_count = False
    inlines = [StockMovementInline]

    def get_queryset(self, request):
        return stock_with_reserved(super().get_queryset(request), now=timezone.now())

    @admin.display(description="held now")
    def reserved(self, item):
        return item.reserved

    def get_readonly_fields(self, request, obj=None):
        return ("merchant", "sku", "updated_at") if obj else ("updated_at",)

    def has_delete_permission(self, request, obj=None):
        # Deleting a row would silently make the SKU untracked (unlimited); set 0 instead.
        return False

    def save_model(self, request, obj, form, change):
        [row] = stock_set(
            merchant_id=obj.merchant_id,
            items=[{"sku": obj.sku, "on_hand": obj.on_hand}],
            actor=f"staff:{request.user.get_username()}",
        )
        obj.pk = row.pk  # the admin's log entry and redirect need it


class ReservationLineInline(_ReadOnlyInline):
    model = ReservationLine
    fields = ("sku", "quantity", "tracked")
    readonly_fields = fields


@admin.register(Reservation)
class ReservationAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "merchant", "session", "provider", "status", "expires_at", "created_at")
    list_filter = ("status", "provider")
    list_select_related = ("merchant", "session")
    raw_id_fields = ("merchant", "session")
    search_fields = ("public_id", "session__public_id")
    show_full_result_count = False
    fields = ("public_id", "merchant", "session", "provider", "status", "expires_at", "created_at", "updated_at")
    readonly_fields = fields
    inlines = [ReservationLineInline]
    actions = ["release_holds"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Release the selected holds")
    def release_holds(self, request, queryset):
        released = 0
        for reservation in queryset:
            try:
                reservation_release(
                    merchant_id=reservation.merchant_id,
                    reservation_id=reservation.public_id,
                    actor=f"staff:{request.user.get_username()}",
                )
                released += 1
            except DomainError as exc:
                self.message_user(request, f"{reservation.public_id}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Released {released} hold(s).")
