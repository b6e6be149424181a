import pytest
from django.test import Client

from tests.conftest import MerchantClient
from tests.factories import merchant_with_keys
from tests.hosted.helpers import session_create, shop_setup


@pytest.fixture
def shop_api(db):
    api = MerchantClient(merchant_with_keys("Northwind Goods"))
    api.rates = shop_setup(api.merchant)
    return api


@pytest.fixture
def checkout_session(shop_api):
    return session_create(shop_api)


@pytest.fixture
def browser(db):
    """A shopper's browser: cookies kept, CSRF enforced as in production."""
    return Client(enforce_csrf_checks=False)
