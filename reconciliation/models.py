"""Bank statements, their lines, the line's audit log, and the daily report.

Models are pure: transitions change fields only. reconciliation/services saves them and
writes the StatementLineEvent row in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id


def _statement_id():
    return new_public_id("stmt")


def _line_id():
    return new_public_id("sl")


class Format(models.TextChoices):
    CSV = "csv"
    MT940 = "mt940"
    CAMT053 = "camt053"


class StatementSource(models.Model):
    """Where the daily job fetches a merchant's statements from.

    `kind` names a fetcher in reconciliation/sources.py (a folder by default); SFTP or a
    bank's API are further fetchers registered there, configured through `options`.
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="statement_sources")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, default="folder")
    options = models.JSONField(default=dict, blank=True, help_text='For a folder: {"path": "/srv/statements/acme"}')
    format = models.CharField(max_length=10, choices=Format.choices, blank=True, help_text="Blank: detected per file")
    csv_mapping = models.JSONField(
        default=dict, blank=True, help_text="CSV column per field (date, amount, currency, reference, counterparty)"
    )
    account_iban = models.CharField(max_length=34, blank=True, help_text="The account the statements are for")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="statement_source_name_unique")]

    def __str__(self):
        return f"{self.name} ({self.kind})"


class Statement(models.Model):
    """One imported file. The file's hash is unique per merchant: the same file twice is one import."""

    public_id = models.CharField(max_length=40, unique=True, default=_statement_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="statements")
    source = models.ForeignKey(StatementSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=10, choices=Format.choices)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64)
    account_iban = models.CharField(max_length=34, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0, help_text="Lines in the file")
    imported_count = models.PositiveIntegerField(default=0, help_text="Lines new to us (not seen in another file)")
    imported_by = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "file_sha256"], name="statement_file_unique_per_merchant")
        ]

    def __str__(self):
        return self.public_id


class LineState(models.TextChoices):
    UNMATCHED = "unmatched"
    IN_REVIEW = "in_review"
    MATCHED = "matched"


class MatchKind(models.TextChoices):
    PAYMENT = "payment"
    REFUND = "refund"
    PAYOUT = "payout"
    # A chargeback the processor withdrew (its fee with it), as its payout report lists it.
    DISPUTE = "dispute"


