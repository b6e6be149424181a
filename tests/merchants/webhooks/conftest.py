import json
import socket

import pytest
from django.db import transaction
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook

from merchants.events import event_emit
from merchants.webhooks.services import endpoint_create


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def receiver():
    """A merchant's webhook receiver on loopback; `.log` holds (request, response) pairs."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def accept_all(server, status=200, body="ok"):
    server.expect_request("/hook", method="POST").respond_with_data(body, status=status)


def make_endpoint(merchant, url, events=("*",), description=""):
    return endpoint_create(merchant_id=merchant.pk, url=url, events=list(events), description=description)


def emit(merchant, type="payment.succeeded", **kwargs):
    kwargs.setdefault("data", {"before": {"status": "processing"}, "after": {"status": "succeeded"}})
    with transaction.atomic():
        return event_emit(merchant_id=merchant.pk, type=type, **kwargs)


def verified(request, secret):
    """The payload of a received request, after the Standard Webhooks verifier accepted it."""
    return Webhook(secret).verify(request.get_data(), dict(request.headers))


def bodies(server):
    return [json.loads(request.get_data()) for request, _ in server.log]
