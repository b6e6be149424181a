"""The site's root and its icon: a visitor who opens the server's address finds what it
is and the ways in, not a 404; the icon browsers ask for is served."""

import pytest
from django.test import Client

from tests.hosted.helpers import text

pytestmark = pytest.mark.django_db


def test_the_root_says_what_this_is_and_links_the_ways_in():
    page = Client().get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Checkout & Payments" in text(page)
    assert 'href="/v1/docs/"' in body and 'href="/admin/"' in body
    assert "API reference" in text(page) and "Back office" in text(page)


def test_the_root_speaks_the_browser_language():
    page = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").get("/")
    assert '<html lang="de">' in page.content.decode()
    assert "API-Referenz" in text(page) and "hier gibt es nichts zu kaufen" in text(page)


def test_the_root_refuses_writes():
    assert Client().post("/").status_code == 405


def test_favicon_ico_is_a_real_icon():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=86400" in response["Cache-Control"]
    icon = b"".join(response.streaming_content)
    # An ICO header (reserved 0, type 1) holding 16, 32 and 48 px images.
    assert icon[:4] == b"\x00\x00\x01\x00" and int.from_bytes(icon[4:6], "little") == 3
    assert [icon[6 + 16 * i] for i in range(3)] == [16, 32, 48]
