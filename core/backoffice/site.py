"""The back office's admin site: unfold's, with staff two-factor sign-in enforced here."""

from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django_otp import login as otp_login
from unfold.sites import UnfoldAdminSite

from core.backoffice import otp


def needs_second_factor(request) -> bool:
    """Signed in with a password only, where staff must also give a code."""
    user = request.user
    return bool(settings.BACKOFFICE_REQUIRE_2FA and user.is_active and user.is_staff and not user.is_verified())


class BackOfficeSite(UnfoldAdminSite):
    site_header = "Payments back office"
    site_title = "Payments back office"
    index_title = "Dashboard"
    index_template = "admin/backoffice_index.html"

    def has_permission(self, request):
        return super().has_permission(request) and not needs_second_factor(request)

    def login(self, request, extra_context=None):
        # A password-only session of a staff user without a device is half-way through
        # setting one up: send it there rather than back to the password form.
        if request.method == "GET" and needs_second_factor(request) and otp.confirmed_device(request.user) is None:
            return redirect("admin:otp_setup")
        return super().login(request, extra_context)

    def get_urls(self):
        return [path("two-factor/", self.otp_setup_view, name="otp_setup"), *super().get_urls()]

    def otp_setup_view(self, request):
        """Sets up an authenticator app: scan the code, type what it shows, done.

        Open to any signed-in staff user (not through admin_view: until it is done,
        has_permission is false where 2FA is required)."""
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        existing = otp.confirmed_device(user)
        device = None if existing else otp.totp_device_pending(user=user)
        form = otp.DeviceConfirmForm(request.POST or None, device=device) if device else None
        if form is not None and request.method == "POST" and form.is_valid():
            device = otp.totp_device_confirm(device_pk=device.pk)
            otp_login(request, device)
            self._log_device(request, device)
            return redirect("admin:index")
        context = {
            **self.each_context(request),
            "title": "Two-factor authentication",
            "existing": existing,
            "device": device,
            "form": form,
            "qr_svg": otp.qr_svg(device) if device else "",
            "secret": otp.secret_for_humans(device) if device else "",
            "required": settings.BACKOFFICE_REQUIRE_2FA,
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/otp_setup.html", context)

    def _log_device(self, request, device):
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=[device],
            action_flag=ADDITION,
            change_message="Set up two-factor authentication",
            single_object=True,
        )
