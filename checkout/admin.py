from django import forms
from django.contrib import admin
from django_countries import countries

import checkout.fulfillment_admin  # noqa: F401  (registers the stock location and shipment plan admins)
import checkout.inventory_admin  # noqa: F401  (registers the stock ledger and reservation admins)
import checkout.order_admin  # noqa: F401  (registers the order and finalization job admins)
import checkout.session_admin  # noqa: F401  (registers the session, calculation, promotion and tax admins)
from checkout.models import PickupLocation, ShippingRate
from core import admin_kit
from core.money import is_currency

# Rate tables and pickup points are merchant configuration, not state that moves money:
# staff edit the rows directly, and the forms hold the same rules the API relies on.


class ShippingRateForm(forms.ModelForm):
    class Meta:
        model = ShippingRate
        fields = [
            "merchant", "name", "carrier", "service_code", "countries", "currency", "amount",
            "min_subtotal", "max_subtotal", "min_weight_grams", "max_weight_grams",
            "min_delivery_days", "max_delivery_days", "tax_code", "is_active",
        ]  # fmt: skip
        help_texts = {
            "min_subtotal": "Minor units, inclusive; bands are [min, max).",
            "max_subtotal": "Minor units, exclusive.",
            "min_weight_grams": "Inclusive.",
            "max_weight_grams": "Exclusive.",
        }

    def clean_countries(self):
        value = self.cleaned_data["countries"]
        if not isinstance(value, list):
            raise forms.ValidationError(
                'A JSON list of ISO 3166-1 alpha-2 codes, e.g. ["US", "CA"]; [] ships anywhere.'
            )
        codes = [str(code).strip().upper() for code in value]
        unknown = [code for code in codes if len(code) != 2 or code not in countries]
        if unknown:
            raise forms.ValidationError(f"Not ISO 3166-1 alpha-2 codes: {', '.join(unknown)}")
        return codes

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if not is_currency(value):
            raise forms.ValidationError("Not an ISO 4217 currency code.")
        return value

    def clean(self):
        data = super().clean()
        for low, high in (("min_subtotal", "max_subtotal"), ("min_weight_grams", "max_weight_grams"),
                          ("min_delivery_days", "max_delivery_days")):  # fmt: skip
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, "Must not be below the minimum.")
        return data


@admin.register(ShippingRate)
class ShippingRateAdmin(admin_kit.ModelAdmin):
    form = ShippingRateForm
    list_display = ("name", "merchant", "carrier", "service_code", "amount", "currency", "countries", "is_active")
    list_filter = ("is_active", ("merchant", admin.RelatedOnlyFieldListFilter), "carrier", "currency")
    list_select_related = ("merchant",)
    raw_id_fields = ("merchant",)
    search_fields = ("name", "carrier", "service_code", "public_id", "merchant__name", "merchant__public_id")
    readonly_fields = ("public_id",)
    show_full_result_count = False


class PickupLocationForm(forms.ModelForm):
    class Meta:
        model = PickupLocation
        fields = ["merchant", "name", "line1", "city", "postal_code", "country", "opening_hours", "is_active"]

    def clean_country(self):
        value = self.cleaned_data["country"].strip().upper()
        if value not in countries:
            raise forms.ValidationError("Not an ISO 3166-1 alpha-2 country code.")
        return value


@admin.register(PickupLocation)
class PickupLocationAdmin(admin_kit.ModelAdmin):
    form = PickupLocationForm
    list_display = ("name", "merchant", "city", "postal_code", "country", "is_active")
    list_filter = ("is_active", ("merchant", admin.RelatedOnlyFieldListFilter), "country")
    list_select_related = ("merchant",)
    raw_id_fields = ("merchant",)
    search_fields = ("name", "city", "postal_code", "public_id", "merchant__name", "merchant__public_id")
    readonly_fields = ("public_id",)
    show_full_result_count = False
