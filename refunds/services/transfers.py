"""A bank transfer's refund: finance sends the money back from the merchant's account to
the payer's, then marks the refund sent here, which completes it.

The refund waits in PROCESSING (SPEC's RefundRequest states: no state of its own) with
its amount reserved, from the moment it is approved until the mark. The mark books it
like a gateway's confirmation would: the payment becomes partially or fully refunded,
the ledger records the money leaving the merchant's own account, the merchant gets
refund.completed and the shopper the receipt.
"""

from django.db import transaction

from core.exceptions import DomainError, InvalidStateTransition
from refunds.exceptions import ReviewerNotAllowed
from refunds.locks import lock_refund_and_payment
from refunds.models import RefundRequest
from refunds.selectors import SEND_TRANSFER_PERMISSION
from refunds.services.log import refund_transition_check
from refunds.services.processing import complete_locked, fail_locked
from refunds.services.review import staff_actor

BANK_REFERENCE_MAX = 100
REASON_MAX = 500


class TransferSenderNotAllowed(ReviewerNotAllowed):
    default_message = "Only finance staff who may send refund transfers can mark one as sent."


def _sender_check(user) -> None:
    if not (user.is_active and user.is_staff and user.has_perm(SEND_TRANSFER_PERMISSION)):
        raise TransferSenderNotAllowed()


def _transfer_check(refund: RefundRequest) -> None:
    if not refund.by_transfer:
        raise InvalidStateTransition(
            "This refund is paid back through the gateway, not by a bank transfer.",
            explain="only refunds of payments made by bank transfer are sent by finance",
        )


def refund_transfer_mark_sent(*, refund_pk: int, user, bank_reference: str = "") -> tuple[RefundRequest, bool]:
    """PROCESSING → COMPLETED for a bank transfer's refund whose transfer `user` sent
    (`bank_reference`: the bank's reference of that transfer, optional). Returns the
    refund and whether this call marked it: a refund already marked sent is returned
    unchanged (a double click books nothing twice).

    Locks payment then refund. Raises TransferSenderNotAllowed (403) without
    refunds.send_refund_transfer, InvalidStateTransition (409) for a refund that is not
    a transfer or not waiting for one (approve it first), DomainError (400) for a
    bank reference that is too long.
    """
    bank_reference = " ".join((bank_reference or "").split())
    if len(bank_reference) > BANK_REFERENCE_MAX:
        raise DomainError(f"The bank reference is at most {BANK_REFERENCE_MAX} characters.", param="bank_reference")
    _sender_check(user)
    with transaction.atomic(durable=True):
        payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
        refund.payment = payment
        _transfer_check(refund)
        if refund.state == RefundRequest.State.COMPLETED and refund.transfer_sent_at is not None:
            return refund, False
        refund_transition_check(refund, "mark_transfer_sent")
        complete_locked(
            refund,
            payment,
            gateway_reference=bank_reference,
            actor=staff_actor(user),
            sent_by=user,
            data={"bank_reference": bank_reference, "iban_last4": refund.transfer_iban[-4:]},
        )
    return refund, True


def refund_transfer_fail(*, refund_pk: int, user, reason: str) -> RefundRequest:
    """PROCESSING → FAILED for a bank transfer's refund finance could not send (the bank
    would not take the account, it is closed): nothing left the merchant's account, so the
    amount it held is free again and the merchant hears refund.failed; an approver may
    retry it later (back to waiting for the transfer).

    Locks payment then refund. Raises TransferSenderNotAllowed (403),
    InvalidStateTransition (409) unless its transfer waits to be sent, DomainError (400)
    without a reason.
    """
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > REASON_MAX:
        raise DomainError(f"Say why the transfer could not be sent (at most {REASON_MAX} characters).", param="reason")
    _sender_check(user)
    with transaction.atomic(durable=True):
        payment, refund = lock_refund_and_payment(refund_pk=refund_pk)
        refund.payment = payment
        _transfer_check(refund)
        refund_transition_check(refund, "fail")
        fail_locked(
            refund, payment, code="transfer_not_sent", message=reason, definite=True, actor=staff_actor(user), user=user
        )
    return refund
