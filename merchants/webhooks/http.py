"""The one place webhooks go out over the network. Never call it inside a transaction."""

import time
from dataclasses import dataclass

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from merchants.webhooks.url_policy import UrlRefused, private_urls_allowed, public_addresses, url_parts

EXCERPT_BYTES = 1024
USER_AGENT = "checkout-webhooks/1.0"


class _GuardedConnectionMixin:
    """Resolves the host itself, refuses non-public addresses, and connects only to the
    addresses it checked: nothing re-resolves between the check and the connect.
    TLS still verifies the certificate against the original host name."""

    def _new_conn(self):
        host = self._dns_host
        error = None
        for address in public_addresses(host, self.port):
            self._dns_host = address
            try:
                return super()._new_conn()
            except (NewConnectionError, ConnectTimeoutError) as exc:
                error = exc
            finally:
                self._dns_host = host
        raise error


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    latency_ms: int
    response_excerpt: str = ""
    error: str = ""
    # True when retrying cannot help (the URL itself is unacceptable).
    permanent: bool = False

    def succeeded(self, *, only_200: bool = False) -> bool:
        if self.status_code is None:
            return False
        return self.status_code == 200 if only_200 else 200 <= self.status_code < 300


def _session() -> requests.Session:
    session = requests.Session()
    # Proxies from the environment would bypass the address check (and see our traffic).
    session.trust_env = False
    if not private_urls_allowed():
        adapter = _GuardedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def post_json(url: str, body: bytes, headers: dict) -> HttpResult:
    """POSTs `body` once: timeout WEBHOOK_TIMEOUT_SECONDS, no redirects followed, at most
    EXCERPT_BYTES of the answer kept. Never raises for network trouble; returns it."""
    started = time.monotonic()

    def elapsed_ms():
        return int((time.monotonic() - started) * 1000)

    try:
        url_parts(url)
    except UrlRefused as exc:
        return HttpResult(None, 0, error=exc.message, permanent=True)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    with _session() as session:
        try:
            response = session.post(
                url,
                data=body,
                headers=headers,
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,
            )
        except UrlRefused as exc:
            return HttpResult(None, elapsed_ms(), error=exc.message, permanent=exc.permanent)
        except requests.Timeout:
            return HttpResult(None, elapsed_ms(), error=f"Timed out after {settings.WEBHOOK_TIMEOUT_SECONDS:g}s.")
        except requests.RequestException as exc:
            return HttpResult(None, elapsed_ms(), error=_error_text(exc))
        error = ""
        with response:
            try:
                raw = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
            except Exception as exc:  # a receiver that answers and then stalls or breaks
                raw, error = b"", _error_text(exc)
        if response.is_redirect:
            error = error or f"Redirect to {response.headers.get('Location', '?')!r} not followed."
        return HttpResult(
            response.status_code,
            elapsed_ms(),
            response_excerpt=raw.decode("utf-8", errors="replace")[:EXCERPT_BYTES],
            error=error,
        )
