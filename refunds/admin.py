"""Back office for refunds and disputes: the review queue and the dispute list.

Read-only records; every decision goes through a service, which checks the approver
permission and the four-eyes rule itself and audits who did it and when.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from core import admin_kit
from core.backoffice.display import badge, merchant_name
from core.exceptions import DomainError
from core.money import currency_exponent, format_minor
from payments.selectors import payment_intent_find
from payments.services.refunds import payment_refundable_amount
from refunds import services
from refunds.models import Dispute, DisputeEvent, RefundEvent, RefundRequest
from refunds.selectors import APPROVE_PERMISSION, SEND_TRANSFER_PERMISSION, TRANSFER_WAITING, refund_events
from refunds.services.review import staff_actor

State = RefundRequest.State


def _iban_printed(iban: str) -> str:
    """In groups of four, as banks print it and a clerk types it."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


class ReadOnlyInline(admin_kit.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefundEventInline(ReadOnlyInline):
    model = RefundEvent
    fields = ("created_at", "type", "from_state", "to_state", "actor", "user", "data")
    readonly_fields = fields


class DisputeEventInline(ReadOnlyInline):
    model = DisputeEvent
    fields = ("created_at", "type", "from_state", "to_state", "actor", "data")
    readonly_fields = fields


class StaffRefundForm(forms.Form):
    # The admin theme's widgets, as on the model forms: a plain form gets unstyled inputs.
    payment_intent = forms.CharField(
        max_length=40, help_text="The payment intent's id (pi_…)", widget=UnfoldAdminTextInputWidget
    )
    amount = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_digits=18,
        required=False,
        help_text="In the payment's currency, as written on the receipt (e.g. 15.00); empty: all that is left",
        widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal"}),
    )
    # No default: a refund's reason is the requester's to say, not the first on the list.
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *RefundRequest.Reason.choices], widget=UnfoldAdminSelectWidget
    )

    def amount_minor(self, currency: str) -> int | None:
        """The amount in the currency's minor units; None for "all that is left". A value
        finer than the currency's smallest unit (12.345 USD, 1.5 JPY) is an error."""
        amount = self.cleaned_data.get("amount")
        if amount is None:
            return None
        minor = amount.scaleb(currency_exponent(currency))
        if minor != minor.to_integral_value():
            smallest = Decimal(1).scaleb(-currency_exponent(currency))
            self.add_error("amount", f"{currency} has no amounts finer than {smallest}.")
            raise ValueError(amount)
        return int(minor)
    note = forms.CharField(widget=UnfoldAdminTextareaWidget, required=False, max_length=2000)
    receipt_email = forms.EmailField(
        required=False, help_text="The shopper's address for the confirmation", widget=UnfoldAdminEmailInputWidget
    )
    iban = forms.CharField(
        max_length=42,
        required=False,
        label="Payer's IBAN",
        help_text="Only for a payment made by bank transfer whose statement does not show the account it came from",
        widget=UnfoldAdminTextInputWidget,
    )
    account_holder = forms.CharField(
        max_length=70, required=False, label="Payer's account holder", widget=UnfoldAdminTextInputWidget
    )

    def bank_account(self):
        data = self.cleaned_data
        if not (data.get("iban") or data.get("account_holder")):
            return None
        return {"iban": data.get("iban", ""), "account_holder": data.get("account_holder", "")}


class TransferForm(forms.Form):
    """Finance's word on a refund's transfer: sent (with the bank's reference), or could not
    be sent (with the reason)."""

    SENT, NOT_SENT = "sent", "not_sent"
    action = forms.ChoiceField(choices=[(SENT, "Sent"), (NOT_SENT, "Could not be sent")], widget=forms.HiddenInput)
    bank_reference = forms.CharField(
        max_length=100,
        required=False,
        label="Bank reference",
        help_text="The reference your bank gave the outgoing transfer (optional)",
        widget=UnfoldAdminTextInputWidget,
    )
    confirm = forms.BooleanField(
        required=False,
        label="I have sent this transfer from the merchant's account",
        help_text="Marking it sent completes the refund: the merchant and the shopper are told.",
    )
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the bank would not send it (the refund fails and its amount is free again)",
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == self.SENT and not data.get("confirm"):
            self.add_error("confirm", "Tick this once the transfer has left the merchant's account.")
        if data.get("action") == self.NOT_SENT and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the transfer could not be sent.")
        return data


