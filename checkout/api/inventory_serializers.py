"""Input and output shapes of the reservation, holds and inventory endpoints."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from checkout.models import Reservation
from checkout.services.inventory import HOLD_MINUTES_CEILING
from core.api.serializers import StrictIntegerField, StrictSerializer

MAX_STOCK_ITEMS = 500
MAX_ON_HAND = 10**9


class ReservationLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    requested = serializers.IntegerField(source="quantity")
    # Holds are all-or-nothing, so a granted line always holds what it asked for.
    reserved = serializers.IntegerField(source="quantity")
    tracked = serializers.BooleanField(help_text="False when the provider does not count this SKU's stock")


class ReservationSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    reservation_id = serializers.CharField(source="public_id")
    checkout_id = serializers.CharField(source="session.public_id")
    status = serializers.SerializerMethodField()
    provider = serializers.CharField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    lines = ReservationLineSerializer(many=True)

    def get_object(self, reservation) -> str:
        return "checkout.reservation"

    @extend_schema_field(serializers.CharField(help_text=" | ".join(Reservation.Status.values)))
    def get_status(self, reservation):
        # An active hold past its expiry already counts for nothing; say so before the
        # tidy job gets round to recording it.
        return reservation.effective_status(self.context.get("now") or timezone.now())


@extend_schema_serializer(examples=[OpenApiExample("Ten more minutes", request_only=True, value={"minutes": 10})])
class ExtendInputSerializer(StrictSerializer):
    minutes = StrictIntegerField(
        min_value=1,
        max_value=HOLD_MINUTES_CEILING,
        required=False,
        help_text="From now; default the merchant's hold_minutes, at most its max_hold_minutes",
    )


class StockItemSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    sku = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_object(self, item) -> str:
        return "inventory_item"

    def get_reserved(self, item) -> int:
        return self.context["reserved"].get(item.sku, 0)

    def get_available(self, item) -> int:
        return max(item.on_hand - self.get_reserved(item), 0)


class StockLevelInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    on_hand = StrictIntegerField(min_value=0, max_value=MAX_ON_HAND)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Load stock",
            request_only=True,
            value={"items": [{"sku": "MUG", "on_hand": 25}, {"sku": "TSHIRT-M", "on_hand": 8}]},
        )
    ]
)
class StockSetInputSerializer(StrictSerializer):
    items = StockLevelInputSerializer(many=True, allow_empty=False, max_length=MAX_STOCK_ITEMS)

    def validate_items(self, items):
        seen = set()
        for item in items:
            if item["sku"] in seen:
                raise serializers.ValidationError(f"SKU {item['sku']!r} appears more than once.")
            seen.add(item["sku"])
        return items


class StockListSerializer(serializers.Serializer):
    object = serializers.CharField(default="list")
    data = StockItemSerializer(many=True)


@extend_schema_serializer(examples=[OpenApiExample("Two returned to stock", request_only=True, value={"delta": 2})])
class StockAdjustInputSerializer(StrictSerializer):
    delta = StrictIntegerField(
        min_value=-MAX_ON_HAND, max_value=MAX_ON_HAND, help_text="Added to on_hand; negative removes"
    )

    def validate_delta(self, value):
        if value == 0:
            raise serializers.ValidationError("A delta of 0 changes nothing.")
        return value
