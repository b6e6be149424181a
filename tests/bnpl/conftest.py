from tests.hosted.conftest import checkout_session, shop_api  # noqa: F401 (fixtures)
