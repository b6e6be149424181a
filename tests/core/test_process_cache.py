"""Per-process caches: served from memory while the scope's version holds, reloaded once
it changes, is lost from the shared cache, or the entry grows old; the database answers
when the shared cache is down."""

from unittest import mock

import pytest
from django.core.cache import cache

from core import process_cache


@pytest.fixture
def loads():
    process_cache.clear()
    calls = []

    def load():
        calls.append(1)
        return len(calls)

    yield calls, load
    process_cache.clear()


def test_memory_until_the_scope_is_invalidated(loads):
    calls, load = loads
    assert process_cache.cached("t", "k", scope="s1", load=load) == 1
    assert process_cache.cached("t", "k", scope="s1", load=load) == 1
    process_cache.scope_invalidate("s1")  # outside a transaction: at once
    assert process_cache.cached("t", "k", scope="s1", load=load) == 2
    assert len(calls) == 2


def test_a_lost_version_outdates_instead_of_resurrecting(loads):
    calls, load = loads
    process_cache.cached("t", "k", scope="s2", load=load)
    cache.delete("pcv:s2")  # evicted or flushed
    assert process_cache.cached("t", "k", scope="s2", load=load) == 2


def test_no_entry_outlives_its_maximum_age(loads, monkeypatch):
    calls, load = loads
    process_cache.cached("t", "k", scope="s3", load=load)
    later = process_cache.time.monotonic() + process_cache.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(process_cache.time, "monotonic", lambda: later)
    assert process_cache.cached("t", "k", scope="s3", load=load) == 2


def test_shared_cache_down_means_the_database_answers(loads):
    calls, load = loads
    with mock.patch.object(process_cache, "scope_version", side_effect=ConnectionError("redis down")):
        assert process_cache.cached("t", "k", scope="s4", load=load) == 1
        assert process_cache.cached("t", "k", scope="s4", load=load) == 2


def test_off_where_the_shared_cache_is_process_memory(loads, settings):
    calls, load = loads
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    process_cache.cached("t", "k", scope="s5", load=load)
    process_cache.cached("t", "k", scope="s5", load=load)
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_queryset_update_outdates_the_rows_it_touched_though_no_signal_fires(api):
    from checkout.models import ShippingRate, TaxRate
    from checkout.rate_tables import shipping_rate_get, tax_rates

    process_cache.clear()
    rate = ShippingRate.objects.create(
        merchant=api.merchant, name="Ground", carrier="UPS", service_code="ground", countries=["US"],
        currency="USD", amount=599,
    )  # fmt: skip
    TaxRate.objects.create(merchant=api.merchant, country="US", tax_code="", rate_bps=725)
    assert shipping_rate_get(merchant_id=api.merchant.pk, public_id=rate.public_id).amount == 599
    assert [t.rate_bps for t in tax_rates(merchant_id=api.merchant.pk, country="US", tax_codes=[""])] == [725]

    ShippingRate.objects.filter(pk=rate.pk).update(amount=650)
    TaxRate.objects.filter(merchant=api.merchant).update(rate_bps=800)

    assert shipping_rate_get(merchant_id=api.merchant.pk, public_id=rate.public_id).amount == 650
    assert [t.rate_bps for t in tax_rates(merchant_id=api.merchant.pk, country="US", tax_codes=[""])] == [800]


@pytest.mark.django_db
def test_a_key_revoked_by_a_queryset_update_is_refused_at_once_and_its_use_stamp_outdates_nothing(api):
    from django.utils import timezone

    from merchants.cached import api_key_for_lookup
    from merchants.models import ApiKey

    process_cache.clear()
    key = ApiKey.objects.filter(merchant=api.merchant, kind="secret").first()
    assert api_key_for_lookup(key.lookup).is_active
    version = process_cache.scope_version(f"apikey:{key.lookup}")

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    assert process_cache.scope_version(f"apikey:{key.lookup}") == version

    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert not api_key_for_lookup(key.lookup).is_active
