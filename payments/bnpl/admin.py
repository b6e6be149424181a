"""Back office for buy now, pay later: read-mostly. Installments change state only through
the services (retry now, mark paid offline, send to collections), each permission-checked
and written to the plan's trail with the staff member as actor."""

from django.contrib import admin, messages
from django.utils.html import format_html

from core import admin_kit
from core.exceptions import DomainError
from core.money import format_minor
from payments.bnpl.models import (
    BNPLApplication,
    BNPLEvent,
    BNPLPlanTerms,
    BNPLSettings,
    Installment,
    InstallmentPlan,
    OverdueInstallment,
)
from payments.bnpl.services.installments import (
    installment_mark_paid_offline,
    installment_retry_now,
    installment_send_to_collections,
)

COLOURS = {
    "pending": ("#1f4f99", "#e3edfb"),
    "processing": ("#6b4f00", "#fff4d6"),
    "paid": ("#16653b", "#dcf3e5"),
    "failed": ("#a6401a", "#fde8dc"),
    "overdue": ("#b42318", "#fde2e0"),
    "collections": ("#ffffff", "#7a1c14"),
    "cancelled": ("#4a5163", "#eceef2"),
    "active": ("#1f4f99", "#e3edfb"),
    "completed": ("#16653b", "#dcf3e5"),
    "approved": ("#1f4f99", "#e3edfb"),
    "declined": ("#b42318", "#fde2e0"),
    "expired": ("#4a5163", "#eceef2"),
}


def state_badge(state: str):
    colour, background = COLOURS.get(state, ("#1f2430", "#eceef2"))
    return format_html(
        '<span class="bnpl-state bnpl-state-{}" style="color:{};background:{};padding:1px 8px;'
        'border-radius:9px">{}</span>',
        state,
        colour,
        background,
        state,
    )


def _actor(request) -> str:
    return f"staff:{request.user.get_username()}"


class _ReadOnlyInline(admin_kit.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InstallmentInline(_ReadOnlyInline):
    model = Installment
    fields = ("sequence", "state_display", "amount_display", "due_date", "attempt_count", "last_decline_code",
              "next_attempt_on", "overdue_since")  # fmt: skip
    readonly_fields = fields
    show_change_link = True

    @admin.display(description="State")
    def state_display(self, obj):
        return state_badge(obj.state)

    @admin.display(description="Amount")
    def amount_display(self, obj):
        return format_minor(obj.amount, obj.currency)


class BNPLEventInline(_ReadOnlyInline):
    model = BNPLEvent
    fields = ("created_at", "type", "from_state", "to_state", "actor", "data")
    readonly_fields = fields


@admin.register(InstallmentPlan)
class InstallmentPlanAdmin(admin_kit.ModelAdmin):
    # Nothing on a plan is edited by hand (its installments move through the services):
    # a view page, without Save buttons, for superusers too.
    list_display = ("public_id", "merchant", "plan_code", "state_display", "total_display", "payment", "created_at")
    list_filter = ("state", "plan_code")
    list_select_related = ("merchant", "payment")
    search_fields = ("public_id", "payment__public_id", "email")
    show_full_result_count = False
    raw_id_fields = ("merchant", "application", "payment", "payment_method")
    readonly_fields = [f.name for f in InstallmentPlan._meta.fields]
    inlines = [InstallmentInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="State", ordering="state")
    def state_display(self, obj):
        return state_badge(obj.state)

    @admin.display(description="Total", ordering="total_amount")
    def total_display(self, obj):
        return format_minor(obj.total_amount, obj.currency)


class _InstallmentActions:
    """The three staff actions, each through its service and its own permission."""

    actions = ["retry_now", "mark_paid_offline", "send_to_collections"]

    def _run(self, request, queryset, service, verb):
        done, refused = 0, []
        for installment in queryset.order_by("pk"):
            try:
                service(installment_pk=installment.pk, actor=_actor(request))
                done += 1
            except DomainError as error:
                refused.append(f"{installment.public_id}: {error.message}")
        if done:
            self.message_user(request, f"{verb} {done} installment(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request, queryset):
        self._run(request, queryset, installment_retry_now, "Retried")

    @admin.action(description="Mark paid (offline)", permissions=["settle"])
    def mark_paid_offline(self, request, queryset):
        self._run(request, queryset, installment_mark_paid_offline, "Marked paid")

    @admin.action(description="Send to collections", permissions=["collect"])
    def send_to_collections(self, request, queryset):
        self._run(request, queryset, installment_send_to_collections, "Sent to collections")

    def has_retry_permission(self, request):
        return request.user.has_perm("bnpl.retry_installment")

    def has_settle_permission(self, request):
        return request.user.has_perm("bnpl.settle_installment")

    def has_collect_permission(self, request):
        return request.user.has_perm("bnpl.collect_installment")


@admin.register(Installment)
class InstallmentAdmin(_InstallmentActions, admin_kit.ModelAdmin):
    list_display = ("public_id", "plan", "sequence", "state_display", "amount_display", "due_date", "attempt_count",
                    "last_decline_code")  # fmt: skip
    list_filter = ("state", "due_date")
    list_select_related = ("plan",)
    search_fields = ("public_id", "plan__public_id", "plan__payment__public_id")
    show_full_result_count = False
    raw_id_fields = ("plan", "merchant", "charge", "paid_by")
    readonly_fields = [f.name for f in Installment._meta.fields]
    inlines = []

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="State", ordering="state")
    def state_display(self, obj):
        return state_badge(obj.state)

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return format_minor(obj.amount, obj.currency)


@admin.register(OverdueInstallment)
class OverdueInstallmentAdmin(InstallmentAdmin):
    """For the collections team: what is overdue, oldest first, with the shopper's email."""

    list_display = ("public_id", "state_display", "amount_display", "overdue_since", "due_date", "email",
                    "last_decline_code", "plan")  # fmt: skip
    list_filter = ("state",)
    ordering = ("overdue_since", "id")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(state__in=[Installment.State.OVERDUE, Installment.State.COLLECTIONS])
        )

    @admin.display(description="Shopper")
    def email(self, obj):
        return obj.plan.email


@admin.register(BNPLApplication)
class BNPLApplicationAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "merchant", "state_display", "plan_code", "amount_display", "decision_reason",
                    "created_at")  # fmt: skip
    list_filter = ("state", "provider", "decision_reason")
    list_select_related = ("merchant",)
    search_fields = ("public_id", "provider_reference", "payment__public_id", "email")
    show_full_result_count = False
    raw_id_fields = ("merchant", "payment")
    readonly_fields = [f.name for f in BNPLApplication._meta.fields]
    inlines = [BNPLEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="State", ordering="state")
    def state_display(self, obj):
        return state_badge(obj.state)

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return format_minor(obj.amount, obj.currency)


@admin.register(BNPLSettings)
class BNPLSettingsAdmin(admin_kit.ModelAdmin):
    list_display = ("merchant", "enabled", "retry_days", "collections_after_days", "reminder_days_before")
    raw_id_fields = ("merchant",)


@admin.register(BNPLPlanTerms)
class BNPLPlanTermsAdmin(admin_kit.ModelAdmin):
    list_display = ("merchant", "code", "name", "installment_count", "interval_count", "interval_unit", "enabled")
    list_filter = ("enabled", "interval_unit")
    raw_id_fields = ("merchant",)
