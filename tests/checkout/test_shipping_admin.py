import pytest
from django.contrib.auth import get_user_model

from checkout.admin import ShippingRateForm
from tests.checkout.factories import PickupLocationFactory, ShippingRateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def test_rate_and_pickup_changelists_render_with_merchant_filter(staff_client, merchant):
    rate = ShippingRateFactory(merchant=merchant)
    pickup = PickupLocationFactory(merchant=merchant)
    for url, row in (("/admin/checkout/shippingrate/", rate), ("/admin/checkout/pickuplocation/", pickup)):
        response = staff_client.get(f"{url}?merchant__id__exact={merchant.pk}")
        assert response.status_code == 200
        assert row.name in response.content.decode()
        assert staff_client.get(f"{url}{row.pk}/change/").status_code == 200


def _form(merchant, **changes):
    data = {"merchant": merchant.pk, "name": "Ground", "carrier": "UPS", "service_code": "ground",
            "countries": '["us", "CA"]', "currency": "usd", "amount": 500, "min_delivery_days": 1,
            "max_delivery_days": 5, "tax_code": "shipping", "is_active": True, **changes}  # fmt: skip
    return ShippingRateForm(data=data)


def test_rate_form_normalises_codes_and_rejects_bad_ones(merchant):
    form = _form(merchant)
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["countries"], form.cleaned_data["currency"]) == (["US", "CA"], "USD")
    bad = _form(merchant, countries='["USA", "XX"]', currency="ABC", min_weight_grams=500, max_weight_grams=100)
    assert not bad.is_valid()
    assert set(bad.errors) == {"countries", "currency", "max_weight_grams"}
