"""Emails to the shopper about their installments: a reminder before each due date, a
receipt after each charge, and a failure notice with a link to pay late.

Run by a task after the change committed; once per (installment, kind, version): the
InstallmentNotice row is inserted before sending, and taken back if sending fails.
"""

from babel.dates import format_date
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.languages import locale_language
from core.money import Money
from payments.bnpl.models import Installment, InstallmentNotice

SUBJECTS = {
    "reminder": _("Your next payment to %(merchant)s is due on %(due)s"),
    "paid": _("Payment received: %(amount)s to %(merchant)s"),
    "failed": _("We couldn't take your payment of %(amount)s to %(merchant)s"),
}
# An installment's state as the shopper reads it in the plan's schedule.
STATE_NAMES = {
    Installment.State.PENDING: pgettext_lazy("installment", "scheduled"),
    Installment.State.PROCESSING: pgettext_lazy("installment", "being taken"),
    Installment.State.PAID: pgettext_lazy("installment", "paid"),
    Installment.State.FAILED: pgettext_lazy("installment", "not taken"),
    Installment.State.OVERDUE: pgettext_lazy("installment", "overdue"),
    Installment.State.COLLECTIONS: pgettext_lazy("installment", "with collections"),
    Installment.State.CANCELLED: pgettext_lazy("installment", "cancelled"),
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


def shopper_locale(locale: str) -> str:
    """The babel locale to format for: the stored one when its language ships, else
    English (the text is English then, and its amounts and dates should read so too)."""
    language = locale_language(locale)
    return locale.replace("-", "_") if locale and locale.split("_")[0].split("-")[0] == language else "en_US"


def shopper_date(day, locale: str) -> str:
    return format_date(day, "long", locale=shopper_locale(locale))


def state_name(state: str) -> str:
    return str(STATE_NAMES.get(state, state))


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
    locale = shopper_locale(plan.locale)
    with translation.override(locale_language(plan.locale)):
        amount = Money(installment.amount, installment.currency).format(locale)
        context = {
            "installment": installment,
            "plan": plan,
            "merchant": installment.merchant,
            "amount": amount,
            "due": shopper_date(installment.due_date, locale),
            "next_attempt": shopper_date(installment.next_attempt_on, locale) if installment.next_attempt_on else "",
            "pay_url": pay_late_url(installment) if kind == "failed" else "",
            "remaining": [
                (
                    i.sequence,
                    Money(i.amount, i.currency).format(locale),
                    shopper_date(i.due_date, locale),
                    state_name(i.state),
                )
                for i in plan.installments.order_by("sequence")
            ],
        }
        subject = gettext(SUBJECTS[kind]) % {
            "merchant": installment.merchant.name,
            "due": context["due"],
            "amount": amount,
        }
        message = render_to_string(f"bnpl/emails/{kind}.txt", context)
    try:
        send_mail(
            subject=subject[:200],
            message=message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[plan.email],
        )
    except Exception:
        notice.delete()
        raise
    return True
