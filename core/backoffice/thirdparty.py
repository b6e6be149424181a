"""The admins other packages register, in our theme, and their internals for superusers.

Runs once the admin has autodiscovered every app. OAuth Toolkit's tables (tokens,
applications), Celery beat's schedule, 2FA devices and login-lockout records are
internals: only superusers see them.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from core import admin_kit

SUPERUSER_ONLY_APPS = {"oauth2_provider", "django_celery_beat", "otp_totp", "axes"}


class SuperuserOnly:
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class UserAdmin(BaseUserAdmin, admin_kit.ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ("username", "email", "is_staff", "is_superuser", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")


class GroupAdmin(BaseGroupAdmin, admin_kit.ModelAdmin):
    pass


def _restyled(model_admin_class):
    if issubclass(model_admin_class, admin_kit.ModelAdmin):
        return model_admin_class
    return type(model_admin_class.__name__, (admin_kit.ModelAdmin, model_admin_class), {})


def restyle_and_guard(site=None):
    site = site or admin.site
    user_model = get_user_model()
    for model, model_admin in list(site._registry.items()):
        if model is user_model:
            new_class = UserAdmin
        elif model is Group:
            new_class = GroupAdmin
        elif model._meta.app_label in SUPERUSER_ONLY_APPS:
            new_class = type(model_admin.__class__.__name__, (SuperuserOnly, _restyled(model_admin.__class__)), {})
        elif not isinstance(model_admin, admin_kit.ModelAdmin):
            new_class = _restyled(model_admin.__class__)
        else:
            continue
        site.unregister(model)
        site.register(model, new_class)
