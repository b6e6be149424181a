"""Input and output shapes of the refunds API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictIntegerField, StrictSerializer
from refunds.models import RefundRequest

MAX_LINES = 100


class RefundLineSerializer(StrictSerializer):
    line_id = serializers.CharField(max_length=64, help_text="The cart line's id")
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000)


class RefundAllocationSerializer(StrictSerializer):
    part = StrictIntegerField(min_value=0, max_value=100, help_text="The split payment part's position")
    amount = StrictIntegerField(min_value=1, help_text="Minor units this part gives back")


class RefundShareSerializer(serializers.Serializer):
    part = serializers.IntegerField(help_text="The split payment part's position")
    type = serializers.CharField(help_text="card, gift_card or store_credit")
    amount = serializers.IntegerField()


class RefundBankAccountSerializer(StrictSerializer):
    iban = serializers.CharField(max_length=42, help_text="The payer's IBAN (spaces allowed)")
    account_holder = serializers.CharField(max_length=70, help_text="The name on that account")


class RefundBankTransferSerializer(serializers.Serializer):
    iban_last4 = serializers.CharField(help_text="The last four characters of the IBAN the transfer goes to")
    account_holder = serializers.CharField()
    account_source = serializers.CharField(
        help_text="statement: the account the payment came from, as the bank statement booked it; request: named "
        "in the refund request because no statement showed it"
    )
    reference = serializers.CharField(help_text="What the transfer quotes: the refund's id")
    sent_at = serializers.DateTimeField(allow_null=True, help_text="When finance sent the transfer (null: not yet)")
    bank_reference = serializers.CharField(help_text="The bank's reference of the sent transfer")


class RefundCreateSerializer(StrictSerializer):
    amount = StrictIntegerField(
        min_value=1, required=False, help_text="Minor units; omitted: everything not yet refunded"
    )
    reason = serializers.ChoiceField(
        RefundRequest.Reason.choices,
        required=False,
        default="requested_by_customer",
        help_text="Default: requested_by_customer",
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    lines = RefundLineSerializer(many=True, required=False, max_length=MAX_LINES)
    receipt_email = serializers.EmailField(
        required=False, allow_blank=True, default="", help_text="Where the shopper's refund confirmation goes"
    )
    allocations = RefundAllocationSerializer(
        many=True,
        required=False,
        max_length=10,
        help_text="For an intent paid as a split: which parts give the money back (default: the card first)",
    )
    refund_to = serializers.ChoiceField(
        RefundRequest.Destination.choices,
        required=False,
        default="original",
        help_text="original (default): where the money came from; store_credit: the customer's store credit",
    )
    customer_id = serializers.CharField(
        max_length=200,
        required=False,
        default="",
        help_text="With refund_to store_credit: whose account (default: the session's owner)",
    )
    bank_account = RefundBankAccountSerializer(
        required=False,
        help_text="For a payment made by bank transfer whose statement does not show the payer's account: where "
        "the refund's transfer goes",
    )

    def validate_allocations(self, allocations):
        parts = [item["part"] for item in allocations]
        if len(parts) != len(set(parts)):
            raise serializers.ValidationError("Name each part once.")
        return allocations

    def validate_lines(self, lines):
        ids = [line["line_id"] for line in lines]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Name each line_id once.")
        return lines

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["reason"] == RefundRequest.Reason.OTHER and not attrs.get("note", "").strip():
            raise serializers.ValidationError({"note": "Say why when the reason is 'other'."})
        return attrs


class RefundInformationSerializer(StrictSerializer):
    information = serializers.CharField(max_length=2000, help_text="The answer to the reviewer's question")


class RefundListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(RefundRequest.State.choices, required=False)
    payment_intent = serializers.CharField(max_length=40, required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lte = serializers.DateTimeField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False)
    cursor = serializers.CharField(required=False)


class RefundReviewSerializer(serializers.Serializer):
    auto_approved = serializers.BooleanField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    info_request = serializers.CharField(help_text="The reviewer's question, while or after NEEDS_INFO")
    info_response = serializers.CharField()
    rejection_reason = serializers.CharField()


class RefundFailureSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(allow_null=True)


class RefundSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    payment_intent = serializers.CharField(source="payment.public_id")
    status = serializers.CharField(source="state", help_text="SPEC section 3: pending, under_review, needs_info, …")
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    reason = serializers.CharField()
    note = serializers.CharField()
    lines = RefundLineSerializer(many=True)
    refund_to = serializers.CharField(help_text="original or store_credit")
    allocations = RefundShareSerializer(many=True, help_text="The split payment's parts drawn on ([] when not split)")
    receipt_email = serializers.CharField()
    bank_transfer = serializers.SerializerMethodField(
        help_text="A payment made by bank transfer is refunded by a transfer to the payer's account: while it waits "
        "for finance to send it the refund is processing; null for every other refund"
    )
    requested_by = serializers.CharField()
    review = serializers.SerializerMethodField()
    failure = serializers.SerializerMethodField()
    gateway_reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()

    def get_object(self, refund) -> str:
        return "refund"

    @extend_schema_field(RefundReviewSerializer)
    def get_review(self, refund):
        return RefundReviewSerializer(refund).data

    @extend_schema_field(RefundBankTransferSerializer(allow_null=True))
    def get_bank_transfer(self, refund):
        if not refund.transfer_iban:
            return None
        return RefundBankTransferSerializer(
            {
                "iban_last4": refund.transfer_iban[-4:],
                "account_holder": refund.transfer_account_holder,
                "account_source": refund.transfer_account_source,
                "reference": refund.public_id,
                "sent_at": refund.transfer_sent_at,
                "bank_reference": refund.transfer_bank_reference,
            }
        ).data

    @extend_schema_field(RefundFailureSerializer(allow_null=True))
    def get_failure(self, refund):
        if refund.state != RefundRequest.State.FAILED or not refund.last_error:
            return None
        return {"code": refund.last_error.get("code", ""), "message": refund.last_error.get("message")}
