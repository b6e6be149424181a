"""Emails to the shopper about their installments: a reminder before each due date, a
receipt after each charge, and a failure notice with a link to pay late.

Run by a task after the change committed; once per (installment, kind, version): the
InstallmentNotice row is inserted before sending, and taken back if sending fails.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from core.money import Money
from payments.bnpl.models import Installment, InstallmentNotice

SUBJECTS = {
    "reminder": "Your next payment to {merchant} is due on {due}",
    "paid": "Payment received: {amount} to {merchant}",
    "failed": "We couldn't take your payment of {amount} to {merchant}",
}
PAY_LATE_SALT = "bnpl.installment.pay"
PAY_LATE_MAX_AGE = 60 * 60 * 24 * 45


def pay_late_token(installment: Installment) -> str:
    return signing.dumps(installment.public_id, salt=PAY_LATE_SALT)


def pay_late_token_check(token: str) -> str | None:
    """The installment id the token was issued for, or None (bad or too old)."""
    try:
        return signing.loads(token, salt=PAY_LATE_SALT, max_age=PAY_LATE_MAX_AGE)
    except signing.BadSignature:
        return None


def pay_late_url(installment: Installment) -> str:
    return f"{settings.PUBLIC_BASE_URL}/pay/installments/{installment.public_id}?token={pay_late_token(installment)}"


def installment_email_send(*, installment_pk: int, kind: str, version: int) -> bool:
    installment = Installment.objects.select_related("plan", "merchant").get(pk=installment_pk)
    plan = installment.plan
    if kind not in SUBJECTS or not plan.email:
        return False
    try:
        with transaction.atomic():
            notice = InstallmentNotice.objects.create(installment=installment, kind=kind, version=version)
    except IntegrityError:
        return False
    amount = Money(installment.amount, installment.currency).format()
    context = {
        "installment": installment,
        "plan": plan,
        "merchant": installment.merchant,
        "amount": amount,
        "due": installment.due_date,
        "pay_url": pay_late_url(installment) if kind == "failed" else "",
        "remaining": [
            (i.sequence, Money(i.amount, i.currency).format(), i.due_date, i.state)
            for i in plan.installments.order_by("sequence")
        ],
    }
    subject = SUBJECTS[kind].format(merchant=installment.merchant.name, due=installment.due_date, amount=amount)
    try:
        send_mail(
            subject=subject[:200],
            message=render_to_string(f"bnpl/emails/{kind}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[plan.email],
        )
    except Exception:
        notice.delete()
        raise
    return True
