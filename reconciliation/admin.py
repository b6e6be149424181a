"""Back office for reconciliation: statements and their upload, the review queue of lines
with its decisions (match, investigate, unmatch: each through a service, audited), the
daily reports as a page and as CSV, and the statement sources."""

import csv
import io
import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget, UnfoldAdminTextareaWidget

from core import admin_kit
from core.exceptions import DomainError
from core.money import format_minor
from merchants.models import Merchant
from payments.models import PaymentTransaction
from reconciliation import ledger_link
from reconciliation.formats.base import StatementInvalid, account_clean
from reconciliation.formats.csv_format import mapping_check
from reconciliation.models import DailyReport, Format, Statement, StatementLine, StatementLineEvent, StatementSource
from reconciliation.services import manual
from reconciliation.services.candidates import SETTLED
from reconciliation.services.imports import statement_import
from reconciliation.services.matching import lines_match
from reconciliation.services.reports import unexplained_total
from refunds.models import RefundRequest

MATCH_PERMISSION = "reconciliation.match_statementline"
QUEUE_STATES = ("in_review", "unmatched")


class ReadOnlyInline(admin_kit.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatementSourceForm(forms.ModelForm):
    class Meta:
        model = StatementSource
        fields = ("merchant", "name", "kind", "options", "format", "csv_mapping", "account_iban", "is_active")

    def clean_account_iban(self):
        try:
            return account_clean(self.cleaned_data.get("account_iban", ""), where="IBAN")
        except StatementInvalid as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_csv_mapping(self):
        mapping = self.cleaned_data.get("csv_mapping") or {}
        if mapping:
            try:
                mapping_check(mapping)
            except StatementInvalid as exc:
                raise forms.ValidationError(exc.message) from None
        return mapping


@admin.register(StatementSource)
class StatementSourceAdmin(admin_kit.ModelAdmin):
    form = StatementSourceForm
    list_display = ("name", "merchant", "kind", "format", "account_iban", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("merchant",)
    raw_id_fields = ("merchant",)


class UploadForm(forms.Form):
    # The admin theme's widgets, as on the model forms: a plain form gets unstyled inputs.
    merchant = forms.ModelChoiceField(Merchant.objects.all(), widget=UnfoldAdminSelectWidget)
    file = forms.FileField(widget=UnfoldAdminFileFieldWidget)
    format = forms.ChoiceField(
        choices=[("", "Detect"), *Format.choices], required=False, widget=UnfoldAdminSelectWidget
    )
    csv_mapping = forms.CharField(
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}), required=False,
        help_text='CSV only: {"date": "...", "amount": "...", "currency": "...", "reference": "..."}; empty: the '
        "merchant's source mapping, else the Stripe-like payout report layout",
    )  # fmt: skip

    def clean_csv_mapping(self):
        text = (self.cleaned_data.get("csv_mapping") or "").strip()
        if not text:
            return None
        try:
            return mapping_check(json.loads(text))
        except (ValueError, StatementInvalid) as exc:
            raise forms.ValidationError(getattr(exc, "message", str(exc))) from None


class StatementLineInline(ReadOnlyInline):
    model = StatementLine
    fields = ("position", "booked_on", "amount", "currency", "reference", "state", "review_reason")
    readonly_fields = fields
    show_change_link = True
    max_num = 0


