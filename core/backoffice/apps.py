from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """django.contrib.admin, with our site (unfold's theme, staff 2FA) as admin.site."""

    default_site = "core.backoffice.site.BackOfficeSite"

    def ready(self):
        super().ready()  # autodiscovers every app's admin.py
        from core.backoffice import thirdparty

        thirdparty.restyle_and_guard()
