"""Back office for gift cards, store credit and split payments: read-mostly; balances move
only through the services (issue, disable), each with its ledger row."""

import csv
import io
import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join

from core import admin_kit
from core.exceptions import DomainError
from core.money import format_minor
from merchants.models import Merchant
from payments.wallet.models import (
    GiftCard,
    GiftCardTransaction,
    SplitPart,
    SplitPayment,
    StoreCreditAccount,
    StoreCreditTransaction,
)
from payments.wallet.services import gift_card_disable, gift_card_issue, gift_cards_issue_bulk


class _ReadOnlyInline(admin_kit.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Rows of the page's object (a card's ledger, a split's parts) have no menu of their
        # own: whoever may see the object sees them.
        return self.admin_site._registry[self.parent_model].has_view_or_change_permission(request, obj)


class GiftCardLedgerInline(_ReadOnlyInline):
    model = GiftCardTransaction
    fields = ("created_at", "kind", "amount", "balance_after", "reference", "note", "actor")
    readonly_fields = fields


class GiftCardBulkForm(forms.Form):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.order_by("name"))
    file = forms.FileField(help_text="CSV with a header: initial_balance,currency,expires_at (expires_at optional)")


class GiftCardStatusFilter(admin.SimpleListFilter):
    """Status as the API reads it: an active card past its expiry is expired."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("disabled", "Disabled")]

    def queryset(self, request, queryset):
        now = timezone.now()
        active = Q(status=GiftCard.Status.ACTIVE)
        lapsed = Q(expires_at__isnull=False, expires_at__lte=now)
        wanted = {
            "active": active & ~lapsed,
            "expired": active & lapsed,
            "disabled": Q(status=GiftCard.Status.DISABLED),
        }.get(self.value())
        return queryset.filter(wanted) if wanted is not None else queryset


class GiftCardBalanceFilter(admin.SimpleListFilter):
    title = "balance"
    parameter_name = "balance"

    def lookups(self, request, model_admin):
        return [("unused", "Unused"), ("partly", "Partly spent"), ("spent", "Spent"), ("left", "Balance left")]

    def queryset(self, request, queryset):
        wanted = {
            "unused": Q(current_balance=F("initial_balance")),
            "partly": Q(current_balance__gt=0, current_balance__lt=F("initial_balance")),
            "spent": Q(current_balance=0),
            "left": Q(current_balance__gt=0),
        }.get(self.value())
        return queryset.filter(wanted) if wanted is not None else queryset


def _searched_amount(term: str) -> int | None:
    """A search for a balance: minor units ("2500") or major units with two decimals
    ("25.00"), as the list shows them."""
    term = term.strip().lstrip("$€£")
    if re.fullmatch(r"\d{1,12}", term):
        return int(term)
    if re.fullmatch(r"\d{1,10}\.\d{2}", term):
        return int(term.replace(".", ""))
    return None


class GiftCardIssueForm(forms.ModelForm):
    """Staff issue a card: the code is generated and shown once in the confirmation."""

    class Meta:
        model = GiftCard
        fields = ("merchant", "initial_balance", "currency", "expires_at")


@admin.register(GiftCard)
class GiftCardAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "merchant", "last4", "balance_display", "status_display", "expires_at", "created_at")
    list_filter = (GiftCardStatusFilter, GiftCardBalanceFilter, "currency", "merchant")
    list_select_related = ("merchant",)
    search_fields = ("public_id", "last4")
    search_help_text = "The card's id, its last four, or a balance (2500 or 25.00)."
    show_full_result_count = False
    inlines = [GiftCardLedgerInline]
    actions = ["disable_selected"]

    @admin.display(description="Balance", ordering="current_balance")
    def balance_display(self, obj):
        return f"{format_minor(obj.current_balance, obj.currency)} of {format_minor(obj.initial_balance, obj.currency)}"

    @admin.display(description="Status")
    def status_display(self, obj):
        from payments.wallet.services import gift_card_status

        return gift_card_status(obj)

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        amount = _searched_amount(search_term)
        if amount is not None:
            found = found | queryset.filter(current_balance=amount)
        return found, may_have_duplicates

    def get_urls(self):
        extra = [
            path("issue-csv/", self.admin_site.admin_view(self.issue_csv_view), name="payments_giftcard_issue_csv")
        ]
        return extra + super().get_urls()

    def issue_csv_view(self, request):
        """Bulk issue from a CSV; the answer is a CSV of the new cards with their codes,
        the only time they are shown."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GiftCardBulkForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read(2_000_000).decode("utf-8-sig")
                rows = csv.DictReader(io.StringIO(text))
                issued = gift_cards_issue_bulk(
                    merchant_id=form.cleaned_data["merchant"].pk, rows=rows, actor=f"staff:{request.user.pk}"
                )
            except (DomainError, UnicodeDecodeError, csv.Error) as exc:
                form.add_error("file", getattr(exc, "message", "The file is not a UTF-8 CSV."))
            else:
                out = io.StringIO()
                writer = csv.writer(out)
                writer.writerow(["id", "code", "last4", "initial_balance", "currency", "expires_at"])
                for card, code in issued:
                    expiry = card.expires_at.isoformat() if card.expires_at else ""
                    writer.writerow([card.public_id, code, card.last4, card.initial_balance, card.currency, expiry])
                response = HttpResponse(out.getvalue(), content_type="text/csv")
                response["Content-Disposition"] = 'attachment; filename="gift-cards.csv"'
                response["Cache-Control"] = "no-store"
                return response
        context = {**self.admin_site.each_context(request), "form": form, "title": "Issue gift cards from a CSV"}
        return TemplateResponse(request, "admin/payments/giftcard_issue_csv.html", context)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing on a card is edited here (disable is an action, balances move by services).
        hide = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **hide})

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = GiftCardIssueForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("merchant", "initial_balance", "currency", "expires_at")
        return (
            "public_id", "merchant", "last4", "currency", "initial_balance", "current_balance", "status",
            "disabled_reason", "expires_at", "created_by", "created_at",
        )  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        card, code = gift_card_issue(
            merchant_id=obj.merchant_id,
            initial_balance=obj.initial_balance,
            currency=obj.currency,
            expires_at=obj.expires_at,
            actor=f"staff:{request.user.pk}",
        )
        obj.__dict__.update({k: v for k, v in card.__dict__.items() if not k.startswith("_")})
        messages.warning(request, f"Gift card code (shown only now): {code}")

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Disable the selected gift cards", permissions=["change"])
    def disable_selected(self, request, queryset):
        done = 0
        for card in queryset:
            try:
                gift_card_disable(
                    merchant_id=card.merchant_id, gift_card_id=card.public_id, actor=f"staff:{request.user.pk}"
                )
                done += 1
            except DomainError as exc:
                messages.error(request, f"{card.public_id}: {exc.message}")
        messages.success(request, f"Disabled {done} gift card(s).")


