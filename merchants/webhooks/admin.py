"""Back office for webhooks: endpoints, events and deliveries with their attempts.

Read-mostly; "retry now", "replay event", "enable" and "disable" call the services.
Signing secrets are never shown.
"""

from django.contrib import admin, messages
from django.db import models

from core import admin_kit
from merchants.models import Event
from merchants.webhook_delivery import delivery_retry_now, event_replay
from merchants.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from merchants.webhooks.services import admin_endpoint_enable, endpoint_disable


class ReadOnlyAdmin(admin_kit.ModelAdmin):
    show_full_result_count = False
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Actions are allowed to staff who may change the model, though no form edits it.
    def has_operate_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def _audit(self, request, queryset, message):
        for obj in queryset:
            self.log_change(request, obj, message)


class FailingFilter(admin.SimpleListFilter):
    """The dashboard's "failing" queue: enabled, with deliveries failing since some time."""

    title = "deliveries"
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", "Failing")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=WebhookEndpoint.Status.ENABLED, failing_since__isnull=False)
        return queryset


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("status", "public_id", "merchant", "kind", "url", "failing_since", "created_at")
    list_filter = (FailingFilter, "kind", "status")
    list_select_related = ("merchant",)
    search_fields = ("public_id", "url", "merchant__name", "merchant__public_id")
    actions = ["enable_endpoints", "disable_endpoints"]

    @admin.action(description="Enable the selected endpoints", permissions=["operate"])
    def enable_endpoints(self, request, queryset):
        actor = f"staff:{request.user.get_username()}"
        done = sum(admin_endpoint_enable(endpoint_pk=pk, actor=actor) for pk in queryset.values_list("pk", flat=True))
        self._audit(request, queryset, "Enable requested")
        self.message_user(request, f"Enabled {done} endpoint(s).")

    @admin.action(description="Disable the selected endpoints", permissions=["operate"])
    def disable_endpoints(self, request, queryset):
        reason = f"Disabled by staff ({request.user.get_username()})."
        done = sum(endpoint_disable(endpoint_pk=pk, reason=reason) for pk in queryset.values_list("pk", flat=True))
        self._audit(request, queryset, "Disable requested")
        self.message_user(request, f"Disabled {done} endpoint(s).")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "type", "merchant", "checkout_id", "payment_intent_id", "dispatched_at", "created_at")
    list_filter = ("type",)
    list_select_related = ("merchant",)
    search_fields = ("public_id", "checkout_id", "payment_intent_id", "correlation_id")
    date_hierarchy = "created_at"
    actions = ["replay_events"]

    @admin.action(description="Replay event (send again to every target)", permissions=["operate"])
    def replay_events(self, request, queryset):
        queued = sum(event_replay(event_id=pk) for pk in queryset.values_list("pk", flat=True))
        self._audit(request, queryset, "Replay requested")
        self.message_user(request, f"Queued {queued} delivery(ies).")


class WebhookAttemptInline(admin_kit.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "succeeded", "status_code", "latency_ms", "error", "response_excerpt", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "event",
        "endpoint",
        "state",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("state",)
    list_select_related = ("event", "endpoint")
    search_fields = ("public_id", "event__public_id", "endpoint__public_id", "endpoint__url")
    raw_id_fields = ("event", "endpoint")
    inlines = [WebhookAttemptInline]
    actions = ["retry_now"]

    @admin.action(description="Retry now", permissions=["operate"])
    def retry_now(self, request, queryset):
        queued = sum(delivery_retry_now(delivery_id=pk) for pk in queryset.values_list("pk", flat=True))
        self._audit(request, queryset, "Retry requested")
        skipped = queryset.count() - queued
        self.message_user(request, f"Queued {queued} delivery(ies).")
        if skipped:
            self.message_user(request, f"{skipped} attempt(s) still in flight; left alone.", messages.WARNING)
