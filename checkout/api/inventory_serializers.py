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
    requested = serializers.IntegerField(source="requested_quantity", help_text="What the cart asked for")
    reserved = serializers.IntegerField(source="quantity", help_text="What is held")
    reserved_quantity = serializers.IntegerField(source="quantity", help_text="Same as reserved")
    shortfall = serializers.IntegerField(help_text="requested − reserved; above 0 only with best_fit")
    tracked = serializers.BooleanField(help_text="False when the provider does not count this SKU's stock")


class ReservationAllocationSerializer(serializers.Serializer):
    location_id = serializers.CharField(source="location.public_id")
    location_code = serializers.CharField(source="location.code")
    sku = serializers.CharField()
    quantity = serializers.IntegerField()


class ReservationSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    reservation_id = serializers.CharField(source="public_id")
    checkout_id = serializers.CharField(source="session.public_id")
    status = serializers.SerializerMethodField()
    provider = serializers.CharField()
    allocation_strategy = serializers.CharField(help_text="fifo | best_fit")
    partial = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    lines = ReservationLineSerializer(many=True)
    allocations = ReservationAllocationSerializer(
        many=True, help_text="Units held at each stock location (a selected split shipment plan); else empty"
    )

    def get_object(self, reservation) -> str:
        return "checkout.reservation"

    def get_partial(self, reservation) -> bool:
        """True when some line holds less than the cart asked for (best_fit)."""
        return any(line.shortfall for line in reservation.lines.all())

    @extend_schema_field(serializers.CharField(help_text=" | ".join(Reservation.Status.values)))
    def get_status(self, reservation):
        # An active hold past its expiry already counts for nothing; say so before the
        # tidy job gets round to recording it.
        return reservation.effective_status(self.context.get("now") or timezone.now())


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Hold for 15 minutes, best fit (the API document's example)",
            request_only=True,
            value={"expires_in_seconds": 900, "allocation_strategy": "best_fit"},
        ),
        OpenApiExample(
            "All lines or nothing", request_only=True, value={"expires_in_seconds": 900, "allocation_strategy": "fifo"}
        ),
    ]
)
class ReserveInputSerializer(StrictSerializer):
    expires_in_seconds = serializers.IntegerField(
        min_value=1,
        max_value=HOLD_MINUTES_CEILING * 60,
        required=False,
        help_text="How long to hold; default the merchant's hold_minutes, at most its max_hold_minutes "
        "(400 beyond), never past the session's expiry",
    )
    allocation_strategy = serializers.ChoiceField(
        Reservation.AllocationStrategy.choices,
        required=False,
        default=Reservation.AllocationStrategy.FIFO,
        help_text="fifo (default): every line in full or nothing (409 inventory_shortfall). best_fit: what is "
        "available of each line, the shortfall per line (partial: true). explicit_lots: refused (400 "
        "allocation_strategy_unsupported): stock is counted by SKU, not lot.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample("Ten more minutes", request_only=True, value={"minutes": 10}),
        OpenApiExample("Fifteen more minutes, in seconds", request_only=True, value={"expires_in_seconds": 900}),
    ]
)
class ExtendInputSerializer(StrictSerializer):
    minutes = StrictIntegerField(
        min_value=1,
        max_value=HOLD_MINUTES_CEILING,
        required=False,
        help_text="From now; default the merchant's hold_minutes, at most its max_hold_minutes",
    )
    expires_in_seconds = serializers.IntegerField(
        min_value=60,
        max_value=HOLD_MINUTES_CEILING * 60,
        required=False,
        help_text="The same in seconds (whole minutes are used, rounded up); send one of the two",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "minutes" in attrs and "expires_in_seconds" in attrs:
            raise serializers.ValidationError({"expires_in_seconds": "Send minutes or expires_in_seconds, not both."})
        if "expires_in_seconds" in attrs:
            attrs["minutes"] = -(-attrs.pop("expires_in_seconds") // 60)
        return attrs


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
