"""Which URLs we will POST to (SSRF protection).

Outside local and test, a receiver must be https and every address its host resolves to
must be public. The check runs when an endpoint is saved and again when each connection
is opened (`webhooks.http` connects only to the addresses checked here), so a host that
re-resolves to an internal address later (DNS rebinding) is still refused.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from core.exceptions import DomainError


class UrlRefused(DomainError):
    code = "url_refused"
    default_message = "This URL cannot receive webhooks."

    def __init__(self, message=None, *, permanent=True, **kwargs):
        kwargs.setdefault("param", "url")
        super().__init__(message, **kwargs)
        # A malformed URL never gets better; a host that resolves badly today may not tomorrow.
        self.permanent = permanent


def private_urls_allowed() -> bool:
    return settings.WEBHOOKS_ALLOW_PRIVATE_URLS


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def public_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, refusing them all if any one is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"The host {host!r} does not resolve.", permanent=False) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    blocked = [a for a in addresses if not _is_public(a)]
    if blocked or not addresses:
        raise UrlRefused(
            f"The host {host!r} resolves to a private, loopback, link-local or reserved address.",
            permanent=False,
            explain=f"refused addresses: {', '.join(blocked)}",
        )
    return addresses


def url_parts(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL; raises UrlRefused (permanent) otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused("The URL is malformed.") from exc
    scheme = parts.scheme.lower()
    allowed = {"https", "http"} if private_urls_allowed() else {"https"}
    if scheme not in allowed:
        raise UrlRefused("Webhook URLs must use https.")
    if not parts.hostname:
        raise UrlRefused("The URL has no host.")
    if parts.username or parts.password:
        # Credentials in a URL end up in logs and admin screens; the signature authenticates us.
        raise UrlRefused("The URL must not contain a user name or password.")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def url_check(url: str) -> None:
    """Raises UrlRefused unless `url` may receive webhooks under the current settings."""
    _, host, port = url_parts(url)
    if not private_urls_allowed():
        public_addresses(host, port)
