import uuid

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import merchant_with_keys


class MerchantClient(APIClient):
    """An API client authenticated as one merchant; `.secrets` holds its credentials."""

    def __init__(self, secrets, **kwargs):
        super().__init__(**kwargs)
        self.secrets = secrets
        self.merchant = secrets.merchant
        self.credentials(HTTP_AUTHORIZATION=f"Bearer {secrets.secret_key}")


@pytest.fixture
def merchant_secrets(db):
    return merchant_with_keys("Acme")


@pytest.fixture
def merchant(merchant_secrets):
    return merchant_secrets.merchant


@pytest.fixture
def api(merchant_secrets):
    return MerchantClient(merchant_secrets)


@pytest.fixture
def other_api(db):
    """A second tenant: everything of the first must be invisible (404) to it."""
    return MerchantClient(merchant_with_keys("Other Corp"))


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_cache_namespace():
    """Rate-limit counters live in the shared Redis: each test counts from zero, without
    flushing a database the broker may share. (Not through the `settings` fixture: some
    tests name a parameter `settings`.)"""
    prefix = f"test-{uuid.uuid4().hex}"
    caches = {alias: {**config, "KEY_PREFIX": prefix} for alias, config in django_settings.CACHES.items()}
    with override_settings(CACHES=caches):
        yield


@pytest.fixture
def fresh_heartbeats(db):
    """The worker and beat have just shown signs of life, as they do in a running system."""
    from core.heartbeats import BEAT, WORKER, heartbeat_record

    heartbeat_record(WORKER)
    heartbeat_record(BEAT)


pytest_plugins = ["tests.celery_worker"]
