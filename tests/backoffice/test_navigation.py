"""The sidebar grouped by job, cut down to each role's menus; internals for superusers."""

import pytest
from django.contrib.auth.models import Permission

from core.backoffice import registry
from core.backoffice.roles import DEVELOPER, FINANCE_CLERK, FRAUD_ANALYST, REFUND_REVIEWER, SUPPORT_AGENT
from tests.backoffice.helpers import signed_in, staff_user

pytestmark = pytest.mark.django_db
INTERNALS = [
    "/admin/oauth2_provider/accesstoken/",
    "/admin/oauth2_provider/application/",
    "/admin/django_celery_beat/periodictask/",
    "/admin/otp_totp/totpdevice/",
    "/admin/axes/accessattempt/",
]


def sidebar_groups(response) -> list[str]:
    """The sidebar's group titles, as unfold was given them for this page."""
    return [group["title"] for group in response.context["sidebar_navigation"] if group.get("title")]


def test_each_role_sees_only_its_menus(db):
    expected = {
        SUPPORT_AGENT: [registry.PAYMENTS, registry.ORDERS, registry.REFUNDS, registry.DEVELOPERS],
        REFUND_REVIEWER: [registry.PAYMENTS, registry.ORDERS, registry.REFUNDS],
        FRAUD_ANALYST: [registry.PAYMENTS, registry.ORDERS, registry.FRAUD],
        FINANCE_CLERK: [registry.PAYMENTS, registry.ORDERS, registry.REFUNDS],
        DEVELOPER: [registry.PAYMENTS, registry.DEVELOPERS],
    }
    for number, (role, groups) in enumerate(expected.items()):
        response = signed_in(staff_user(f"user{number}", role)).get("/admin/")
        # Reconciliation & finance is left out: its apps grant their own menus to roles.
        assert [g for g in sidebar_groups(response) if g != registry.FINANCE] == groups, role


def test_a_superuser_sees_every_group_in_the_job_order(db):
    response = signed_in(staff_user("root", superuser=True)).get("/admin/")
    page = response.content.decode()
    shown = sidebar_groups(response)
    assert set(registry.GROUPS) - {registry.FINANCE} <= set(shown)
    assert shown == [group for group in registry.GROUPS if group in shown], "groups in the job order"
    for label in ("Refunds to review", "Review queue", "Webhook endpoints", "OAuth access tokens", "Scheduled jobs"):
        assert label in page


def test_internals_are_for_superusers_even_with_their_permissions(db):
    user = staff_user("dev", DEVELOPER)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["oauth2_provider", "django_celery_beat", "otp_totp", "axes"]
        )
    )
    client = signed_in(user)
    for url in INTERNALS:
        assert client.get(url).status_code == 403, url
    page = client.get("/admin/").content.decode()
    assert "OAuth access tokens" not in page and "Scheduled jobs" not in page
    root = signed_in(staff_user("root", superuser=True))
    for url in INTERNALS:
        assert root.get(url).status_code == 200, url


def test_api_key_hashes_are_for_superusers_only(api):
    from merchants.models import ApiKey

    key = ApiKey.objects.filter(merchant=api.merchant).first()
    url = f"/admin/merchants/apikey/{key.pk}/change/"
    developer = signed_in(staff_user("dev", DEVELOPER)).get(url).content.decode()
    assert key.digest not in developer and key.lookup in developer
    root = signed_in(staff_user("root", superuser=True)).get(url).content.decode()
    assert key.digest in root


def test_every_admin_page_here_has_its_menu_entry(db):
    from django.contrib import admin

    # The apps of this page's time; an app added later places its own (until then its
    # pages appear under System for those allowed to see them).
    apps = {"payments", "checkout", "refunds", "fraud", "merchants", "auth", "axes", "otp_totp",
            "django_celery_beat", "oauth2_provider"}  # fmt: skip
    placed = {item.model.lower() for item in registry.menu_items() if item.model}
    registered = {model._meta.label_lower for model in admin.site._registry if model._meta.app_label in apps}
    assert registered - placed == set()
