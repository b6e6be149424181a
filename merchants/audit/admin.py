from django.contrib import admin

from core.admin_kit import ModelAdmin
from merchants.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ModelAdmin):
    """The audit trail, as GET /audit serves it: read-only, append-only."""

    list_display = ("created_at", "merchant", "object_type", "object_id", "action", "actor", "request_id")
    list_filter = ("object_type", "actor_type")
    list_select_related = ("merchant",)
    search_fields = ("object_id", "actor", "request_id", "merchant__public_id")
    raw_id_fields = ("merchant",)
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
