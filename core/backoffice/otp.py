"""Staff sign-in: password, then a TOTP code from an authenticator app (django-otp).

A user with a confirmed device always gives its code. Where BACKOFFICE_REQUIRE_2FA is on
(production), a staff user without one is sent to set it up before any page opens. A
wrong code counts as a failed login, so django-axes locks out guessing as it does for
passwords.
"""

import base64

import segno
from django import forms
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils.safestring import mark_safe
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.forms import AuthenticationForm
from unfold.widgets import BASE_INPUT_CLASSES

DEVICE_NAME = "Authenticator app"


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def _code_field(label):
    return forms.CharField(
        label=label,
        required=False,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "class": " ".join(BASE_INPUT_CLASSES),
            }
        ),
    )


class BackOfficeLoginForm(AuthenticationForm):
    otp_token = _code_field("Authentication code")

    error_messages = {
        **AuthenticationForm.error_messages,
        "otp_required": "Enter the 6-digit code from your authenticator app.",
        "otp_invalid": "That authentication code is not right (or has expired). Try the current one.",
    }

    def clean(self):
        data = super().clean()  # the password first: a wrong one never reveals the 2FA step
        user = self.get_user()
        if user is None:
            return data
        device = confirmed_device(user)
        if device is None:
            return data  # the site sends a staff user without a device to set one up
        token = (data.get("otp_token") or "").replace(" ", "")
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        if match_token(user, token) is None:
            user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=self.request)
            raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
        # django-otp marks the session as verified when the login completes.
        user.otp_device = device
        return data


class DeviceConfirmForm(forms.Form):
    otp_token = _code_field("Code from the app")

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self):
        token = (self.cleaned_data.get("otp_token") or "").replace(" ", "")
        if not token or not self.device.verify_token(token):
            raise forms.ValidationError("That code is not right. Enter the one the app shows now.")
        return token


def totp_device_pending(*, user) -> TOTPDevice:
    """The user's device being set up: the unconfirmed one, or a new secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, device_pk: int) -> TOTPDevice:
    """Confirms the device a code was just verified against; older unconfirmed secrets go."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device_pk)
        TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


def qr_svg(device: TOTPDevice) -> str:
    # Drawn here as inline SVG: the secret never leaves for a QR service.
    return mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, dark="#1e1b4b"))


def secret_for_humans(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
