"""The run command's demo prints a hosted link and an embedded German demo that the
demo shop's page (served here, on this origin) may frame."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from checkout.hosted.policy import FRAME_ANCESTORS_SETTING
from checkout.models import CheckoutSession

pytestmark = pytest.mark.django_db


def test_demo_checkout_prints_an_embedded_german_demo(settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    call_command("bootstrap_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_checkout", stdout=out)
    call_command("demo_checkout", stdout=io.StringIO())  # twice: the origin is listed once
    text = out.getvalue()
    assert "/static/demo/embed.html?checkout=cs_" in text
    german = CheckoutSession.objects.filter(locale="de_DE").first()
    assert german is not None
    assert german.merchant.extra_settings[FRAME_ANCESTORS_SETTING] == ["http://127.0.0.1:8000"]
    embed = text.split("Open   ")[2].split()[0].removeprefix("http://127.0.0.1:8000")
    assert Client().get(embed.split("?")[0]).status_code == 200
