import factory

from merchants.models import Merchant
from merchants.services import merchant_create


class MerchantFactory(factory.django.DjangoModelFactory):
    """A bare merchant row; use `merchant_with_keys` when the test calls the API."""

    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")


def merchant_with_keys(name="Acme", **settings_values):
    return merchant_create(name=name, **settings_values)