class StoreCreditLedgerInline(_ReadOnlyInline):
    model = StoreCreditTransaction
    fields = ("created_at", "kind", "amount", "balance_after", "reference", "note", "actor")
    readonly_fields = fields


@admin.register(StoreCreditAccount)
class StoreCreditAccountAdmin(admin_kit.ModelAdmin):
    list_display = ("customer_id", "merchant", "currency", "balance", "updated_at")
    list_select_related = ("merchant",)
    search_fields = ("customer_id", "public_id")
    show_full_result_count = False
    inlines = [StoreCreditLedgerInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SplitPartInline(_ReadOnlyInline):
    model = SplitPart
    fields = (
        "position",
        "kind",
        "amount",
        "status",
        "failure_code",
        "gift_card",
        "store_credit",
        "payment",
        "amount_refunded",
    )
    readonly_fields = fields


@admin.register(SplitPayment)
class SplitPaymentAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "merchant", "state", "amount", "currency", "payment", "failure_code", "created_at")
    list_filter = ("state",)
    list_select_related = ("merchant", "payment")
    search_fields = ("public_id", "reference", "payment__public_id")
    show_full_result_count = False
    inlines = [SplitPartInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SplitPaymentInline(_ReadOnlyInline):
    """On the payment page: each split this intent ran, with its parts."""

    model = SplitPayment
    fk_name = "payment"
    fields = ("public_id", "state", "amount", "failed_part", "failure_code", "parts_display")
    readonly_fields = fields

    @admin.display(description="Parts")
    def parts_display(self, obj):
        return format_html_join(
            "",
            "<div>#{} {} {} — {}</div>",
            ((p.position, p.kind, format_minor(p.amount, obj.currency), p.status) for p in obj.parts.all()),
        )
