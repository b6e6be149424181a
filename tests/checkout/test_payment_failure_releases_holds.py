import pytest

from checkout.models import Reservation
from tests.checkout.inventory_helpers import load_stock, new_session, reserve, stock_levels
from tests.payments.helpers import DECLINE, V1, confirm, create_intent, ok, tokenize

# The payment listener runs after commit, so the test needs real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payment_that_fails_for_good_releases_the_sessions_stock_holds(api):
    api.merchant.max_payment_attempts = 2
    api.merchant.save()
    load_stock(api, {"LAMP": 1})
    checkout_id = new_session(api, [("LAMP", 1)])
    ok(api.post(f"{V1}/sessions/{checkout_id}/calculate", {}, format="json"))
    assert reserve(api, checkout_id).status_code == 201
    assert stock_levels(api)["LAMP"]["available"] == 0
    intent = create_intent(api, checkout_id)

    for _ in range(2):
        assert confirm(api, intent["id"], tokenize(api, DECLINE)).status_code == 402

    assert ok(api.get(f"{V1}/sessions/{checkout_id}"))["status"] == "failed"
    assert Reservation.objects.get(session__public_id=checkout_id).status == Reservation.Status.RELEASED
    # The last lamp is for sale again at once, not when the hold would have lapsed.
    assert stock_levels(api)["LAMP"]["available"] == 1
