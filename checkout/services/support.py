"""What support agents do to an order from the back office: a note, and the confirmation
email sent again (to the shopper, or to an address the agent types).

Both are recorded on the order's session timeline with their audit row filed under the
order (merchants.AuditEntry, the one audit trail), in the shape the session's support
notes already have. A resend is idempotent per click: the form's token is stored with the
request, and a second POST of the same token, checked under the session's lock, answers
the first request instead of sending again.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from checkout.locks import lock_session
from checkout.models import Order, SessionEvent
from checkout.services.lifecycle import timeline_record
from core.exceptions import DomainError, NotFound
from merchants.audit.selectors import audit_list

RESEND_REQUESTED = "order.receipt_resend_requested"
RESEND_SENT = "order.receipt_resent"


def _order(merchant_id: int, order_id: str) -> Order:
    # Read unlocked only to find the session, which never changes for an order; the
    # services then lock the session (first in the house order).
    order = Order.objects.filter(merchant_id=merchant_id, public_id=order_id).select_related("session").first()
    if order is None:
        raise NotFound("No such order.", param="order_id")
    return order


def order_support_note_add(*, merchant_id: int, order_id: str, note: str, author: str, actor: str) -> SessionEvent:
    """A note for support teams about the order: on its session's timeline, audited under
    the order. Locks the session. Raises NotFound (404), DomainError (400) for an empty note."""
    note = (note or "").strip()
    if not note:
        raise DomainError("Write the note first.", code="parameter_missing", param="note")
    order = _order(merchant_id, order_id)
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=order.session.public_id)
        data = {"note": note[:4000], "author": author, "order_id": order_id}
        return timeline_record(session, type="support_note", actor=actor, data=data, audit_object=("order", order_id))


@dataclass(frozen=True)
class Resend:
    order_id: str
    email: str
    created: bool  # False: this click's token was seen before; nothing more was queued


def order_receipt_resend(*, merchant_id: int, order_id: str, actor: str, request_token: str, email: str = "") -> Resend:
    """Queues the order's confirmation email again, after commit, to `email` or else the
    shopper's address on the order. Locks the session; the same `request_token` twice
    queues once. Raises NotFound (404), DomainError (400) for a bad or missing address."""
    if not request_token:
        raise DomainError("The form has expired: open the order again.", code="parameter_missing", param="token")
    order = _order(merchant_id, order_id)
    email = (email or "").strip() or (order.customer or {}).get("email", "")
    if not email:
        raise DomainError("The order has no email address: type one.", code="parameter_missing", param="email")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("That is not an email address.", code="parameter_invalid", param="email") from None
    with transaction.atomic(durable=True):
        session = lock_session(merchant_id=merchant_id, checkout_id=order.session.public_id)
        earlier = (
            audit_list(merchant_id=merchant_id, object_type="order", object_id=order_id, action=RESEND_REQUESTED)
            .filter(data__request_token=request_token)
            .first()
        )
        if earlier is not None:
            return Resend(order_id, earlier.data["to"], created=False)
        event = timeline_record(
            session, type=RESEND_REQUESTED, actor=actor,
            data={"order_id": order_id, "to": email, "request_token": request_token},
            audit_object=("order", order_id),
        )  # fmt: skip
        from checkout.tasks import resend_order_receipt

        transaction.on_commit(lambda: resend_order_receipt.delay(order.pk, event.pk), robust=True)
    return Resend(order_id, email, created=True)


def order_receipt_resend_send(*, order_pk: int, request_event_pk: int) -> bool:
    """The task's body: sends the email the request names, then records it. A redelivered
    task whose email went out already sends nothing (False)."""
    from checkout.services.confirmation import send_confirmation_email

    request = SessionEvent.objects.select_related("session").get(pk=request_event_pk, type=RESEND_REQUESTED)
    if SessionEvent.objects.filter(session=request.session, type=RESEND_SENT, data__request=request.pk).exists():
        return False
    order = Order.objects.select_related("merchant", "session").get(pk=order_pk)
    send_confirmation_email(order, request.data["to"])
    with transaction.atomic():
        timeline_record(
            order.session, type=RESEND_SENT, actor=request.actor,
            data={"order_id": order.public_id, "to": request.data["to"], "request": request.pk},
            audit_object=("order", order.public_id),
        )  # fmt: skip
    return True
