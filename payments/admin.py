"""Back office for payments: read-mostly; money moves only through actions that call services."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from core import admin_kit
from core.backoffice.display import badge, merchant_name
from core.backoffice.support import SupportNotesMixin, staff_actor, staff_author
from core.exceptions import DomainError
from core.money import format_minor
from payments.admin_detail import payment_summary
from payments.models import GatewayEvent, PaymentAttempt, PaymentEvent, PaymentMethod, PaymentTransaction
from payments.selectors import payment_api_status
from payments.services import payment_intent_cancel, payment_intent_capture
from payments.services.operations import payment_support_note_add
from payments.services.refunds import payment_refundable_amount
from payments.services.webhooks import gateway_event_reprocess
from payments.wallet.admin import SplitPaymentInline


class ReadOnlyInline(admin_kit.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PaymentAttemptInline(ReadOnlyInline):
    model = PaymentAttempt
    fields = (
        "number", "status", "payment_method", "gateway_reference", "failure_code", "decline_code", "call_count",
        "claimed_at", "answered_at", "duration_ms", "settled_at",
    )  # fmt: skip
    readonly_fields = fields


class PaymentAttemptInternalsInline(PaymentAttemptInline):
    """The same, with the outgoing idempotency keys (superusers only)."""

    fields = ("number", "status", "idempotency_key", *PaymentAttemptInline.fields[2:])
    readonly_fields = fields


class PaymentEventInline(ReadOnlyInline):
    """The raw event rows behind the timeline (superusers only: others read the timeline)."""

    model = PaymentEvent
    verbose_name_plural = "event rows"
    fields = ("created_at", "type", "from_state", "to_state", "actor", "attempt", "data")
    readonly_fields = fields


class ReturnRequestedFilter(admin.SimpleListFilter):
    """Staff's view of the alert: payments taken after their session closed, being given back."""

    title = "to give back"
    parameter_name = "to_give_back"

    def lookups(self, request, model_admin):
        return [("yes", "Being given back")]

    def queryset(self, request, queryset):
        return queryset.filter(return_requested_at__isnull=False) if self.value() == "yes" else queryset


def _audit_line(verb, before, after) -> str:
    after = after if isinstance(after, PaymentTransaction) else PaymentTransaction.objects.get(pk=before.pk)
    return (
        f"{verb}: {before.state} → {after.state}; captured {format_minor(before.amount_captured, before.currency)}"
        f" → {format_minor(after.amount_captured, after.currency)}"
    )


