"""Buy now, pay later: the application to the provider, the plan it becomes, its installments.

Models are pure: transitions change fields only. payments.bnpl.services saves them and
writes the append-only BNPLEvent row in the same transaction.
"""

from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id


def _application_id():
    return new_public_id("bnpl")


def _plan_id():
    return new_public_id("ip")


def _installment_id():
    return new_public_id("inst")


class BNPLSettings(models.Model):
    """A merchant's dunning terms (Kill Bill's per-tenant retry schedule). Absent: defaults."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="bnpl_settings")
    enabled = models.BooleanField(default=True)
    retry_days = models.JSONField(default=list, help_text="Days after each failure to try again, e.g. [1, 3, 7]")
    collections_after_days = models.PositiveSmallIntegerField(default=30)
    reminder_days_before = models.PositiveSmallIntegerField(default=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "BNPL settings"
        verbose_name_plural = "BNPL settings"

    def __str__(self):
        return f"BNPL settings of {self.merchant_id}"


class BNPLPlanTerms(models.Model):
    """One plan a merchant offers. A merchant without rows offers the defaults."""

    class Unit(models.TextChoices):
        DAYS = "days"
        MONTHS = "months"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="bnpl_plans")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    installment_count = models.PositiveSmallIntegerField()
    interval_unit = models.CharField(max_length=10, choices=Unit.choices)
    interval_count = models.PositiveSmallIntegerField()
    # {"USD": {"min": 1000, "max": 200000}}: minor units per currency; a currency not named
    # is not offered.
    limits = models.JSONField(default=dict)
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = "BNPL plan"
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="bnpl_plan_code_unique")]

    def __str__(self):
        return f"{self.code} ({self.merchant_id})"


class BNPLApplication(ConcurrentTransitionMixin, models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DECLINED = "declined"
        COMPLETED = "completed"
        EXPIRED = "expired"

    public_id = models.CharField(max_length=40, unique=True, default=_application_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="bnpl_applications")
    payment = models.ForeignKey(
        "payments.PaymentTransaction", on_delete=models.PROTECT, related_name="bnpl_applications"
    )
    state = FSMField(default=State.PENDING, choices=State.choices, protected=True, db_index=True)
    provider = models.CharField(max_length=20)
    # Sent with the application, so a repeated submission is the same one at the provider.
    idempotency_key = models.CharField(max_length=80, unique=True)
    provider_reference = models.CharField(max_length=100, blank=True, db_index=True)
    plan_code = models.CharField(max_length=40)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    email = models.EmailField(blank=True)
    # The shopper's locale ("de_DE") as the payable's owner knew it: the plan's emails
    # and pay-late page speak its language.
    locale = models.CharField(max_length=35, blank=True)
    redirect_url = models.URLField(max_length=2000, blank=True)
    decision_reason = models.CharField(max_length=100, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "BNPL application"
        constraints = [
            # One open application per payment: another is a new try after a decline, an
            # expiry, or a plan whose first installment could not be charged.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(state__in=["pending", "approved"]),
                name="bnpl_application_one_open_per_payment",
            ),
        ]

    def __str__(self):
        return self.public_id

    @transition(field=state, source=State.PENDING, target=State.APPROVED)
    def approve(self, *, reference, redirect_url, at):
        self.provider_reference = reference
        self.redirect_url = redirect_url
        self.decided_at = at

    @transition(field=state, source=State.PENDING, target=State.DECLINED)
    def decline(self, *, reason, at, reference=""):
        self.provider_reference = reference or self.provider_reference
        self.decision_reason = reason
        self.decided_at = at

    @transition(field=state, source=State.APPROVED, target=State.COMPLETED)
    def complete(self, *, at):
        self.completed_at = at

    @transition(field=state, source=[State.PENDING, State.APPROVED], target=State.EXPIRED)
    def expire(self, *, reason):
        self.decision_reason = reason


class InstallmentPlan(ConcurrentTransitionMixin, models.Model):
    class State(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    public_id = models.CharField(max_length=40, unique=True, default=_plan_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="installment_plans")
    application = models.OneToOneField(BNPLApplication, on_delete=models.PROTECT, related_name="plan")
    payment = models.ForeignKey("payments.PaymentTransaction", on_delete=models.PROTECT, related_name="+")
    payment_method = models.ForeignKey("payments.PaymentMethod", on_delete=models.PROTECT, related_name="+")
    state = FSMField(default=State.ACTIVE, choices=State.choices, protected=True, db_index=True)
    plan_code = models.CharField(max_length=40)
    installment_count = models.PositiveSmallIntegerField()
    interval_unit = models.CharField(max_length=10)
    interval_count = models.PositiveSmallIntegerField()
    total_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    email = models.EmailField(blank=True)
    locale = models.CharField(max_length=35, blank=True)
    # Refunds that reduced what was still owed, by the refund's key (a replay adds nothing).
    owed_reductions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "installment plan"

    def __str__(self):
        return self.public_id

    @transition(field=state, source=State.ACTIVE, target=State.COMPLETED)
    def finish(self):
        pass

    @transition(field=state, source=State.ACTIVE, target=State.CANCELLED)
    def cancel(self):
        pass


class Installment(ConcurrentTransitionMixin, models.Model):
    """The seed's state machine, plus CANCELLED for what a refund took off the schedule."""

    class State(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        PAID = "paid"
        FAILED = "failed"
        OVERDUE = "overdue"
        COLLECTIONS = "collections"
        CANCELLED = "cancelled"

    OWED = (State.PENDING, State.FAILED, State.OVERDUE)

    public_id = models.CharField(max_length=40, unique=True, default=_installment_id, editable=False)
    plan = models.ForeignKey(InstallmentPlan, on_delete=models.CASCADE, related_name="installments")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveSmallIntegerField()
    amount = models.BigIntegerField(help_text="Minor units still to charge (a refund may have reduced it)")
    original_amount = models.BigIntegerField()
    amount_refunded = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    due_date = models.DateField(db_index=True)
    state = FSMField(default=State.PENDING, choices=State.choices, protected=True, db_index=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    failure_count = models.PositiveSmallIntegerField(default=0)
    last_failure_code = models.CharField(max_length=50, blank=True)
    last_decline_code = models.CharField(max_length=50, blank=True)
    next_attempt_on = models.DateField(null=True, blank=True, db_index=True)
    overdue_since = models.DateField(null=True, blank=True)
    # The charge under way (a payment intent of its own, paid through the card path).
    charge = models.ForeignKey(
        "payments.PaymentTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The charge that paid it (refunds go back against this one).
    paid_by = models.ForeignKey(
        "payments.PaymentTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_offline = models.BooleanField(default=False)
    reminded_for = models.DateField(null=True, blank=True, help_text="The due date the reminder was sent for")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="installment_sequence_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="installment_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["state", "due_date"], name="installment_due")]
        permissions = [
            ("retry_installment", "Can retry an installment now"),
            ("settle_installment", "Can mark an installment paid offline"),
            ("collect_installment", "Can send an installment to collections"),
        ]

    def __str__(self):
        return f"{self.public_id} #{self.sequence}"

    @transition(field=state, source=State.PENDING, target=State.PROCESSING)
    def start(self, *, charge):
        self.charge = charge
        self.attempt_count += 1

    @transition(field=state, source=State.FAILED, target=State.PROCESSING)
    def retry(self, *, charge):
        self.charge = charge
        self.attempt_count += 1
        self.next_attempt_on = None

    @transition(field=state, source=State.PROCESSING, target=State.PAID)
    def pay(self, *, at):
        self.paid_by = self.charge
        self.paid_at = at

    @transition(field=state, source=State.PROCESSING, target=State.FAILED)
    def fail(self, *, failure_code, decline_code, next_attempt_on):
        self.failure_count += 1
        self.last_failure_code = failure_code
        self.last_decline_code = decline_code
        self.next_attempt_on = next_attempt_on

    @transition(field=state, source=State.FAILED, target=State.OVERDUE)
    def mark_overdue(self, *, on):
        self.overdue_since = on
        self.next_attempt_on = None

    @transition(field=state, source=State.OVERDUE, target=State.PAID)
    def pay_late(self, *, charge, at):
        # A late payment's charge is claimed while the installment stays overdue (the
        # seed has no OVERDUE → PROCESSING), so `charge` is the one that succeeded.
        self.charge = charge
        self.paid_by = charge
        self.paid_at = at

    @transition(field=state, source=[State.FAILED, State.OVERDUE], target=State.PAID)
    def settle_offline(self, *, at):
        self.paid_offline = True
        self.paid_at = at
        self.next_attempt_on = None

    @transition(field=state, source=State.OVERDUE, target=State.COLLECTIONS)
    def send_to_collections(self):
        pass

    @transition(field=state, source=OWED, target=State.CANCELLED)
    def cancel(self):
        self.next_attempt_on = None


class BNPLEvent(models.Model):
    """Append-only trail of applications, plans and installments: who, what, when."""

    application = models.ForeignKey(BNPLApplication, on_delete=models.CASCADE, related_name="events")
    installment = models.ForeignKey(Installment, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    actor = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} on {self.application_id}"


class InstallmentNotice(models.Model):
    """An email sent to the shopper, once per (installment, kind, version): the unique
    row is the claim, so a redelivered task sends nothing twice."""

    installment = models.ForeignKey(Installment, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20)
    version = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["installment", "kind", "version"], name="installment_notice_once")
        ]

    def __str__(self):
        return f"{self.kind} for {self.installment_id}"


class OverdueInstallment(Installment):
    """The collections team's list in the back office: overdue installments and those
    already with collections (a proxy: the same rows, another list)."""

    class Meta:
        proxy = True
        verbose_name = "overdue installment"


# The simulated provider's own records (it plays an outside system) live in their module.
from payments.bnpl.providers.simulator_models import SimulatorBNPLCheckout  # noqa: E402, F401
