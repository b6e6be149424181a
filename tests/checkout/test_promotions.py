import threading

import pytest
from django.db import connection, transaction

from checkout.models import Promotion
from checkout.services.pricing import promotion_redeem
from core.exceptions import DomainError
from tests.checkout.pricing_helpers import promotion
from tests.factories import MerchantFactory


@pytest.mark.django_db
def test_redeem_counts_up_to_the_limit():
    promo = promotion(MerchantFactory(), "TWICE", usage_limit=2)
    promotion_redeem(promotion_id=promo.pk)
    promotion_redeem(promotion_id=promo.pk)
    with pytest.raises(DomainError) as exc:
        promotion_redeem(promotion_id=promo.pk)
    assert exc.value.code == "invalid_promotion" and exc.value.status_code == 409
    promo.refresh_from_db()
    assert promo.times_redeemed == 2


@pytest.mark.django_db
def test_redeem_without_limit_and_inactive():
    merchant = MerchantFactory()
    unlimited = promotion(merchant, "ANY")
    for _ in range(3):
        promotion_redeem(promotion_id=unlimited.pk)
    unlimited.refresh_from_db()
    assert unlimited.times_redeemed == 3
    inactive = promotion(merchant, "OFF", is_active=False)
    with pytest.raises(DomainError):
        promotion_redeem(promotion_id=inactive.pk)
    inactive.refresh_from_db()
    assert inactive.times_redeemed == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_pass_the_limit():
    promo = promotion(MerchantFactory(), "RACE", usage_limit=3)
    threads_count = 10
    barrier = threading.Barrier(threads_count, timeout=10)
    outcomes = []
    lock = threading.Lock()

    def redeem():
        result = "unexpected"
        try:
            barrier.wait()
            # As finalization will: inside its own transaction, holding the row briefly.
            with transaction.atomic():
                promotion_redeem(promotion_id=promo.pk)
            result = "ok"
        except DomainError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=redeem) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(outcomes) == ["invalid_promotion"] * 7 + ["ok"] * 3
    assert Promotion.objects.get(pk=promo.pk).times_redeemed == 3