class TransferFilter(admin.SimpleListFilter):
    """Refunds paid back by bank transfer, those still to send first."""

    title = "bank transfer"
    parameter_name = "transfer"
    WAITING, SENT = "waiting", "sent"

    def lookups(self, request, model_admin):
        return [(self.WAITING, "To send"), (self.SENT, "Sent")]

    def queryset(self, request, queryset):
        if self.value() == self.WAITING:
            return queryset.filter(TRANSFER_WAITING)
        if self.value() == self.SENT:
            return queryset.filter(transfer_sent_at__isnull=False)
        return queryset


class ReviewForm(forms.Form):
    APPROVE, REJECT, REQUEST_INFO = "approve", "reject", "request_info"
    decision = forms.ChoiceField(
        choices=[(APPROVE, "Approve"), (REJECT, "Reject"), (REQUEST_INFO, "Ask for more information")],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        widget=forms.Textarea,
        required=False,
        max_length=2000,
        help_text="The reason for a rejection, or the question for the requester",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") in (self.REJECT, self.REQUEST_INFO) and not (data.get("text") or "").strip():
            self.add_error("text", "Say why (rejection) or what you need (question).")
        return data


@admin.register(RefundRequest)
class RefundRequestAdmin(admin_kit.ModelAdmin):
    list_display = (
        "state_badge", "amount_display", "public_id", "payment", merchant_name, "reason", "requested_by", "created_at",
    )  # fmt: skip
    list_display_links = ("state_badge", "amount_display", "public_id")
    list_filter = ("state", TransferFilter, "reason", "auto_approved", "created_at")
    list_select_related = ("merchant", "payment")
    search_fields = ("public_id", "payment__public_id", "gateway_reference", "transfer_bank_reference")
    show_full_result_count = False
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [RefundEventInline]
    actions = ["approve_selected", "retry_selected"]
    change_form_template = "admin/refunds/refundrequest/change_form.html"

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, refund):
        return format_minor(refund.amount, refund.currency)

    @admin.display(description="State", ordering="state")
    def state_badge(self, refund):
        return badge(refund.state, refund.get_state_display())

    # What a reviewer or support agent reads first; the gateway's bookkeeping (keys, call
    # counts, versions) stays folded under "Processing details".
    fieldsets = (
        (None, {"fields": ("public_id", "state_badge", "amount_display", "payment", "merchant", "refund_to",
                           "reason", "note", "lines", "receipt_email", "requested_by", "created_at",
                           "completed_at")}),  # fmt: skip
        ("Review", {"fields": ("auto_approved", "reviewed_by", "reviewed_at", "info_request", "info_response",
                               "rejection_reason")}),  # fmt: skip
        ("Bank transfer", {"classes": ["collapse"], "fields": (
            "transfer_iban", "transfer_account_holder", "transfer_account_source", "transfer_sent_at",
            "transfer_sent_by", "transfer_bank_reference")}),  # fmt: skip
        ("Processing details", {"classes": ["collapse"], "fields": (
            "gateway_reference", "last_error", "outcome_unknown", "call_count", "call_started_at",
            "gateway_key_seq", "gateway_idempotency_key", "card_amount", "allocations", "store_credit_customer_id",
            "receipt_sent_at", "reviewers_emailed_at", "version", "updated_at")}),  # fmt: skip
    )

    def get_readonly_fields(self, request, obj=None):
        # Every field: a state or an amount changes only through a service.
        return [field.name for field in self.model._meta.fields] + ["state_badge", "amount_display"]

    def has_change_permission(self, request, obj=None):
        return False  # decisions are the review page's and the actions', never a form save

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request, obj=None):
        return request.user.has_perm(APPROVE_PERMISSION)

    def has_send_transfer_permission(self, request, obj=None):
        return request.user.has_perm(SEND_TRANSFER_PERMISSION)

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        transfer = self.admin_site.admin_view(self.transfer_view)
        return [
            path("<int:pk>/review/", review, name="refunds_refundrequest_review"),
            path("<int:pk>/transfer/", transfer, name="refunds_refundrequest_transfer"),
            *super().get_urls(),
        ]

    # --- staff asks for a refund: the form calls the same service as the API ----------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        # The payment page's "Refund" button names its payment.
        form = StaffRefundForm(request.POST or None, initial={"payment_intent": request.GET.get("payment_intent", "")})
        if request.method == "POST" and form.is_valid():
            refund = self._create(request, form)
            if refund is not None:
                self.message_user(request, f"Refund {refund.public_id} is {refund.get_state_display()}.")
                return redirect(reverse("admin:refunds_refundrequest_change", args=[refund.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Request a refund",
            "form": form,
        }
        return TemplateResponse(request, "admin/refunds/refundrequest/staff_add.html", context)

    def _create(self, request, form):
        data = form.cleaned_data
        payment = payment_intent_find(payment_intent_id=data["payment_intent"])
        if payment is None:
            form.add_error("payment_intent", "No such payment intent.")
            return None
        try:
            amount = form.amount_minor(payment.currency)
        except ValueError:
            return None
        try:
            return services.refund_create(
                merchant_id=payment.merchant_id,
                payment_intent_id=payment.public_id,
                amount=amount,
                reason=data["reason"],
                note=data["note"],
                receipt_email=data["receipt_email"],
                bank_account=form.bank_account(),
                actor=staff_actor(request.user),
                user=request.user,
            )
        except DomainError as exc:
            field = {"amount": "amount", "bank_account.iban": "iban", "bank_account.account_holder": "account_holder"}
            form.add_error(field.get(exc.param), f"{exc.message} ({exc.code})")
            return None

    # --- pages about one refund, each with one form acting through a service -----------------
    def _refund_page(self, request, pk, *, allowed, form_class, act, template, title, **extra):
        """`act(request, refund, cleaned_data)` calls the service: a refusal is shown on the
        page, success returns to the refund. `extra`: more context, each computed from the
        refund."""
        refund = get_object_or_404(RefundRequest.objects.select_related("merchant", "payment"), pk=pk)
        if not allowed(request):
            raise PermissionDenied
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                act(request, refund, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, f"{exc.message} ({exc.code})")
            else:
                return redirect(reverse("admin:refunds_refundrequest_change", args=[refund.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title.format(id=refund.public_id),
            "refund": refund,
            "amount": format_minor(refund.amount, refund.currency),
            "state_badge": badge(refund.state, refund.get_state_display()),
            "payment_url": reverse("admin:payments_paymenttransaction_change", args=[refund.payment_id]),
            "events": refund_events(refund),
            "form": form,
            **{name: value(refund) for name, value in extra.items()},
        }
        return TemplateResponse(request, template, context)

    # --- the review page: approve, reject, ask -----------------------------------------------
    def review_view(self, request, pk):
        return self._refund_page(
            request,
            pk,
            allowed=self.has_approve_permission,
            form_class=ReviewForm,
            act=self._decide,
            template="admin/refunds/refundrequest/review.html",
            title="Review refund {id}",
            captured=lambda refund: format_minor(refund.payment.amount_captured, refund.currency),
            refunded=lambda refund: format_minor(refund.payment.amount_refunded, refund.currency),
            # The one refundable rule; this refund, under review, is already held in it.
            remaining=lambda refund: format_minor(max(payment_refundable_amount(refund.payment), 0), refund.currency),
            own_request=lambda refund: refund.requested_by_user_id == request.user.pk,
            reviewable=lambda refund: refund.state == State.UNDER_REVIEW,
        )

    def _decide(self, request, refund, data):
        text = (data.get("text") or "").strip()
        if data["decision"] == ReviewForm.APPROVE:
            services.refund_approve(refund_pk=refund.pk, reviewer=request.user, note=text)
            self.message_user(request, f"Approved {refund.public_id}; it is on its way to the gateway.")
        elif data["decision"] == ReviewForm.REJECT:
            services.refund_reject(refund_pk=refund.pk, reviewer=request.user, reason=text)
            self.message_user(request, f"Rejected {refund.public_id}.")
        else:
            services.refund_request_info(refund_pk=refund.pk, reviewer=request.user, message=text)
            self.message_user(request, f"Asked the requester of {refund.public_id} for more information.")

    # --- a bank transfer's refund: finance sends it, then marks it sent -----------------------
    def transfer_view(self, request, pk):
        return self._refund_page(
            request,
            pk,
            allowed=self.has_send_transfer_permission,
            form_class=TransferForm,
            act=self._record_transfer,
            template="admin/refunds/refundrequest/transfer.html",
            title="Send refund {id} by bank transfer",
            iban=lambda refund: _iban_printed(refund.transfer_iban),
            waiting=lambda refund: refund.transfer_to_send,
        )

    def _record_transfer(self, request, refund, data):
        if data["action"] == TransferForm.NOT_SENT:
            services.refund_transfer_fail(refund_pk=refund.pk, user=request.user, reason=data["reason"])
            self.message_user(request, f"Refund {refund.public_id} failed: its transfer could not be sent.")
            return
        refund, marked = services.refund_transfer_mark_sent(
            refund_pk=refund.pk, user=request.user, bank_reference=data["bank_reference"]
        )
        if marked:
            self.message_user(request, f"Refund {refund.public_id} is completed: its transfer is marked sent.")
        else:
            self.message_user(request, f"Refund {refund.public_id} was already marked sent.", messages.WARNING)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The review button only while there is something to decide: once approved or
        # rejected the review page would only say so. The same for a transfer to send.
        refund = self.get_object(request, object_id)
        reviewable = refund is not None and refund.state == State.UNDER_REVIEW
        to_send = refund is not None and refund.transfer_to_send
        extra_context = {
            **(extra_context or {}),
            "can_review": reviewable and self.has_approve_permission(request),
            "can_send_transfer": to_send and self.has_send_transfer_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- bulk actions --------------------------------------------------------------------------
    def _run(self, request, queryset, service, verb, **kwargs):
        done = 0
        for refund in queryset:
            try:
                service(refund_pk=refund.pk, **kwargs)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{refund.public_id}: {exc.message} ({exc.code})", messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} refund(s).", messages.SUCCESS)

    @admin.action(description="Approve the selected refunds", permissions=["approve"])
    def approve_selected(self, request, queryset):
        self._run(request, queryset, services.refund_approve, "Approved", reviewer=request.user)

    @admin.action(description="Retry the selected failed refunds", permissions=["approve"])
    def retry_selected(self, request, queryset):
        self._run(request, queryset, services.refund_retry, "Retried", user=request.user)


class DisputeStatusFilter(admin.SimpleListFilter):
    """Open disputes unless asked otherwise: they are the ones with a deadline."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Dispute.Status.choices, ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or Dispute.Status.OPEN
        return queryset if value == "all" else queryset.filter(status=value)

    def choices(self, changelist):
        current = self.value() or Dispute.Status.OPEN
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


@admin.register(Dispute)
class DisputeAdmin(admin_kit.ModelAdmin):
    list_display = (
        "status", "amount_display", "public_id", "payment", merchant_name, "reason", "gateway_status",
        "evidence_due_by", "created_at",
    )  # fmt: skip
    list_filter = (DisputeStatusFilter, "gateway", "reason")
    list_select_related = ("merchant", "payment")
    search_fields = ("public_id", "gateway_dispute_id", "payment__public_id")
    show_full_result_count = False
    ordering = ("evidence_due_by", "id")
    inlines = [DisputeEventInline]

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, dispute):
        return format_minor(dispute.amount, dispute.currency)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # disputes come from the gateway

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
