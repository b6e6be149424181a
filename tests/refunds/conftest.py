import pytest

# The Stripe fixtures of the payments tests (localstripe, a recording server, both on
# loopback), reused here.
from tests.payments.conftest import (  # noqa: F401
    httpserver_listen_address,
    localstripe,
    stripe_api,
    stripe_settings,
)
from tests.refunds.helpers import staff


@pytest.fixture
def approver(db):
    return staff("alice")


@pytest.fixture
def second_approver(db):
    return staff("bob")
