# The loopback webhook receiver the webhook tests use.
from tests.merchants.webhooks.conftest import receiver  # noqa: F401
