"""Back office for fraud analysts: the review queue (oldest first), assessments with the
rules that fired, alerts, rules and block/allow lists.

Decisions go through `review_decide`, the API's service (capture or void included),
with four-eyes above the merchant's `fraud_four_eyes_above`, and each is written to the
admin log. Rules and list entries are saved through their services, so the admin
validates conditions and normalizes values exactly as the API does.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core import admin_kit
from core.backoffice.display import merchant_name
from core.exceptions import DomainError
from core.money import format_minor
from fraud import services
from fraud.models import FraudAlert, FraudAssessment, FraudReview, FraudRule, ListEntry
from fraud.rules import EVALUATORS

HISTORY_LIMIT = 10


class AlertInline(admin_kit.TabularInline):
    model = FraudAlert
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "message")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssessmentAdminBase(admin_kit.ModelAdmin):
    list_select_related = ("merchant", "assignee")
    show_full_result_count = False
    search_fields = ("public_id", "payment_intent_id", "reference", "email", "card_fingerprint")
    inlines = [AlertInline]
    fields = (
        "public_id", "merchant", "status", "risk_score", "risk_level", "matched_rules", "amount_display",
        "payment_intent_id", "reference", "email", "card_display", "ip_address", "geolocation",
        "device_fingerprint", "countries", "history", "decision", "decision_reason", "first_approved_by",
        "reviewed_by", "reviewed_at", "assignee", "created_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return format_minor(obj.amount, obj.currency)

    @admin.display(description="Rules that fired")
    def matched_rules(self, obj):
        if not obj.rule_matches:
            return "none"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><b>{}</b> (+{}): {}</li>",
                ((m.get("name") or m.get("rule"), m.get("points", 0), m.get("reason", "")) for m in obj.rule_matches),
            ),
        )

    @admin.display(description="Card")
    def card_display(self, obj):
        if not obj.card_last4:
            return "-"
        country = f" ({obj.card_country})" if obj.card_country else ""
        return format_html('<span class="bo-nowrap">{} •••• {}{}</span>', obj.card_brand, obj.card_last4, country)

    @admin.display(description="Countries (billing / shipping / IP)")
    def countries(self, obj):
        ip_country = (obj.geolocation or {}).get("ip_country", "")
        return " / ".join(c or "-" for c in (obj.billing_country, obj.shipping_country, ip_country))

    @admin.display(description="Same device or IP (latest)")
    def history(self, obj):
        from django.db.models import Q

        match = Q()
        if obj.device_fingerprint:
            match |= Q(device_fingerprint=obj.device_fingerprint)
        if obj.ip_address:
            match |= Q(ip_address=obj.ip_address)
        if not match:
            return "-"
        earlier = (
            FraudAssessment.objects.filter(match, merchant_id=obj.merchant_id)
            .exclude(pk=obj.pk)
            .order_by("-created_at")[:HISTORY_LIMIT]
        )
        rows = [
            (a.created_at.strftime("%Y-%m-%d %H:%M"), a.public_id, a.status, a.risk_score, a.email) for a in earlier
        ]
        if not rows:
            return "first time seen"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} {} {} (score {}) {}</li>", rows))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm("fraud.review_fraudassessment")

    def _decide_one(self, request, assessment, *, approve: bool, reason: str):
        """One decision through the API's service; True when it closed the review. A
        refusal from the service raises DomainError for the caller to show."""
        decided = services.review_decide(
            merchant_id=assessment.merchant_id,
            assessment_id=assessment.public_id,
            approve=approve,
            actor=f"staff:{request.user.get_username()}",
            reason=reason,
            four_eyes=True,
        )
        if decided.status == FraudAssessment.Status.IN_REVIEW:
            self.log_change(request, decided, "First approval (four-eyes): waiting for a second analyst.")
            self.message_user(request, f"{decided.public_id}: first approval recorded; a second analyst must approve.")
            return False
        self.log_change(request, decided, f"Review {decided.decision}: {reason}")
        return True

    def _decide(self, request, queryset, *, approve: bool):
        done = 0
        for assessment in queryset:
            try:
                done += self._decide_one(request, assessment, approve=approve, reason="decided in the back office")
            except DomainError as exc:
                self.message_user(request, f"{assessment.public_id}: {exc.message} ({exc.code})", messages.ERROR)
        if done:
            verb = "Approved (captured where automatic)" if approve else "Rejected (voided)"
            self.message_user(request, f"{verb}: {done} review(s).", messages.SUCCESS)

    @admin.action(description="Approve: capture the held payments", permissions=["review"])
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject: void the held payments", permissions=["review"])
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, approve=False)


class ReviewDecisionForm(forms.Form):
    APPROVE, REJECT = "approve", "reject"
    decision = forms.ChoiceField(
        choices=[(APPROVE, "Approve: capture the payment"), (REJECT, "Reject: void the payment")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        widget=forms.Textarea,
        required=False,
        max_length=500,
        help_text="Kept with the decision in the audit trail; required to reject.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REJECT and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the payment is rejected.")
        return data


@admin.register(FraudReview)
class FraudReviewAdmin(AssessmentAdminBase):
    """The analysts' queue: open reviews of held payments, oldest first. Each review's page
    links to its decision page (approve or reject with a reason); the list's actions decide
    several at once."""

    change_form_template = "admin/fraud/fraudreview/change_form.html"

    list_display = ("risk_score", "amount_display", "public_id", "rules_summary", "card_display", "email",
                    merchant_name, "created_at")  # fmt: skip
    list_filter = ("merchant", "assignee")
    ordering = ("created_at", "id")
    actions = ["approve_selected", "reject_selected"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=FraudAssessment.Status.IN_REVIEW)
            .exclude(payment_intent_id="")
            .order_by("created_at", "id")
        )

    @admin.display(description="Rules")
    def rules_summary(self, obj):
        return "; ".join(m.get("reason", "") for m in obj.rule_matches) or "-"

    def has_change_permission(self, request, obj=None):
        # The list keeps change rights so its actions run; the detail page edits nothing.
        return obj is None and super().has_change_permission(request, obj)

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [path("<int:pk>/decide/", decide, name="fraud_fraudreview_decide"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": self.has_review_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk):
        if not self.has_review_permission(request):
            raise PermissionDenied
        review = get_object_or_404(self.get_queryset(request).select_related("merchant"), pk=pk)
        form = ReviewDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            approve = form.cleaned_data["decision"] == ReviewDecisionForm.APPROVE
            reason = form.cleaned_data["reason"].strip() or "approved in the back office"
            try:
                closed = self._decide_one(request, review, approve=approve, reason=reason)
            except DomainError as exc:
                form.add_error(None, f"{exc.message} ({exc.code})")
            else:
                if closed:
                    verb = "Approved (captured where automatic)" if approve else "Rejected (voided)"
                    self.message_user(request, f"{verb}: {review.public_id}.", messages.SUCCESS)
                return redirect(reverse("admin:fraud_fraudreview_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Decide review {review.public_id}",
            "review": review,
            "amount": format_minor(review.amount, review.currency),
            "rules": self.matched_rules(review),
            "card": self.card_display(review),
            "countries": self.countries(review),
            "first_approval": review.first_approved_by,
            "form": form,
        }
        return TemplateResponse(request, "admin/fraud/fraudreview/decide.html", context)


@admin.register(FraudAssessment)
class FraudAssessmentAdmin(AssessmentAdminBase):
    list_display = ("public_id", "merchant", "status", "risk_score", "risk_level", "amount_display", "created_at")
    list_filter = ("status", "risk_level", "merchant")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FraudAlert)
class FraudAlertAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "merchant", "kind", "message", "assessment", "created_at")
    list_filter = ("kind", "merchant")
    list_select_related = ("merchant", "assessment")
    show_full_result_count = False
    readonly_fields = ("public_id", "merchant", "assessment", "kind", "message", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RuleForm(forms.ModelForm):
    class Meta:
        model = FraudRule
        fields = ("merchant", "name", "rule_type", "conditions", "action", "score", "priority", "is_active")

    def clean(self):
        data = super().clean()
        # On change, merchant and rule_type are read-only (not in the form): the stored type.
        rule_type = self.instance.rule_type if self.instance.pk else data.get("rule_type")
        if rule_type in EVALUATORS and "conditions" in data:
            try:
                data["conditions"] = EVALUATORS[rule_type].validate(data["conditions"])
            except DomainError as exc:
                self.add_error("conditions", exc.message)
        return data


@admin.register(FraudRule)
class FraudRuleAdmin(admin_kit.ModelAdmin):
    form = RuleForm
    list_display = ("name", "merchant", "rule_type", "action", "score", "priority", "is_active", "is_default")
    list_filter = ("rule_type", "is_active", "merchant")
    list_select_related = ("merchant",)
    raw_id_fields = ("merchant",)
    ordering = ("merchant", "priority", "id")

    def get_readonly_fields(self, request, obj=None):
        return ("merchant", "rule_type") if obj else ()

    def save_model(self, request, obj, form, change):
        fields = {k: form.cleaned_data[k] for k in ("name", "conditions", "action", "score", "priority", "is_active")}
        actor = f"staff:{request.user.get_username()}"
        if change:
            saved = services.rule_update(merchant_id=obj.merchant_id, rule_id=obj.public_id, data=fields, actor=actor)
        else:
            saved = services.rule_create(
                merchant_id=form.cleaned_data["merchant"].pk,
                data={**fields, "rule_type": form.cleaned_data["rule_type"]},
                actor=actor,
            )
        obj.pk, obj.public_id = saved.pk, saved.public_id

    def delete_model(self, request, obj):
        services.rule_delete(
            merchant_id=obj.merchant_id, rule_id=obj.public_id, actor=f"staff:{request.user.get_username()}"
        )

    def delete_queryset(self, request, queryset):
        # The list's bulk delete goes through the service too, one audited rule at a time.
        for rule in queryset:
            self.delete_model(request, rule)


class ListEntryForm(forms.ModelForm):
    class Meta:
        model = ListEntry
        fields = ("merchant", "list", "kind", "value", "reason")

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("value"):
            try:
                data["value"] = services.normalize(data["kind"], data["value"])
            except DomainError as exc:
                self.add_error("value", exc.message)
        return data


@admin.register(ListEntry)
class ListEntryAdmin(admin_kit.ModelAdmin):
    form = ListEntryForm
    list_display = ("value", "kind", "list", "merchant", "reason", "created_by", "created_at")
    list_filter = ("list", "kind", "merchant")
    list_select_related = ("merchant",)
    search_fields = ("value",)
    raw_id_fields = ("merchant",)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        entry = services.list_entry_create(
            merchant_id=form.cleaned_data["merchant"].pk,
            list=form.cleaned_data["list"],
            kind=form.cleaned_data["kind"],
            value=form.cleaned_data["value"],
            reason=form.cleaned_data.get("reason") or "",
            actor=f"staff:{request.user.get_username()}",
        )
        obj.pk, obj.public_id = entry.pk, entry.public_id

    def delete_model(self, request, obj):
        services.list_entry_delete(
            merchant_id=obj.merchant_id, entry_id=obj.public_id, actor=f"staff:{request.user.get_username()}"
        )

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            self.delete_model(request, entry)
