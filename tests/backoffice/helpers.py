"""Staff users for the back office tests: by role (the migration's groups) or superuser."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from core.backoffice.roles import ROLES, grant_role_permissions

PASSWORD = "correct horse battery staple 42"


def staff_user(username, *roles, superuser=False):
    users = get_user_model().objects
    if superuser:
        return users.create_superuser(username, f"{username}@example.com", PASSWORD)
    if Group.objects.filter(name__in=roles).count() < len(roles):
        # A transactional test (the browser's) empties the tables the migration filled.
        grant_role_permissions(apps, ROLES)
    user = users.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True)
    user.groups.set(Group.objects.filter(name__in=roles))
    assert user.groups.count() == len(roles), f"unknown role in {roles}"
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
