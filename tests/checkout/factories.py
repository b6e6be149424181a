import factory

from checkout.models import PickupLocation, ShippingRate
from tests.factories import MerchantFactory


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRate

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Rate {n}")
    carrier = "UPS"
    service_code = factory.Sequence(lambda n: f"svc_{n}")
    countries = factory.LazyFunction(lambda: ["US"])
    currency = "USD"
    amount = 500
    min_delivery_days = 2
    max_delivery_days = 5


class PickupLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PickupLocation

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    line1 = "1 Market St"
    city = "San Francisco"
    postal_code = "94105"
    country = "US"
    opening_hours = "Mon–Sat 9–18"
