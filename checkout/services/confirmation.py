"""The order confirmation email the success page promises: HTML and text, the receipt's
lines and totals and a link to the receipt, in the shopper's language.

Queued on commit of the finalizing transaction (so a rolled-back order sends nothing),
sent by a task, once: the order's `confirmation_emailed_at` is claimed by
compare-and-set before sending and given back if the send fails, for the retry.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from checkout.languages import locale_language
from checkout.models import Order
from checkout.receipts import receipt_context
from checkout.services.lifecycle import timeline_record

SYSTEM_ACTOR = "system:confirmation"


# A merchant that sends its own confirmations turns ours off:
# PATCH /v1/checkout/settings {"extra_settings": {"order_confirmation_email": false}}.
OPT_OUT_SETTING = "order_confirmation_email"


def order_confirmation_queue(order: Order) -> None:
    """Called inside the transaction that created the order; the task runs after commit."""
    if not (order.customer or {}).get("email"):
        return
    if (order.merchant.extra_settings or {}).get(OPT_OUT_SETTING) is False:
        return
    from checkout.tasks import send_order_confirmation

    transaction.on_commit(lambda: send_order_confirmation.delay(order.pk), robust=True)


def order_confirmation_send(*, order_pk: int) -> bool:
    """Sends the confirmation for the order; False when it was sent already (or has nowhere to go)."""
    claimed = Order.objects.filter(pk=order_pk, confirmation_emailed_at__isnull=True).update(
        confirmation_emailed_at=timezone.now()
    )
    if not claimed:
        return False
    order = Order.objects.select_related("merchant", "session").get(pk=order_pk)
    email = (order.customer or {}).get("email", "")
    if not email:
        return False
    try:
        send_confirmation_email(order, email)
    except Exception:
        Order.objects.filter(pk=order_pk).update(confirmation_emailed_at=None)
        raise
    with transaction.atomic():
        timeline_record(order.session, type="order.confirmation_emailed", actor=SYSTEM_ACTOR,
                        data={"order_id": order.public_id})  # fmt: skip
    return True


def send_confirmation_email(order: Order, email: str) -> None:
    """Renders and sends the confirmation to `email` now (network I/O: never inside a
    transaction). The first send and a support agent's resend both come here."""
    with translation.override(locale_language(order.locale)):
        context = {
            **receipt_context(order),
            "receipt_link": f"{settings.PUBLIC_BASE_URL}{reverse('receipt', args=[order.receipt_id])}",
            "customer_first": ((order.customer or {}).get("name") or "").split(" ", 1)[0],
        }
        subject = gettext("Your order from %(merchant)s is confirmed") % {"merchant": order.merchant.name}
        message = EmailMultiAlternatives(
            subject=subject[:200],
            body=render_to_string("checkout/emails/order_confirmation.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
        )
        message.attach_alternative(render_to_string("checkout/emails/order_confirmation.html", context), "text/html")
    message.send()
