"""Back office for orders and asynchronous finalizations.

Imported by checkout/admin.py. Both are read-only: an order is the snapshot finalize
wrote, and a job's state moves only through its task. Undoing either goes through the
API's services (rollback, refunds), which check and audit what they do.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from checkout.models import FinalizationJob, Order
from checkout.order_selectors import order_amount_captured, order_payment_status, orders_with_payment
from checkout.receipts import receipt_context
from checkout.services.support import RESEND_SENT, order_receipt_resend, order_support_note_add
from core import admin_kit
from core.backoffice.display import badge, merchant_name
from core.backoffice.support import SupportNotesMixin, form_token, staff_actor, staff_author
from core.exceptions import DomainError
from core.money import Money, is_currency
from merchants.audit.selectors import audit_list
from payments.selectors import payment_states_for_order_status


class _ReadOnlyAdmin(admin_kit.ModelAdmin):
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The snapshot fields are drawn by the summary above the form, not shown as JSON.
SNAPSHOT_FIELDS = {
    "lines", "totals", "adjustments", "shipping", "customer", "shipping_address", "billing_address", "payment_method",
    "amount", "amount_captured",
}  # fmt: skip


def _address_lines(address) -> list[str]:
    if not address:
        return []
    keys = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")
    return [str(address[key]) for key in keys if address.get(key)]


def order_summary(order: Order) -> dict:
    receipt = receipt_context(order)
    shipping = order.shipping or {}
    customer = order.customer or {}
    money = receipt["formatted"]
    payments_list = reverse("admin:payments_paymenttransaction_changelist")
    installments = [{**row, "status_badge": badge(row["status"])} for row in receipt["installments"]]
    collected = sum(row["amount_minor"] for row in installments if row["paid"])
    return {
        **receipt,
        "status_badge": badge(order.status),
        "payment_badge": badge(order_payment_status(order)),
        "captured": Money(order_amount_captured(order), order.currency).format() if is_currency(order.currency) else "",
        "customer_full": {"name": customer.get("name", ""), "email": customer.get("email", ""),
                          "phone": customer.get("phone", "")},
        "shipping_method": shipping.get("name") or shipping.get("label") or shipping.get("rate_id") or "",
        "shipping_amount": money.get("shipping_total"),
        "shipping_address": _address_lines(order.shipping_address),
        "billing_address": _address_lines(order.billing_address),
        "receipt_url": reverse("receipt", kwargs={"receipt_id": order.receipt_id}),
        "payment_url": f"{payments_list}?q={order.payment_intent_id}",
        "session_url": reverse("admin:checkout_checkoutsession_change", args=[order.session_id]),
        "refunds_url": f"{reverse('admin:refunds_refundrequest_changelist')}?q={order.payment_intent_id}",
        "refund_url": f"{reverse('admin:refunds_refundrequest_add')}?payment_intent={order.payment_intent_id}",
        # Paid by buy now, pay later: the schedule, since the card paid only what was collected.
        "installments": installments,
        "installments_collected": Money(collected, order.currency).format() if is_currency(order.currency) else "",
        "installments_url": (
            f"{reverse('admin:bnpl_installmentplan_changelist')}?q={order.payment_intent_id}" if installments else ""
        ),
    }  # fmt: skip


class PaymentStatusFilter(admin.SimpleListFilter):
    """By where the payment stands now, not the status finalize wrote."""

    title = "payment status"
    parameter_name = "payment_status"

    def lookups(self, request, model_admin):
        statuses = ["captured", "authorized", "partially_refunded", "refunded", "disputed", "canceled", "expired"]
        return [(status, status.replace("_", " ")) for status in statuses] + [
            (Order.PaymentStatus.SETTLED_OUTSIDE, "settled outside")
        ]

    def queryset(self, request, queryset):
        status = self.value()
        if not status:
            return queryset
        if status == Order.PaymentStatus.SETTLED_OUTSIDE:
            return queryset.filter(payment_status=status)
        return queryset.exclude(payment_status=Order.PaymentStatus.SETTLED_OUTSIDE).filter(
            payment_state__in=payment_states_for_order_status(status)
        )


@admin.register(Order)
class OrderAdmin(SupportNotesMixin, _ReadOnlyAdmin):
    support_note_object_type = "order"
    list_display = (
        "status_badge", "total", "public_id", "customer_email", merchant_name, "payment_status_now", "created_at",
    )  # fmt: skip
    list_display_links = ("status_badge", "total", "public_id")
    list_filter = (
        "status", PaymentStatusFilter, "currency", ("merchant", admin.RelatedOnlyFieldListFilter), "created_at",
    )  # fmt: skip
    list_select_related = ("merchant", "session")
    search_fields = ("public_id", "session__public_id", "payment_intent_id", "customer__email")
    raw_id_fields = ("merchant", "session")
    date_hierarchy = "created_at"
    change_form_before_template = "admin/checkout/order_summary.html"

    def get_queryset(self, request):
        return orders_with_payment(super().get_queryset(request))

    def get_fields(self, request, obj=None):
        # payment_status is the finalize-time snapshot; the summary shows it as it is now.
        return [f.name for f in self.model._meta.fields if f.name not in SNAPSHOT_FIELDS | {"payment_status"}]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra = {"order_summary": order_summary(order)} if order else {}
        if order and not request.user.has_perm("refunds.add_refundrequest"):
            extra["order_summary"]["refund_url"] = ""
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    # --- support: notes (SupportNotesMixin) and the confirmation email sent again -------
    def support_note_write(self, request, obj, note):
        order_support_note_add(
            merchant_id=obj.merchant_id, order_id=obj.public_id, note=note, author=staff_author(request),
            actor=staff_actor(request),
        )  # fmt: skip

    def has_resend_receipt_permission(self, request) -> bool:
        return request.user.has_perm("checkout.resend_receipt")

    def support_context(self, request, obj) -> dict:
        context = super().support_context(request, obj)
        if self.has_resend_receipt_permission(request):
            sent = (
                audit_list(
                    merchant_id=obj.merchant_id, object_type="order", object_id=obj.public_id, action=RESEND_SENT
                )
                .order_by("-created_at", "-id")
                .first()
            )
            context["resend"] = {
                "action": reverse("admin:checkout_order_resend_receipt", args=[obj.pk]),
                "token": form_token(),
                "shopper_email": (obj.customer or {}).get("email", ""),
                "first_sent_at": obj.confirmation_emailed_at,
                "last_sent": {"when": sent.created_at, "to": sent.data.get("to", "")} if sent else None,
            }
        return context

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.resend_receipt_view))
        return [
            path("<path:object_id>/resend-receipt/", view, name="checkout_order_resend_receipt"),
            *super().get_urls(),
        ]

    def resend_receipt_view(self, request, object_id):
        order = self.get_object(request, object_id)
        if order is None or not self.has_view_permission(request, order):
            raise Http404
        if not self.has_resend_receipt_permission(request):
            raise PermissionDenied
        try:
            resend = order_receipt_resend(
                merchant_id=order.merchant_id, order_id=order.public_id, actor=staff_actor(request),
                request_token=request.POST.get("token", ""), email=request.POST.get("email", ""),
            )  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if resend.created:
                messages.success(request, f"The confirmation email is on its way to {resend.email}.")
            else:
                messages.info(request, f"Already sent to {resend.email} (the same click twice).")
        return HttpResponseRedirect(f"{self.change_page_url(order)}#support")

    @admin.display(description="Total", ordering="amount")
    def total(self, order):
        return Money(order.amount, order.currency).format() if is_currency(order.currency) else order.amount

    @admin.display(description="Status", ordering="status")
    def status_badge(self, order):
        return badge(order.status)

    @admin.display(description="Payment status")
    def payment_status_now(self, order):
        return order_payment_status(order)

    @admin.display(description="Customer")
    def customer_email(self, order):
        return (order.customer or {}).get("email", "") or "—"


@admin.register(FinalizationJob)
class FinalizationJobAdmin(_ReadOnlyAdmin):
    list_display = ("public_id", "merchant", "session", "status", "order", "attempts", "created_at", "finished_at")
    list_filter = ("status", ("merchant", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("merchant", "session", "order")
    search_fields = ("public_id", "session__public_id")
    raw_id_fields = ("merchant", "session", "order")
