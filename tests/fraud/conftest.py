# The hosted pages' fixtures (a shop, a session, a shopper's browser).
from tests.hosted.conftest import browser, checkout_session, shop_api  # noqa: F401
