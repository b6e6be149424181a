"""Back office for sessions, their calculations, promotions and tax rates.

Imported by checkout/admin.py. Sessions and calculations are read-only: a session's
state moves only through its services (the cancel action calls session_cancel), and a
calculation is an immutable snapshot. Promotions and tax rates are merchant
configuration that staff may edit; `times_redeemed` moves only through promotion_redeem.
"""

from django import forms
from django.contrib import admin, messages
from django_countries import countries

from checkout.models import Address, Calculation, CartLine, CheckoutSession, Promotion, SessionEvent, TaxRate
from checkout.selectors import sessions_stuck_closing
from checkout.services.remediation import session_retry_finalization, session_support_note_add
from checkout.services.sessions import session_cancel
from core import admin_kit
from core.backoffice.display import merchant_name
from core.backoffice.support import SupportNotesMixin, staff_actor, staff_author
from core.exceptions import DomainError
from core.money import format_minor as _money
from core.money import is_currency


class _ReadOnlyInline(admin_kit.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CartLineInline(_ReadOnlyInline):
    model = CartLine
    fields = ("position", "sku", "name", "quantity", "unit_amount", "tax_code", "requires_shipping", "weight_grams")
    readonly_fields = fields


class AddressInline(_ReadOnlyInline):
    model = Address
    verbose_name_plural = "addresses"
    fields = ("kind", "name", "line1", "city", "postal_code", "country", "validation_status")
    readonly_fields = fields


class SessionEventInline(_ReadOnlyInline):
    model = SessionEvent
    verbose_name_plural = "timeline"
    fields = ("created_at", "type", "from_status", "to_status", "actor", "data")
    readonly_fields = fields
    ordering = ("id",)


class StuckClosingFilter(admin.SimpleListFilter):
    """The dashboard's queue: sessions whose money has been on its way back too long."""

    title = "closing"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("closing", "Stuck closing")]

    def queryset(self, request, queryset):
        if self.value() == "closing":
            return queryset.filter(pk__in=sessions_stuck_closing().values("pk"))
        return queryset


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(SupportNotesMixin, admin_kit.ModelAdmin):
    support_note_object_type = "checkout_session"
    list_display = ("status", "failure_code", "grand_total", "public_id", merchant_name, "customer_email", "created_at")
    list_filter = (StuckClosingFilter, "status", "failure_code", "merchant", "created_at")
    search_fields = ("public_id", "cart_id")
    list_select_related = ("merchant", "current_calculation")
    raw_id_fields = ("merchant", "selected_shipping_rate", "pickup_location", "current_calculation")
    show_full_result_count = False
    inlines = [CartLineInline, AddressInline, SessionEventInline]
    actions = ["cancel_sessions", "retry_finalization"]
    fieldsets = [
        (
            None,
            {
                "fields": (
                    "public_id",
                    "merchant",
                    "status",
                    "status_reason",
                    "failure_code",
                    "failed_at",
                    "channel",
                    "cart_id",
                    "owner_type",
                    "owner_id",
                )
            },
        ),  # fmt: skip
        (
            "Totals",
            {
                "fields": (
                    "current_calculation",
                    "calculation_is_current",
                    "sub_total",
                    "discount_total",
                    "tax_total",
                    "shipping_total",
                    "fee_total",
                    "grand_total",
                    "promotion_codes",
                    "pricing_version",
                )  # fmt: skip
            },
        ),
        (
            "Customer",
            {"fields": ("customer_email", "customer_name", "customer_phone", "customer_reference", "save_for_later")},
        ),
        ("Delivery", {"fields": ("selected_shipping_rate", "pickup_location", "require_billing_address")}),
        ("Payment", {"fields": ("currency", "capture_mode", "reservation_id", "payment_intent_id")}),
        (
            "Lifecycle",
            {
                "fields": (
                    "version",
                    "expires_at",
                    "approval_requested_at",
                    "approved_at",
                    "payment_deadline_at",
                    "closing_claimed_at",
                    "closing_intent_id",
                    "closing_kind",
                    "closing_from",
                    "closing_reason",
                    "created_at",
                    "updated_at",
                    "metadata",
                )  # fmt: skip
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [field for _, options in self.fieldsets for field in options["fields"]]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("merchant", "current_calculation", "selected_shipping_rate", "pickup_location")
        )

    def support_note_write(self, request, obj, note):
        session_support_note_add(
            merchant_id=obj.merchant_id, checkout_id=obj.public_id, note=note, author=staff_author(request),
            actor=staff_actor(request),
        )  # fmt: skip

    def has_add_permission(self, request):
        return False  # sessions are created by the merchant's API call

    def has_change_permission(self, request, obj=None):
        return False  # no field edits: state moves only through services (see actions)

    def has_delete_permission(self, request, obj=None):
        return False  # the timeline and calculations are the audit trail

    def has_cancel_permission(self, request):
        return request.user.has_perm("checkout.change_checkoutsession")

    @admin.action(description="Cancel the selected sessions", permissions=["cancel"])
    def cancel_sessions(self, request, queryset):
        actor = f"staff:{request.user.get_username()}"
        canceled = 0
        # One service call (and transaction) per session, so one refusal leaves the rest.
        for merchant_id, checkout_id in queryset.values_list("merchant_id", "public_id"):
            try:
                session_cancel(merchant_id=merchant_id, checkout_id=checkout_id, actor=actor)
                canceled += 1
            except DomainError as exc:
                self.message_user(request, f"{checkout_id}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Canceled {canceled} session(s).")

    @admin.action(description="Retry the finalization of the selected paid sessions", permissions=["cancel"])
    def retry_finalization(self, request, queryset):
        actor = f"staff:{request.user.get_username()}"
        done = 0
        for merchant_id, checkout_id in queryset.values_list("merchant_id", "public_id"):
            try:
                session_retry_finalization(merchant_id=merchant_id, checkout_id=checkout_id, actor=actor)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{checkout_id}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Finalized {done} session(s).")

    def _calc_amount(self, obj, name):
        calc = obj.current_calculation
        return _money(getattr(calc, name), calc.currency) if calc else "—"

    @admin.display(description="grand total")
    def grand_total(self, obj):
        return self._calc_amount(obj, "grand_total")

    @admin.display(description="sub total")
    def sub_total(self, obj):
        return self._calc_amount(obj, "sub_total")

    @admin.display(description="discount")
    def discount_total(self, obj):
        return self._calc_amount(obj, "discount_total")

    @admin.display(description="tax")
    def tax_total(self, obj):
        return self._calc_amount(obj, "tax_total")

    @admin.display(description="shipping")
    def shipping_total(self, obj):
        return self._calc_amount(obj, "shipping_total")

    @admin.display(description="fees")
    def fee_total(self, obj):
        return self._calc_amount(obj, "fee_total")


@admin.register(Calculation)
class CalculationAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "session", "pricing_version", "currency", "grand_total", "calculated_at")
    list_select_related = ("session",)
    search_fields = ("public_id", "session__public_id")
    raw_id_fields = ("session",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a snapshot a payment may name: never edited

    def has_delete_permission(self, request, obj=None):
        return False


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = [
            "merchant", "code", "kind", "percent_off_bps", "amount_off", "currency", "min_subtotal",
            "starts_at", "ends_at", "usage_limit", "is_active",
        ]  # fmt: skip

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if value and not is_currency(value):
            raise forms.ValidationError("Not an ISO 4217 currency code.")
        return value

    def clean(self):
        data = super().clean()
        if data.get("kind") == Promotion.Kind.FIXED and not data.get("currency"):
            self.add_error("currency", "A fixed discount needs the currency of its amount.")
        if data.get("starts_at") and data.get("ends_at") and data["starts_at"] >= data["ends_at"]:
            self.add_error("ends_at", "Must be after the start.")
        return data


@admin.register(Promotion)
class PromotionAdmin(admin_kit.ModelAdmin):
    form = PromotionForm
    list_display = ("code", "merchant", "kind", "percent_off_bps", "amount_off", "currency", "times_redeemed",
                    "usage_limit", "starts_at", "ends_at", "is_active")  # fmt: skip
    list_filter = ("kind", "is_active")
    list_select_related = ("merchant",)
    search_fields = ("code", "merchant__name", "merchant__public_id")
    raw_id_fields = ("merchant",)
    readonly_fields = ("times_redeemed", "created_at")
    show_full_result_count = False


class TaxRateForm(forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = ["merchant", "country", "tax_code", "name", "rate_bps"]
        help_texts = {"tax_code": "Empty: the country's standard rate, used for lines without a specific rate."}

    def clean_country(self):
        value = self.cleaned_data["country"].strip().upper()
        if value not in countries:
            raise forms.ValidationError("Not an ISO 3166-1 alpha-2 country code.")
        return value


@admin.register(TaxRate)
class TaxRateAdmin(admin_kit.ModelAdmin):
    form = TaxRateForm
    list_display = ("country", "tax_code", "name", "rate_bps", "merchant")
    list_filter = ("country",)
    list_select_related = ("merchant",)
    search_fields = ("country", "tax_code", "merchant__name", "merchant__public_id")
    raw_id_fields = ("merchant",)
    show_full_result_count = False
