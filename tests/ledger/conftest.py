# The Stripe fixtures of the payments tests (localstripe and a recording server, both on
# loopback), reused here.
from tests.payments.conftest import (  # noqa: F401
    httpserver_listen_address,
    localstripe,
    stripe_api,
    stripe_settings,
)