class StatementLine(ConcurrentTransitionMixin, models.Model):
    """One booked line (SPEC section 3: UNMATCHED → MATCHED | IN_REVIEW; IN_REVIEW →
    MATCHED | UNMATCHED). `amount` is signed minor units: credits positive, debits negative."""

    State = LineState

    public_id = models.CharField(max_length=40, unique=True, default=_line_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    # Where the line sits in the file, and what makes it the same line in another file
    # (the bank's own id where it gives one, else its content and its occurrence).
    position = models.PositiveIntegerField()
    identity = models.CharField(max_length=64)
    booked_on = models.DateField(db_index=True)
    value_on = models.DateField(null=True, blank=True)
    amount = models.BigIntegerField(help_text="Signed minor units: credit positive, debit negative")
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=140, blank=True, db_index=True)
    remittance = models.TextField(blank=True)
    counterparty_name = models.CharField(max_length=140, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True)

    state = FSMField(default=LineState.UNMATCHED, choices=LineState.choices, protected=True, db_index=True)
    match_kind = models.CharField(max_length=10, choices=MatchKind.choices, blank=True)
    matched_payment = models.ForeignKey(
        "payments.PaymentTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_refund = models.ForeignKey(
        "refunds.RefundRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_dispute = models.ForeignKey(
        "refunds.Dispute", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_payout_id = models.CharField(max_length=40, blank=True, db_index=True, help_text="The payout's public id")
    matched_automatically = models.BooleanField(default=False)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)
    # Ranked candidates the matcher found but could not decide on, for the reviewer.
    suggestions = models.JSONField(default=list, blank=True)
    review_reason = models.CharField(max_length=200, blank=True)
    investigated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["statement_id", "position"]
        indexes = [
            models.Index(fields=["merchant", "state", "booked_on"], name="line_merchant_state_day"),
            models.Index(fields=["merchant", "booked_on"], name="line_merchant_day"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "identity"], name="statement_line_identity_unique"),
            # One line settles one payment, refund or payout: a second line for the same
            # money is a duplicate for review, never a second match.
            models.UniqueConstraint(
                fields=["matched_payment"],
                condition=Q(state="matched", match_kind="payment"),
                name="line_one_per_payment",
            ),
            models.UniqueConstraint(
                fields=["matched_refund"], condition=Q(state="matched", match_kind="refund"), name="line_one_per_refund"
            ),
            models.UniqueConstraint(
                fields=["matched_dispute"],
                condition=Q(state="matched", match_kind="dispute"),
                name="line_one_per_dispute",
            ),
            models.UniqueConstraint(
                fields=["merchant", "matched_payout_id"],
                condition=Q(state="matched", match_kind="payout"),
                name="line_one_per_payout",
            ),
        ]
        permissions = [("match_statementline", "Can match, unmatch and investigate statement lines")]

    def __str__(self):
        return self.public_id

    def _set_match(self, *, kind, payment=None, refund=None, dispute=None, payout_id="", user=None, automatic, at):
        self.match_kind = kind
        self.matched_payment = payment
        self.matched_refund = refund
        self.matched_dispute = dispute
        self.matched_payout_id = payout_id or ""
        self.matched_automatically = automatic
        self.matched_by = user
        self.matched_at = at

    @transition(field=state, source=LineState.UNMATCHED, target=LineState.MATCHED)
    def match_automatically(self, *, kind, payment=None, refund=None, dispute=None, payout_id="", at):
        self._set_match(
            kind=kind, payment=payment, refund=refund, dispute=dispute, payout_id=payout_id, automatic=True, at=at
        )
        self.review_reason = ""

    @transition(field=state, source=LineState.UNMATCHED, target=LineState.IN_REVIEW)
    def send_to_review(self, *, reason, suggestions):
        self.review_reason = reason[:200]
        self.suggestions = suggestions

    @transition(field=state, source=[LineState.IN_REVIEW, LineState.UNMATCHED], target=LineState.MATCHED)
    def match_by_hand(self, *, kind, payment=None, refund=None, payout_id="", user, at, note=""):
        self._set_match(
            kind=kind, payment=payment, refund=refund, payout_id=payout_id, user=user, automatic=False, at=at
        )
        if note:
            self.note = note

    @transition(field=state, source=[LineState.IN_REVIEW, LineState.UNMATCHED], target=LineState.UNMATCHED)
    def investigate(self, *, note, at):
        self.note = note
        self.investigated_at = at

    @transition(field=state, source=LineState.MATCHED, target=LineState.UNMATCHED)
    def unmatch(self, *, note=""):
        self._set_match(kind="", automatic=False, at=None)
        if note:
            self.note = note


class StatementLineEvent(models.Model):
    """Append-only audit of a line: every match, review, investigation and unmatch, and who did it."""

    line = models.ForeignKey(StatementLine, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    actor = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} on {self.line_id}"


class DailyReport(models.Model):
    """One merchant's reconciliation of one day; recomputed in place by every run."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    # {currency: {...figures...}}, see reconciliation/services/reports.py for the keys.
    figures = models.JSONField(default=dict)
    lines_matched = models.PositiveIntegerField(default=0)
    lines_in_review = models.PositiveIntegerField(default=0)
    lines_unmatched = models.PositiveIntegerField(default=0)
    import_errors = models.JSONField(default=list, blank=True, help_text="Files the last run could not read")
    runs = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The `reconciliation.completed` event went out for this day (once, whatever reruns).
    announced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["merchant", "date"], name="daily_report_unique")]

    def __str__(self):
        return f"{self.merchant_id} {self.date}"