@admin.register(Statement)
class StatementAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "merchant", "format", "file_name", "period_start", "period_end", "line_count",
                    "imported_count", "created_at")  # fmt: skip
    list_filter = ("format", "created_at")
    list_select_related = ("merchant",)
    search_fields = ("public_id", "file_name", "file_sha256")
    show_full_result_count = False
    inlines = [StatementLineInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """Upload: the same import (and match) the API runs."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            merchant = data["merchant"]
            mapping = data["csv_mapping"]
            if mapping is None:
                source = StatementSource.objects.filter(merchant=merchant).exclude(csv_mapping={}).first()
                mapping = source.csv_mapping if source else None
            try:
                statement, created = statement_import(
                    merchant_id=merchant.pk, content=data["file"].read(), file_name=data["file"].name,
                    format=data["format"], csv_mapping=mapping, actor=f"staff:{request.user.get_username()}",
                )  # fmt: skip
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                if created:
                    lines_match(merchant_id=merchant.pk, actor="system:reconciliation", statement_id=statement.pk)
                self.message_user(
                    request, f"Imported {statement.imported_count} new lines." if created else "This file was "
                    "imported before: nothing new.",
                )  # fmt: skip
                return redirect(reverse("admin:reconciliation_statement_change", args=[statement.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Upload a statement",
                   "form": form}  # fmt: skip
        return TemplateResponse(request, "admin/reconciliation/upload.html", context)


class LineEventInline(ReadOnlyInline):
    model = StatementLineEvent
    fields = ("created_at", "type", "from_state", "to_state", "actor", "data")
    readonly_fields = fields


class QueueFilter(admin.SimpleListFilter):
    """The review queue (in review, and unmatched not yet investigated) unless asked otherwise."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "To decide"), ("investigated", "Investigated"), ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(state__in=QUEUE_STATES, investigated_at__isnull=True)
        if value == "investigated":
            return queryset.filter(investigated_at__isnull=False)
        return queryset

    def choices(self, changelist):
        current = self.value() or "open"
        for value, label in self.lookup_choices:
            yield {"selected": current == value, "query_string": changelist.get_query_string({"queue": value}),
                   "display": label}  # fmt: skip


class DecisionForm(forms.Form):
    MATCH, INVESTIGATE, UNMATCH = "match", "investigate", "unmatch"
    decision = forms.ChoiceField(choices=[(MATCH, "Match"), (INVESTIGATE, "Investigated"), (UNMATCH, "Unmatch")])
    kind = forms.ChoiceField(choices=[("payment", "Payment"), ("refund", "Refund"), ("payout", "Payout")],
                             required=False)  # fmt: skip
    target_id = forms.CharField(max_length=100, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


@admin.register(StatementLine)
class StatementLineAdmin(admin_kit.ModelAdmin):
    list_display = ("public_id", "merchant", "booked_on", "amount_display", "reference", "state", "review_reason",
                    "best_suggestion", "investigated_at")  # fmt: skip
    list_filter = (QueueFilter, "state", "currency", "booked_on")
    list_select_related = ("merchant",)
    search_fields = ("public_id", "reference", "remittance", "bank_reference", "counterparty_name")
    show_full_result_count = False
    ordering = ("-booked_on", "id")
    inlines = [LineEventInline]
    change_form_template = "admin/reconciliation/statementline/change_form.html"
    actions = ["rematch_selected"]

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, line):
        return format_minor(line.amount, line.currency)

    @admin.display(description="suggestion")
    def best_suggestion(self, line):
        if not line.suggestions:
            return "—"
        best = line.suggestions[0]
        return f"{best['kind']} {best['id']} ({', '.join(best['reasons']) or 'exact'})"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_match_permission(self, request, obj=None):
        return request.user.has_perm(MATCH_PERMISSION)

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [path("<int:pk>/decide/", decide, name="reconciliation_statementline_decide"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_match": self.has_match_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Try matching the selected lines again", permissions=["match"])
    def rematch_selected(self, request, queryset):
        merchants = set(queryset.values_list("merchant_id", flat=True))
        for merchant_id in merchants:
            lines_match(merchant_id=merchant_id, actor=f"staff:{request.user.get_username()}")
        self.message_user(request, "Matched again what could be matched.")

    def decide_view(self, request, pk):
        line = get_object_or_404(StatementLine.objects.select_related("merchant", "statement"), pk=pk)
        if not self.has_match_permission(request):
            raise PermissionDenied
        form = DecisionForm(request.POST or None, initial={"decision": "match"})
        if request.method == "POST" and form.is_valid():
            try:
                self._decide(request, line, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, f"{exc.message} ({exc.code})")
            else:
                return redirect(reverse("admin:reconciliation_statementline_change", args=[line.pk]))
        query = (request.GET.get("q") or "").strip()[:100]
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": f"Line {line.public_id}",
            "line": line, "amount": format_minor(line.amount, line.currency), "form": form, "query": query,
            "results": search_targets(line, query) if query else [], "events": line.events.all(),
        }  # fmt: skip
        return TemplateResponse(request, "admin/reconciliation/statementline/decide.html", context)

    def _decide(self, request, line, data):
        note = (data.get("note") or "").strip()
        if data["decision"] == DecisionForm.MATCH:
            manual.line_match_by_hand(
                line_pk=line.pk, kind=data.get("kind") or "", target_id=data.get("target_id") or "", user=request.user,
                note=note,
            )  # fmt: skip
            self.message_user(request, f"Matched {line.public_id} to {data.get('kind')} {data.get('target_id')}.")
        elif data["decision"] == DecisionForm.INVESTIGATE:
            manual.line_investigate(line_pk=line.pk, user=request.user, note=note)
            self.message_user(request, f"{line.public_id} marked investigated.")
        else:
            manual.line_unmatch(line_pk=line.pk, user=request.user, note=note)
            self.message_user(request, f"{line.public_id} unmatched.")


def search_targets(line: StatementLine, query: str) -> list[dict]:
    """What a clerk's search names, of the line's merchant: payments (by id, prefix or the
    payer's reference, or the amount), completed refunds, payouts. At most 20 of each."""
    found = []
    amount = int(query) if query.lstrip("-").isdigit() and len(query) < 18 else None
    payments = PaymentTransaction.objects.filter(merchant_id=line.merchant_id, state__in=SETTLED)
    condition = Q(public_id__startswith=query) | Q(reference=query)
    if amount is not None:
        condition |= Q(amount_captured=abs(amount))
    for payment in payments.filter(condition).order_by("-completed_at")[:20]:
        found.append({"kind": "payment", "id": payment.public_id, "amount": format_minor(payment.amount_captured,
                      payment.currency), "date": payment.completed_at, "reference": payment.reference})  # fmt: skip
    refunds = RefundRequest.objects.filter(merchant_id=line.merchant_id, state=RefundRequest.State.COMPLETED)
    condition = Q(public_id__startswith=query)
    if amount is not None:
        condition |= Q(amount=abs(amount))
    for refund in refunds.filter(condition).order_by("-completed_at")[:20]:
        found.append({"kind": "refund", "id": refund.public_id, "amount": format_minor(refund.amount, refund.currency),
                      "date": refund.completed_at, "reference": ""})  # fmt: skip
    if ledger_link.available():
        for payout in ledger_link.payouts_search(line.merchant_id, query, amount)[:20]:
            found.append({"kind": "payout", "id": payout.public_id, "amount": format_minor(payout.amount,
                          payout.currency), "date": payout.arrival_date, "reference": payout.reference})  # fmt: skip
    return found


REPORT_COLUMNS = ["date", "currency", "matched_count", "matched_amount", "in_review_count", "in_review_amount",
                  "unmatched_count", "unmatched_amount", "investigated_count", "investigated_amount",
                  "payouts_expected_count", "payouts_expected_amount", "payouts_received_count",
                  "payouts_received_amount", "payouts_missing", "gross", "fees", "refunds", "disputes", "net",
                  "unexplained"]  # fmt: skip


def report_csv_rows(report: DailyReport):
    yield REPORT_COLUMNS
    for currency, e in report.figures.items():
        yield [
            report.date.isoformat(), currency,
            *(e[bucket][key] for bucket in ("matched", "in_review", "unmatched", "investigated", "payouts_expected",
                                             "payouts_received") for key in ("count", "amount")),
            " ".join(e["payouts_missing"]),
            *(e["balance"][key] for key in ("gross", "fees", "refunds", "disputes", "net")),
            e["unexplained"],
        ]  # fmt: skip


@admin.register(DailyReport)
class DailyReportAdmin(admin_kit.ModelAdmin):
    list_display = ("date", "merchant", "lines_matched", "lines_in_review", "lines_unmatched", "unexplained",
                    "runs", "completed_at")  # fmt: skip
    list_filter = ("date",)
    list_select_related = ("merchant",)
    date_hierarchy = "date"
    change_form_template = "admin/reconciliation/dailyreport/change_form.html"

    @admin.display(description="unexplained (minor units)")
    def unexplained(self, report):
        return unexplained_total(report)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(self.csv_view)
        return [path("<int:pk>/csv/", download, name="reconciliation_dailyreport_csv"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = get_object_or_404(DailyReport.objects.select_related("merchant"), pk=object_id)
        extra_context = {**(extra_context or {}), "report": report, "currencies": [
            {"currency": c, **e, "rows": [(label, e[key]) for key, label in (
                ("matched", "Matched"), ("in_review", "In review"), ("unmatched", "Unmatched"),
                ("investigated", "Investigated"), ("payouts_expected", "Payouts expected"),
                ("payouts_received", "Payouts received"))]}
            for c, e in report.figures.items()
        ]}  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context)

    def csv_view(self, request, pk):
        report = get_object_or_404(DailyReport.objects.select_related("merchant"), pk=pk)
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(report_csv_rows(report))
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        name = f"reconciliation-{report.merchant.public_id}-{report.date.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
