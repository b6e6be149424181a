import socket

import pytest
from django.test import override_settings

from merchants.webhooks.http import post_json
from merchants.webhooks.url_policy import UrlRefused, url_check

from .conftest import accept_all

PUBLIC_IP = "93.184.216.34"


def fake_resolver(monkeypatch, answers: dict):
    """Makes `getaddrinfo` answer from `answers` ({host: [addresses]}); others as usual."""
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in answers:
            family = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET  # noqa: E731
            return [(family(a), socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://224.0.0.1/hook",
        f"http://{PUBLIC_IP}/hook",
        f"ftp://{PUBLIC_IP}/hook",
        f"https://user:pw@{PUBLIC_IP}/hook",
        "https:///hook",
    ],
)
def test_private_loopback_link_local_and_plain_http_are_refused(url):
    with pytest.raises(UrlRefused) as caught:
        url_check(url)
    assert caught.value.code == "url_refused" and caught.value.param == "url"


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_public_https_is_accepted():
    url_check(f"https://{PUBLIC_IP}/hook")
    url_check(f"https://{PUBLIC_IP}:8443/hook?x=1")


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_every_resolved_address_is_checked(monkeypatch):
    fake_resolver(monkeypatch, {"mixed.example": [PUBLIC_IP, "10.0.0.7"], "public.example": [PUBLIC_IP]})
    with pytest.raises(UrlRefused, match="private"):
        url_check("https://mixed.example/hook")
    url_check("https://public.example/hook")


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False)
def test_unresolvable_host_is_refused(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("no such host")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(UrlRefused, match="does not resolve"):
        url_check("https://nowhere.example/hook")


@override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=True)
def test_the_setting_allows_plain_http_loopback_receivers():
    url_check("http://127.0.0.1:8000/hook")
    url_check("http://localhost:8000/hook")
    with pytest.raises(UrlRefused):
        url_check("ftp://127.0.0.1/hook")


def test_rebinding_to_loopback_is_refused_when_connecting(monkeypatch, receiver, settings):
    """The host passed the check when saved, then resolves to loopback: nothing is sent."""
    accept_all(receiver)
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    fake_resolver(monkeypatch, {"rebind.example": [PUBLIC_IP]})
    url = f"https://rebind.example:{receiver.port}/hook"
    url_check(url)
    fake_resolver(monkeypatch, {"rebind.example": ["127.0.0.1"]})
    result = post_json(url, b"{}", {})
    assert result.status_code is None
    assert "private, loopback" in result.error
    assert not result.permanent  # DNS may point back to a public address later
    assert receiver.log == []


def test_plain_http_is_refused_at_send_time_when_the_setting_is_off(receiver, settings):
    accept_all(receiver)
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    result = post_json(receiver.url_for("/hook"), b"{}", {})
    assert result.permanent and result.status_code is None
    assert receiver.log == []


def test_guarded_connection_still_reaches_public_addresses(monkeypatch, receiver, settings):
    """The guard hands urllib3 the address it checked; with the check itself stubbed to
    accept loopback, a request really goes through that path and arrives."""
    from merchants.webhooks import http

    accept_all(receiver)
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    monkeypatch.setattr(http, "url_parts", lambda url: ("http", "127.0.0.1", receiver.port))
    monkeypatch.setattr(http, "public_addresses", lambda host, port: ["127.0.0.1"])
    result = post_json(receiver.url_for("/hook"), b"{}", {})
    assert result.status_code == 200, result.error
    assert len(receiver.log) == 1
