"""Input and output shapes of the shipping-options, select-shipping and pickup endpoints."""

from rest_framework import serializers

from checkout.api.serializers import StrictSerializer


class ShippingOptionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Pass as shipping_option_id to select-shipping")
    name = serializers.CharField()
    carrier = serializers.CharField()
    service_code = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units of `currency`")
    currency = serializers.CharField()
    min_delivery_days = serializers.IntegerField()
    max_delivery_days = serializers.IntegerField()


class ShippingOptionsSerializer(serializers.Serializer):
    """A quote: the options and the facts they were chosen by."""

    object = serializers.CharField(help_text="list")
    shipping_required = serializers.BooleanField(help_text="False when no line ships: no options to choose")
    country = serializers.CharField(allow_null=True, help_text="Of the shipping address; null until one is set")
    currency = serializers.CharField()
    sub_total = serializers.IntegerField(help_text="Sum of quantity × unit_amount, minor units")
    weight_grams = serializers.IntegerField(help_text="Weight of the lines that ship")
    selected_shipping_option_id = serializers.CharField(allow_null=True)
    data = ShippingOptionSerializer(many=True)


class SelectShippingInputSerializer(StrictSerializer):
    shipping_option_id = serializers.CharField(max_length=40)


class PickupLocationInputSerializer(StrictSerializer):
    pickup_location_id = serializers.CharField(max_length=40)
