import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from payments.gateways.simulator import SimulatorGateway
from tests.conftest import MerchantClient
from tests.factories import merchant_with_keys


class CallCounter:
    """Counts calls at the gateway boundary (the adapter's methods), keeping the behaviour."""

    def __init__(self, monkeypatch, gateway_class, method):
        self.calls = []
        original = getattr(gateway_class, method)

        def counted(gateway, *args, **kwargs):
            self.calls.append(args[0] if args else kwargs)
            return original(gateway, *args, **kwargs)

        monkeypatch.setattr(gateway_class, method, counted)

    @property
    def count(self):
        return len(self.calls)


@pytest.fixture
def authorize_calls(monkeypatch):
    return CallCounter(monkeypatch, SimulatorGateway, "authorize")


@pytest.fixture(scope="session")
def httpserver_listen_address():
    # pytest-httpserver's default "localhost" may resolve to ::1; keep to IPv4 loopback.
    return ("127.0.0.1", 0)


LOCALSTRIPE_START_TIMEOUT = 30


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """A localstripe server on a free 127.0.0.1 port for the whole run; its base address."""
    port = _free_loopback_port()
    log_path = tmp_path_factory.mktemp("localstripe") / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("localstripe_server.py")), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + LOCALSTRIPE_START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"localstripe did not start:\n{log_path.read_text()}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


STRIPE_WEBHOOK_SECRET = "whsec_test_localstripe"


@pytest.fixture
def stripe_settings(settings, localstripe):
    settings.STRIPE_API_KEY = "sk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    # localstripe has no return_url parameter: it answers 3-D Secure with use_stripe_sdk.
    settings.STRIPE_SEND_RETURN_URL = False
    return settings


@pytest.fixture
def stripe_api(db, stripe_settings):
    return MerchantClient(merchant_with_keys("Stripe Shop", gateway="stripe"))
