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


# What data migrations put in the database (the beat schedule, the staff roles). A
# transactional test empties every table when it ends, and with parallel processes a
# test that expects these rows may run after one in the same process: put them back.
MIGRATION_SEEDS = (
    "django_celery_beat.IntervalSchedule",
    "django_celery_beat.CrontabSchedule",
    "django_celery_beat.PeriodicTask",
    "django_celery_beat.PeriodicTasks",
    "auth.Group",
)
DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_serialized_rollback"}


@pytest.fixture(scope="session")
def migration_seeds(django_db_setup, django_db_blocker) -> str:
    from django.apps import apps
    from django.core import serializers

    with django_db_blocker.unblock():
        rows = [row for label in MIGRATION_SEEDS for row in apps.get_model(label)._default_manager.order_by("pk")]
        # Permissions by natural key: a flush recreates them with new primary keys.
        return serializers.serialize("json", rows, use_natural_foreign_keys=True)


@pytest.fixture(autouse=True)
def _migration_seeds_present(request):
    if request.node.get_closest_marker("django_db") is None and not DB_FIXTURES & set(request.fixturenames):
        return
    seeds = request.getfixturevalue("migration_seeds")
    request.getfixturevalue("_django_db_helper")
    from django.contrib.auth.models import Group
    from django.core import serializers
    from django_celery_beat.models import PeriodicTask

    if PeriodicTask.objects.exists() or Group.objects.exists():
        return
    for row in serializers.deserialize("json", seeds):
        row.save()


pytest_plugins = ["tests.celery_worker"]