# What staff read on a payment; the rest (stored keys, claims, versions) is for superusers.
SUMMARY_FIELDS = (
    "public_id", "merchant", "state", "amount_display", "captured_display", "refunded_display", "capture_mode",
    "reference", "gateway", "payment_method", "attempt_count", "authorized_at", "authorization_expires_at",
    "completed_at", "closed_reason", "return_requested_at", "return_reason", "created_at", "metadata",
)  # fmt: skip
MONEY_FIELDS = ("amount", "amount_capturable", "amount_captured", "amount_refunded")


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(SupportNotesMixin, admin_kit.ModelAdmin):
    support_note_object_type = "payment_intent"
    list_display = (
        "state_badge", "amount_display", "public_id", merchant_name, "card", "gateway", "created_at",
    )  # fmt: skip
    list_display_links = ("state_badge", "amount_display", "public_id")
    list_filter = (ReturnRequestedFilter, "state", "gateway", "capture_mode", "merchant", "created_at")
    list_select_related = ("merchant", "payment_method")
    search_fields = ("public_id", "reference")
    show_full_result_count = False
    date_hierarchy = "created_at"
    raw_id_fields = ("merchant", "payment_method")
    actions = ["capture_selected", "void_selected"]
    change_form_before_template = "admin/payments/payment_summary.html"

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return format_minor(obj.amount, obj.currency)

    @admin.display(description="State", ordering="state")
    def state_badge(self, obj):
        return badge(payment_api_status(obj))

    @admin.display(description="Card")
    def card(self, obj):
        return format_html('<span class="bo-nowrap">{}</span>', obj.payment_method) if obj.payment_method_id else "—"

    def get_inlines(self, request, obj):
        if request.user.is_superuser:
            return [PaymentAttemptInternalsInline, PaymentEventInline, SplitPaymentInline]
        return [PaymentAttemptInline, SplitPaymentInline]

    def get_fields(self, request, obj=None):
        if not request.user.is_superuser:
            return list(SUMMARY_FIELDS)
        internals = [
            f.name for f in self.model._meta.fields if f.name not in SUMMARY_FIELDS and f.name not in MONEY_FIELDS
        ]
        return [*SUMMARY_FIELDS, "capturable_display", *internals]

    def get_readonly_fields(self, request, obj=None):
        # Every field: a state or an amount changes only through a service.
        return self.get_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = self.get_object(request, object_id)
        extra = {"payment_summary": payment_summary(payment, user=request.user)} if payment else {}
        if payment and request.user.has_perm("refunds.add_refundrequest") and payment_refundable_amount(payment) > 0:
            add = reverse("admin:refunds_refundrequest_add")
            extra["refund_url"] = f"{add}?payment_intent={payment.public_id}"
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def support_note_write(self, request, obj, note):
        payment_support_note_add(
            merchant_id=obj.merchant_id, payment_intent_id=obj.public_id, note=note, author=staff_author(request),
            actor=staff_actor(request),
        )  # fmt: skip

    @admin.display(description="Captured")
    def captured_display(self, obj):
        return format_minor(obj.amount_captured, obj.currency)

    @admin.display(description="Refunded")
    def refunded_display(self, obj):
        return format_minor(obj.amount_refunded, obj.currency)

    @admin.display(description="Capturable")
    def capturable_display(self, obj):
        return format_minor(obj.amount_capturable, obj.currency)

    def has_change_permission(self, request, obj=None):
        # The detail page is a view (no Save button: nothing there is editable); the list
        # keeps change rights so its capture/void actions, which call services, stay.
        return obj is None and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_capture_permission(self, request):
        return request.user.has_perm("payments.capture_paymenttransaction")

    def has_void_permission(self, request):
        return request.user.has_perm("payments.void_paymenttransaction")

    def _run(self, request, queryset, service, verb):
        done = 0
        for payment in queryset.select_related("merchant"):
            try:
                after = service(
                    merchant_id=payment.merchant_id,
                    payment_intent_id=payment.public_id,
                    actor=f"staff:{request.user.get_username()}",
                )
                done += 1
                # The payment's own events hold the transition; the admin history says who
                # asked, with the state and money before and after, beside other staff actions.
                self.log_change(request, payment, _audit_line(verb, payment, after))
            except DomainError as exc:
                self.message_user(request, f"{payment.public_id}: {exc.message} ({exc.code})", messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} payment(s).", messages.SUCCESS)

    @admin.action(description="Capture the selected authorizations", permissions=["capture"])
    def capture_selected(self, request, queryset):
        self._run(request, queryset, payment_intent_capture, "Captured")

    @admin.action(description="Void the selected authorizations", permissions=["void"])
    def void_selected(self, request, queryset):
        self._run(request, queryset, payment_intent_cancel, "Voided")


@admin.register(GatewayEvent)
class GatewayEventAdmin(admin_kit.ModelAdmin):
    list_display = ("event_id", "gateway", "type", "status", "attempts", "received_at", "processed_at")
    list_filter = ("status", "gateway", "type")
    search_fields = ("event_id", "reference")
    show_full_result_count = False
    actions = ["reprocess"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Reprocess the selected events", permissions=["change"])
    def reprocess(self, request, queryset):
        for event in queryset:
            try:
                status = gateway_event_reprocess(event_pk=event.pk)
                self.message_user(request, f"{event.event_id}: {status}.")
            except Exception as exc:  # shown to staff; the event keeps its failed status
                self.message_user(request, f"{event.event_id}: {type(exc).__name__}: {exc}", messages.ERROR)


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "merchant", "gateway", "brand", "last4", "exp_month", "exp_year", "created_at")
    list_filter = ("gateway", "brand")
    list_select_related = ("merchant",)
    search_fields = ("public_id", "fingerprint")
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
