"""The bank-transfer instructions email: what the hosted page shows while the shopper's
transfer is on its way (account, IBAN, amount, reference, deadline), HTML and text, in
the shopper's language, so they have it at hand when they open their banking app.

Queued on commit of the transaction that saw the payment start waiting for the transfer
(checkout.services.payment), sent by a task, once per payment intent: the send is claimed
by a timeline row written under the session's lock, and a failed send writes its
counterpart, so the task's retry may claim it again.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from checkout.hosted.summary import babel_locale
from checkout.languages import locale_language
from checkout.locks import lock_session_pk
from checkout.models import CheckoutSession, SessionEvent
from checkout.services.lifecycle import timeline_record
from payments.selectors import bank_transfer_shown, payment_intent_get

ACTOR = "system:transfer_instructions"
EMAILED = "transfer_instructions.emailed"
NOT_SENT = "transfer_instructions.not_sent"


def transfer_instructions_queue(session: CheckoutSession, *, payment_intent_id: str) -> None:
    """Called inside the transaction that records the wait; the task runs after commit."""
    if not session.customer_email:
        return
    from checkout.tasks import send_transfer_instructions

    session_pk = session.pk
    transaction.on_commit(lambda: send_transfer_instructions.delay(session_pk, payment_intent_id), robust=True)


def _claim(session_pk: int, payment_intent_id: str):
    """Short transaction under the session's lock: what to send, or None when it was sent
    already, has nowhere to go, or the transfer no longer waits (paid, expired)."""
    with transaction.atomic():
        session = lock_session_pk(session_pk)
        if session is None or not session.customer_email:
            return None
        events = SessionEvent.objects.filter(session=session, data__payment_intent_id=payment_intent_id)
        if events.filter(type=EMAILED).count() > events.filter(type=NOT_SENT).count():
            return None
        payment = payment_intent_get(merchant_id=session.merchant_id, payment_intent_id=payment_intent_id)
        with translation.override(locale_language(session.locale)):
            transfer = bank_transfer_shown(payment, locale=babel_locale(session))
        if transfer is None:
            return None
        timeline_record(session, type=EMAILED, actor=ACTOR, data={"payment_intent_id": payment_intent_id})
        return session, transfer


def transfer_instructions_send(*, session_pk: int, payment_intent_id: str) -> bool:
    """Sends the instructions for the session's waiting transfer; False when there is
    nothing to send (sent already, no email, no longer waiting). Raises what sending
    raises, after giving the claim back."""
    claimed = _claim(session_pk, payment_intent_id)
    if claimed is None:
        return False
    session, transfer = claimed
    try:
        _send(session, transfer)
    except Exception:
        with transaction.atomic():
            session = lock_session_pk(session_pk)
            timeline_record(session, type=NOT_SENT, actor=ACTOR, data={"payment_intent_id": payment_intent_id})
        raise
    return True


def _send(session: CheckoutSession, transfer: dict) -> None:
    language = locale_language(session.locale)
    with translation.override(language):
        context = {
            "language": language,
            "merchant_name": session.merchant.name,
            "customer_first": (session.customer_name or "").split(" ", 1)[0],
            "transfer": transfer,
        }
        subject = gettext("Your order from %(merchant)s: pay by bank transfer") % {"merchant": session.merchant.name}
        message = EmailMultiAlternatives(
            subject=subject[:200],
            body=render_to_string("checkout/emails/transfer_instructions.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[session.customer_email],
        )
        message.attach_alternative(render_to_string("checkout/emails/transfer_instructions.html", context), "text/html")
    message.send()
