from rest_framework import serializers

from reconciliation.models import Format, StatementLine


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The statement: CSV, MT940 or CAMT.053 XML")
    format = serializers.ChoiceField(Format.choices, required=False, help_text="Detected from the content if absent")
    csv_mapping = serializers.JSONField(
        required=False,
        help_text='For CSV: {"date": col, "amount": col, "currency": col, "reference": col, "counterparty": col, '
        '"date_format": "%d/%m/%Y", "amount_unit": "major"|"minor"}; absent: a Stripe-like payout report layout',
    )


class LinesQuerySerializer(serializers.Serializer):
    lines_after = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=100)


class StatementLineSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    position = serializers.IntegerField()
    booked_on = serializers.DateField()
    value_on = serializers.DateField(allow_null=True)
    amount = serializers.IntegerField(help_text="Signed minor units: credit positive, debit negative")
    currency = serializers.CharField()
    reference = serializers.CharField()
    remittance = serializers.CharField()
    counterparty_name = serializers.CharField()
    bank_reference = serializers.CharField()
    state = serializers.ChoiceField(StatementLine.State.choices)
    match = serializers.SerializerMethodField()
    review_reason = serializers.CharField()
    suggestions = serializers.JSONField()
    investigated = serializers.SerializerMethodField()

    def get_object(self, line) -> str:
        return "statement_line"

    def get_investigated(self, line) -> bool:
        return line.investigated_at is not None

    def get_match(self, line) -> dict | None:
        if line.state != StatementLine.State.MATCHED:
            return None
        target = {
            "payment": lambda: line.matched_payment.public_id,
            "refund": lambda: line.matched_refund.public_id,
            "dispute": lambda: line.matched_dispute.public_id,
            "payout": lambda: line.matched_payout_id,
        }[line.match_kind]()
        return {"type": line.match_kind, "id": target, "automatic": line.matched_automatically}


class StatementSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    format = serializers.CharField()
    file_name = serializers.CharField()
    sha256 = serializers.CharField(source="file_sha256")
    account_iban = serializers.CharField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    line_count = serializers.IntegerField()
    imported_count = serializers.IntegerField(help_text="Lines not already imported from another file")
    created_at = serializers.DateTimeField()

    def get_object(self, statement) -> str:
        return "statement"


class StatementDetailSerializer(StatementSerializer):
    states = serializers.DictField(child=serializers.IntegerField(), help_text="Lines per state")
    lines = StatementLineSerializer(many=True)
    has_more = serializers.BooleanField(help_text="More lines follow: ask again with lines_after=<last position>")


class CountAmountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.IntegerField()


class BalanceSerializer(serializers.Serializer):
    gross = serializers.IntegerField()
    fees = serializers.IntegerField()
    refunds = serializers.IntegerField()
    disputes = serializers.IntegerField()
    net = serializers.IntegerField()
    count = serializers.IntegerField()


class CurrencyFiguresSerializer(serializers.Serializer):
    currency = serializers.CharField()
    matched = CountAmountSerializer()
    in_review = CountAmountSerializer()
    unmatched = CountAmountSerializer()
    investigated = CountAmountSerializer()
    payouts_expected = CountAmountSerializer()
    payouts_received = CountAmountSerializer()
    payouts_missing = serializers.ListField(child=serializers.CharField())
    balance = BalanceSerializer(help_text="The day's balance transactions")
    unexplained = serializers.IntegerField(
        help_text="Minor units nobody accounted for: lines in review or unmatched and not investigated, plus "
        "payouts expected and not received; zero on a clean day"
    )


class ReportSerializer(serializers.Serializer):
    object = serializers.CharField()
    date = serializers.DateField()
    final = serializers.BooleanField(help_text="False before the day's run: the figures as they stand now")
    completed_at = serializers.DateTimeField(allow_null=True)
    lines_matched = serializers.IntegerField()
    lines_in_review = serializers.IntegerField()
    lines_unmatched = serializers.IntegerField()
    currencies = CurrencyFiguresSerializer(many=True)
