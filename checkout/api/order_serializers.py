"""Shapes of approval, finalization, orders, receipts and the hosted/embedded endpoints."""

import json

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from checkout.api.serializers import AddressSerializer, TotalsSerializer
from checkout.order_selectors import order_amount_captured, order_payment_status, order_payments
from checkout.receipts import receipt_amounts
from core.api.serializers import StrictSerializer
from core.exceptions import DomainError
from payments.bnpl.selectors import installments_for_payment_intent

# A hint travels with the order to the merchant's order system; it is not a document store.
ORDER_SERVICE_HINT_MAX_BYTES = 4096
ORDER_SERVICE_HINT_MAX_DEPTH = 5


class NoBodySerializer(StrictSerializer):
    """An action that takes no input: any field sent is a 400 naming it."""


def _depth(value, level=1) -> int:
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()], default=level)
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value], default=level)
    return level - 1


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The API document's body",
            request_only=True,
            value={"create_order": True, "order_service_hint": {"fulfilment_center": "LON-1", "priority": "standard"}},
        ),
        OpenApiExample("No body: the same as create_order true", request_only=True, value={}),
    ]
)
class FinalizeInputSerializer(StrictSerializer):
    create_order = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Must be true (the default): a finalized session always hands off exactly one order. "
        "false is 400 option_unsupported",
    )
    order_service_hint = serializers.DictField(
        required=False,
        default=dict,
        help_text=f"Any JSON object (at most {ORDER_SERVICE_HINT_MAX_BYTES} bytes, {ORDER_SERVICE_HINT_MAX_DEPTH} "
        "levels), stored on the order as given and answered in order.order_service_hint",
    )

    def validate_create_order(self, value):
        if not value:
            raise DomainError(
                "create_order must be true: finalizing always hands off exactly one order (order_id, receipt_id).",
                code="option_unsupported",
                param="create_order",
                explain="leave create_order out, or send true; to stop without an order, cancel the session",
            )
        return value

    def validate_order_service_hint(self, value):
        if len(json.dumps(value, separators=(",", ":")).encode()) > ORDER_SERVICE_HINT_MAX_BYTES:
            raise serializers.ValidationError(f"At most {ORDER_SERVICE_HINT_MAX_BYTES} bytes of JSON.")
        if _depth(value) > ORDER_SERVICE_HINT_MAX_DEPTH:
            raise serializers.ValidationError(f"At most {ORDER_SERVICE_HINT_MAX_DEPTH} levels of nesting.")
        return value


class DeclineInputSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, help_text="Shown to the shopper")


class OrderLineSerializer(serializers.Serializer):
    line_id = serializers.CharField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_amount = serializers.IntegerField()
    discount_amount = serializers.IntegerField()
    tax_amount = serializers.IntegerField()
    total_amount = serializers.IntegerField()


class OrderCustomerSerializer(serializers.Serializer):
    email = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    reference = serializers.CharField()


class PaymentMethodBriefSerializer(serializers.Serializer):
    brand = serializers.CharField()
    last4 = serializers.CharField()


class ReceiptSerializer(serializers.Serializer):
    receipt_id = serializers.CharField()
    url = serializers.CharField()
    issued_at = serializers.DateTimeField()
    merchant_name = serializers.CharField()
    formatted = serializers.DictField(child=serializers.CharField(), help_text="Totals formatted for the locale")


class OrderSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    checkout_id = serializers.CharField(source="session.public_id")
    status = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    totals = serializers.SerializerMethodField()
    lines = OrderLineSerializer(many=True)
    customer = OrderCustomerSerializer()
    shipping_address = AddressSerializer(allow_null=True, required=False)
    billing_address = AddressSerializer(allow_null=True, required=False)
    shipping = serializers.DictField(allow_null=True)
    shipments = serializers.ListField(
        child=serializers.DictField(),
        help_text="One entry per parcel of a split shipment plan (location, lines, shipping_option, "
        "shipping_amount, estimate, status); empty when the order ships as one or not at all",
    )
    calculation_id = serializers.CharField()
    reservation_id = serializers.CharField()
    payment_intent_id = serializers.CharField()
    payment_status = serializers.SerializerMethodField(
        help_text="Where the payment stands now: captured, authorized (manual capture, not yet captured), "
        "partially_refunded, refunded, disputed, canceled (an authorization voided), expired, or "
        "settled_outside (a manual override)"
    )
    amount_captured = serializers.SerializerMethodField()
    payment_method = PaymentMethodBriefSerializer(allow_null=True)
    payments = serializers.SerializerMethodField(
        help_text="Everything that paid for the order, in the order it was taken, each with the amount it paid: "
        "{type: gift_card, amount, last4}, {type: store_credit, amount}, {type: card, amount, brand, last4, "
        "payment_intent_id}. A split payment lists each part (its card part for the card's amount, not the "
        "order's total); an order paid by one card lists that card for the whole amount."
    )
    receipt = serializers.SerializerMethodField()
    installments = serializers.SerializerMethodField(
        help_text="Paid by buy now, pay later: the schedule (as GET /payment-intents/{id}/installments); else null"
    )
    order_service_hint = serializers.DictField(help_text="finalize's order_service_hint, as given")
    created_at = serializers.DateTimeField()

    def get_object(self, order) -> str:
        return "order"

    def get_payment_status(self, order) -> str:
        return order_payment_status(order)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_payments(self, order):
        return order_payments(order)

    def get_amount_captured(self, order) -> int:
        return order_amount_captured(order)

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, order):
        return {"currency": order.currency, **order.totals}

    @extend_schema_field(serializers.ListField(child=serializers.DictField(), allow_null=True))
    def get_installments(self, order):
        if getattr(order, "installments_known_none", False):
            return None  # finalize knew: its intent could not be paid by a plan
        return installments_for_payment_intent(merchant_id=order.merchant_id, payment_intent_id=order.payment_intent_id)

    @extend_schema_field(ReceiptSerializer)
    def get_receipt(self, order):
        return {
            "receipt_id": order.receipt_id,
            "url": receipt_url(order),
            "issued_at": order.created_at,
            "merchant_name": order.merchant.name,
            "formatted": receipt_amounts(order),
        }


def receipt_url(order) -> str:
    return settings.PUBLIC_BASE_URL + reverse("receipt", kwargs={"receipt_id": order.receipt_id})


class FinalizeResultSerializer(serializers.Serializer):
    object = serializers.CharField()
    status = serializers.ChoiceField(["completed"], help_text="The API document's outcome: the session is completed")
    checkout_id = serializers.CharField()
    order_id = serializers.CharField(source="order.public_id")
    receipt_id = serializers.CharField(source="order.receipt_id")
    created = serializers.BooleanField(help_text="false when the session was already finalized")
    order = OrderSerializer()


class FinalizationJobSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    job_id = serializers.CharField(source="public_id")
    checkout_id = serializers.CharField(source="session.public_id")
    status = serializers.CharField(help_text="queued, running, succeeded or failed")
    order_id = serializers.SerializerMethodField()
    error = serializers.DictField(allow_null=True, help_text="{code, message} once failed")
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_object(self, job) -> str:
        return "finalization"

    receipt_id = serializers.SerializerMethodField()

    def get_order_id(self, job) -> str | None:
        return job.order.public_id if job.order_id else None

    def get_receipt_id(self, job) -> str | None:
        return job.order.receipt_id if job.order_id else None


class RollbackResultSerializer(serializers.Serializer):
    object = serializers.CharField()
    checkout_id = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    holds_released = serializers.IntegerField()
    payment = serializers.CharField(
        help_text="voided, refunded, canceled, nothing_held, or pending (the gateway will be asked again)"
    )


class HostedUrlSerializer(serializers.Serializer):
    object = serializers.CharField()
    checkout_id = serializers.CharField()
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()
    ttl_seconds = serializers.IntegerField(help_text="Seconds the link stays valid from now (its TTL)")


class EmbedTokenSerializer(serializers.Serializer):
    object = serializers.CharField()
    checkout_id = serializers.CharField()
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    ttl_seconds = serializers.IntegerField()


class HostedStatusSerializer(serializers.Serializer):
    object = serializers.CharField()
    checkout_id = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    order_id = serializers.CharField(allow_null=True)
    redirect_url = serializers.CharField(
        allow_null=True, help_text="success_url or error_url with ?checkout_id=…; null while under way"
    )
    payment_intent_id = serializers.CharField(allow_null=True)
    payment_intent_status = serializers.CharField(allow_null=True)
    payment_deadline_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField()
