"""Staff sign-in: password plus an authenticator code, required for staff where the
setting says so (production); lockout after repeated failures (django-axes)."""

import pytest
from axes.models import AccessAttempt
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.backoffice.roles import REFUND_REVIEWER
from tests.backoffice.helpers import PASSWORD, signed_in, staff_user

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in(client, username, password=PASSWORD, otp_token=""):
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": otp_token})


def test_a_user_with_a_device_gives_its_code(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the retry below comes at once; throttling is django-otp's
    user = staff_user("rita", REFUND_REVIEWER)
    device = confirmed_device(user)
    missing = sign_in(client, "rita")
    assert missing.status_code == 200 and "Enter the 6-digit code" in missing.content.decode()
    wrong = sign_in(client, "rita", otp_token="000000" if code(device) != "000000" else "111111")
    assert "not right" in wrong.content.decode()
    response = sign_in(client, "rita", otp_token=code(device))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_where_required_staff_without_a_device_set_one_up_before_anything_opens(client, settings):
    settings.BACKOFFICE_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the retry below comes at once; throttling is django-otp's
    staff_user("rita", REFUND_REVIEWER)
    response = sign_in(client, "rita")
    assert response.status_code == 302
    # Every page sends the password-only session to the setup page.
    assert client.get("/admin/refunds/refundrequest/").status_code == 302
    assert client.get("/admin/login/").url == "/admin/two-factor/"
    setup = client.get("/admin/two-factor/")
    assert setup.status_code == 200 and "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user__username="rita", confirmed=False)
    refused = client.post("/admin/two-factor/", {"otp_token": "12345"})
    assert refused.status_code == 200 and not TOTPDevice.objects.get(pk=device.pk).confirmed
    done = client.post("/admin/two-factor/", {"otp_token": code(device)})
    assert done.status_code == 302 and done.url == "/admin/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/admin/refunds/refundrequest/").status_code == 200


def test_where_required_a_forced_session_without_a_code_opens_nothing(settings):
    settings.BACKOFFICE_REQUIRE_2FA = True
    user = staff_user("rita", REFUND_REVIEWER)
    confirmed_device(user)
    client = signed_in(user)  # a password-only session
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/").status_code == 200  # asked for password and code again


def test_repeated_failures_lock_the_account_out(client, settings):
    staff_user("rita", REFUND_REVIEWER)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "rita", password="wrong").status_code == 200
    locked = sign_in(client, "rita", password="wrong")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    # Even the right password is refused during the cool-off.
    assert sign_in(client, "rita").status_code == 429
    assert AccessAttempt.objects.get(username="rita").failures_since_start > settings.AXES_FAILURE_LIMIT


def test_wrong_codes_count_as_failures(client, settings):
    user = staff_user("rita", REFUND_REVIEWER)
    device = confirmed_device(user)
    wrong = "000000" if code(device) != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rita", otp_token=wrong)
    assert sign_in(client, "rita", otp_token=code(device)).status_code == 429


def test_signing_in_at_the_login_page_itself_lands_on_the_dashboard(client):
    staff_user("lena", REFUND_REVIEWER)
    response = client.post("/admin/login/", {"username": "lena", "password": PASSWORD, "otp_token": ""})
    assert response.status_code == 302 and response["Location"] == "/admin/"
