"""The local demo's staff accounts: one per role, created once, printed with passwords."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_one_account_per_role_that_can_sign_in(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("bootstrap_backoffice_demo", stdout=out)
    printed = out.getvalue()
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert list(users.get(username="refunds").groups.values_list("name", flat=True)) == ["Refund reviewers"]
    password = next(line.split()[1] for line in printed.splitlines() if line.strip().startswith("fraud "))
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "fraud", "password": password})
    assert response.status_code == 302
    assert "Fraud reviews open" in client.get("/admin/").content.decode()
    # A second run keeps the accounts and their passwords.
    again = io.StringIO()
    call_command("bootstrap_backoffice_demo", stdout=again)
    assert again.getvalue() == printed and users.filter(username="fraud").count() == 1
