"""Steps shared by the refunds tests: a captured payment, a refund by API, staff users."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from tests.payments.helpers import SUCCESS, V1, confirm, ok, paid_intent

CAPTURED = 5000  # the payments helpers' digital cart, in USD cents
ADMIN = "/admin/refunds/refundrequest/"
STAFF_PERMISSIONS = ("view_refundrequest", "change_refundrequest", "add_refundrequest")


def captured_intent(api, number=SUCCESS) -> str:
    """A payment intent paid in full on the simulator; its id."""
    _, intent = paid_intent(api, number)
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    return intent["id"]


def refund_url(payment_intent_id: str) -> str:
    return f"{V1}/payment-intents/{payment_intent_id}/refund"


def request_refund(client, payment_intent_id, **body):
    return client.post(refund_url(payment_intent_id), {"reason": "requested_by_customer", **body}, format="json")


def refund_detail(client, refund_id, action=""):
    return client.get(f"{V1}/refunds/{refund_id}" + (f"/{action}" if action else ""))


def review_limit(merchant, amount: int) -> None:
    """Refunds above `amount` wait for a reviewer."""
    merchant.extra_settings = {**merchant.extra_settings, "refund_auto_approve_max_amount": amount}
    merchant.save(update_fields=["extra_settings"])


def staff(username, *codenames, approver=True):
    """An active staff user; `approver` adds the refund-approver permission."""
    user = get_user_model().objects.create_user(
        username, f"{username}@example.com", "pw-not-used-elsewhere", is_staff=True
    )
    names = [*STAFF_PERMISSIONS, *codenames, *(["approve_refund"] if approver else [])]
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="refunds", codename__in=names))
    return user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def review(client, refund_pk, decision, text=""):
    return client.post(f"{ADMIN}{refund_pk}/review/", {"decision": decision, "text": text})


def paid_lines(payment_intent_id: str) -> dict:
    """The calculation lines the payment paid for, by SKU."""
    from checkout.models import Calculation
    from payments.models import PaymentTransaction

    reference = PaymentTransaction.objects.get(public_id=payment_intent_id).reference
    calculation = Calculation.objects.filter(session__public_id=reference).order_by("-id").first()
    return {line["sku"]: line for line in calculation.lines}
