from django import forms
from django.contrib import admin, messages

from core import admin_kit
from core.exceptions import DomainError
from merchants.models import ApiKey, Merchant, MerchantOAuthClient
from merchants.services import (
    SETTINGS_FIELDS,
    api_key_create,
    api_key_revoke,
    merchant_settings_check,
    merchant_settings_update,
)


def _staff(request) -> str:
    return f"staff:{request.user.get_username()}"


class MerchantForm(forms.ModelForm):
    """A merchant's settings change here as through PATCH /settings: checked by the same
    rules before the page saves, then written (and audited) by merchants.services."""

    class Meta:
        model = Merchant
        fields = ("name", *SETTINGS_FIELDS)

    def settings_changes(self) -> dict:
        changes = {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in SETTINGS_FIELDS and name in self.cleaned_data
        }
        if "extra_settings" in changes:
            # The page edits the whole object: a key taken out of it goes (null removes it).
            before = self.initial.get("extra_settings") or {}
            after = changes["extra_settings"] or {}
            changes["extra_settings"] = {**{key: None for key in before if key not in after}, **after}
        return changes

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and not self.errors:
            try:
                merchant_settings_check(merchant_id=self.instance.pk, changes=self.settings_changes())
            except DomainError as exc:
                self.add_error(exc.param if exc.param in self.fields else None, exc.message)
        return data


class ApiKeyInline(admin_kit.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ("kind", "name", "lookup", "last4", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Merchant)
class MerchantAdmin(admin_kit.ModelAdmin):
    list_display = ("name", "public_id", "default_currency", "gateway", "approval_mode", "is_active", "created_at")
    list_filter = ("is_active", "gateway", "approval_mode", "capture_mode")
    search_fields = ("name", "public_id")
    readonly_fields = ("public_id", "version", "created_at", "updated_at")
    inlines = [ApiKeyInline]
    form = MerchantForm
    actions = ["create_secret_key", "create_publishable_key"]

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        changes = form.settings_changes()
        if changes:
            saved = merchant_settings_update(merchant_id=obj.pk, changes=changes, actor=_staff(request))
            obj.version, obj.updated_at = saved.version, saved.updated_at

    def _create_key(self, request, queryset, kind):
        for merchant in queryset:
            _, raw = api_key_create(
                merchant=merchant, kind=kind, name=f"admin:{request.user.get_username()}", actor=_staff(request)
            )
            # Shown once, to the person who asked for it; only its digest is kept.
            self.message_user(request, f"New {kind} key for {merchant.name}: {raw}", messages.WARNING)

    @admin.action(description="Create a new secret key (shown once)")
    def create_secret_key(self, request, queryset):
        self._create_key(request, queryset, ApiKey.Kind.SECRET)

    @admin.action(description="Create a new publishable key (shown once)")
    def create_publishable_key(self, request, queryset):
        self._create_key(request, queryset, ApiKey.Kind.PUBLISHABLE)


@admin.register(ApiKey)
class ApiKeyAdmin(admin_kit.ModelAdmin):
    list_display = ("__str__", "merchant", "kind", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("kind",)
    list_select_related = ("merchant",)
    search_fields = ("lookup", "merchant__name", "merchant__public_id")
    readonly_fields = ("merchant", "kind", "lookup", "last4", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request, obj=None):
        # The stored hash is an internal: superusers only (a developer needs the prefix).
        return [*self.readonly_fields, "name", *(["digest"] if request.user.is_superuser else [])]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["digest"] if request.user.is_superuser else [])]

    actions = ["revoke_now"]

    def has_add_permission(self, request):
        return False  # keys are made by the merchant action, which shows the secret once

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the audit trail and old requests still name it

    @admin.action(description="Revoke the selected keys now")
    def revoke_now(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key_id=api_key.pk, actor=_staff(request))
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


@admin.register(MerchantOAuthClient)
class MerchantOAuthClientAdmin(admin_kit.ModelAdmin):
    list_display = ("__str__", "merchant", "created_at")
    list_select_related = ("merchant", "application")
    raw_id_fields = ("merchant", "application")


# Webhook endpoints, events and deliveries, and the audit trail, register themselves there.
import merchants.audit.admin  # noqa: E402, F401
import merchants.webhooks.admin  # noqa: E402, F401
