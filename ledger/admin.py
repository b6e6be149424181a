"""Back office for the ledger: read-only records (the ledger is append-only), the
merchant's pricing, and the finance dashboard (a separate admin view, linkable from
the home page: /admin/ledger/paymentanalytics/dashboard/)."""

from datetime import timedelta

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from core import admin_kit
from core.money import format_minor
from ledger import dashboard
from ledger.models import BalanceTransaction, Export, MerchantPricing, PaymentAnalytics, PaymentMethodAnalytics, Payout
from merchants.models import Merchant


class ReadOnlyAdmin(admin_kit.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BalanceTransaction)
class BalanceTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "created_at",
        "merchant",
        "type",
        "gross",
        "fee_shown",
        "net_shown",
        "available_on",
        "payout",
    )
    list_filter = ("type", "currency", "cash", "available_on")
    search_fields = ("public_id", "source_id", "gateway_reference", "payout__public_id")
    list_select_related = ("merchant", "payout")
    raw_id_fields = ("merchant", "payment", "payout")
    date_hierarchy = "created_at"

    @admin.display(description="Gross")
    def gross(self, obj):
        return format_minor(obj.amount, obj.currency)

    @admin.display(description="Fee")
    def fee_shown(self, obj):
        return format_minor(obj.fee, obj.currency)

    @admin.display(description="Net")
    def net_shown(self, obj):
        return format_minor(obj.net, obj.currency)


class PayoutRowsInline(admin_kit.TabularInline):
    model = BalanceTransaction
    fk_name = "payout"
    fields = ("public_id", "type", "amount", "fee", "net", "currency", "available_on", "source_id")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "merchant", "amount_shown", "status", "payout_date", "arrival_date", "reference")
    list_filter = ("status", "currency", "gateway")
    search_fields = ("public_id", "reference", "gateway_reference")
    list_select_related = ("merchant",)
    raw_id_fields = ("merchant",)
    inlines = [PayoutRowsInline]

    @admin.display(description="Amount")
    def amount_shown(self, obj):
        return format_minor(obj.amount, obj.currency)


@admin.register(MerchantPricing)
class MerchantPricingAdmin(admin_kit.ModelAdmin):
    list_display = ("merchant", "card_percent_bps", "card_fixed", "dispute_fee", "payout_delay_days", "payouts_enabled")
    raw_id_fields = ("merchant",)


class MethodInline(admin_kit.TabularInline):
    model = PaymentMethodAnalytics
    fields = ("payment_method_type", "transaction_count", "total_amount", "success_rate")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaymentAnalytics)
class PaymentAnalyticsAdmin(ReadOnlyAdmin):
    list_display = (
        "date", "merchant", "currency", "total_transactions", "success_rate", "total_amount", "total_refunds",
        "total_fees", "chargeback_count", "fraud_count",
    )  # fmt: skip
    list_filter = ("currency",)
    list_select_related = ("merchant",)
    date_hierarchy = "date"
    inlines = [MethodInline]

    def get_urls(self):
        view = self.admin_site.admin_view(self.dashboard_view)
        return [path("dashboard/", view, name="ledger_finance_dashboard"), *super().get_urls()]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        days = 30
        try:
            days = min(max(int(request.GET.get("days", 30)), 1), 366)
        except ValueError:
            pass
        merchant_id = request.GET.get("merchant") or None
        if merchant_id and not str(merchant_id).isdigit():
            merchant_id = None
        date_to = timezone.localdate()
        date_from = date_to - timedelta(days=days - 1)
        charts = dashboard.dashboard_charts(date_from=date_from, date_to=date_to, merchant_id=merchant_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Finance dashboard",
            "charts": charts,
            "range_totals": dashboard.range_totals(date_from=date_from, date_to=date_to, merchant_id=merchant_id),
            "date_from": date_from,
            "date_to": date_to,
            "days": days,
            "merchant_id": merchant_id,
            "merchants": Merchant.objects.order_by("name").values_list("pk", "name"),
            "payout_totals": dashboard.payout_totals(merchant_id=merchant_id),
        }
        return TemplateResponse(request, "admin/ledger/dashboard.html", context)


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "merchant", "type", "format", "date_from", "date_to", "status", "row_count")
    list_filter = ("status", "type")
    list_select_related = ("merchant",)
