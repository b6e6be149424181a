"""Back-office users for the reconciliation tests."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client


def clerk(name="carol", *, can_match=True):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw-unused", is_staff=True)
    codenames = ["view_statementline", "view_statement", "add_statement", "view_dailyreport"]
    codenames += ["match_statementline"] if can_match else []
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="reconciliation",
                                                        codename__in=codenames))  # fmt: skip
    client = Client()
    client.force_login(user)
    return user, client
