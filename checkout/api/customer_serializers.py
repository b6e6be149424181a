"""Input and output shapes of the customer, contact and address endpoints.

These check shape and length only; what a valid phone or address is for a country is
decided in checkout.addresses, so the API and the hosted pages agree.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from checkout.api.serializers import AddressSerializer
from core.api.serializers import StrictSerializer


class AtLeastOneFieldSerializer(StrictSerializer):
    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError(f"Send at least one of: {', '.join(self.fields)}.")
        return attrs


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The shopper",
            request_only=True,
            value={
                "email": "ada@example.com",
                "phone": "+14155550100",
                "customer_id": "user_1",
                "save_for_later": True,
            },
        )
    ]
)
class CustomerInputSerializer(AtLeastOneFieldSerializer):
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="Any format; stored as E.164"
    )
    customer_id = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="The merchant's id for a signed-in customer"
    )
    reference = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Older name of customer_id"
    )
    save_for_later = serializers.BooleanField(
        required=False,
        help_text="The shopper asks for their payment preferences to be kept; recorded on the session "
        "(customer.save_for_later) and in the timeline for the merchant to act on",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Contact details", request_only=True, value={"email": "ada@example.com", "phone": "+14155550100"}
        )
    ]
)
class ContactInputSerializer(AtLeastOneFieldSerializer):
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="Any format; stored as E.164"
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A US address",
            request_only=True,
            value={
                "name": "Ada Lovelace",
                "line1": "1 Main St",
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62701",
                "country": "US",
                "phone": "+12175550100",
            },
        )
    ]
)
class AddressInputSerializer(StrictSerializer):
    """The whole address: fields left out are stored empty."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=300, required=False, allow_blank=True)
    line2 = serializers.CharField(max_length=300, required=False, allow_blank=True)
    city = serializers.CharField(max_length=200, required=False, allow_blank=True)
    region = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="State, province or prefecture"
    )
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(max_length=64, help_text="ISO 3166-1 alpha-2, e.g. US")
    phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="Any format; stored as E.164"
    )


class AddressesSerializer(serializers.Serializer):
    object = serializers.CharField(help_text="checkout.addresses")
    shipping_address = AddressSerializer(allow_null=True)
    billing_address = AddressSerializer(allow_null=True)
    billing_address_required = serializers.BooleanField()
