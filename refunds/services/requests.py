"""Asking for a refund (by API or by staff) and answering a reviewer's question."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.exceptions import DomainError
from core.money import format_minor
from payments.hooks import payer_customer_id
from payments.models import PaymentTransaction
from payments.selectors import paid_by_transfer, payment_paid_lines
from payments.services.bank_transfers import bank_account_check, bank_transfer_payer
from payments.services.refunds import payment_refund_check, payment_refundable_amount
from payments.wallet.refunds import CARD, split_refund_plan
from refunds.exceptions import RefundExceedsCaptured
from refunds.locks import lock_merchant_refund_and_payment, lock_payment_for_refund
from refunds.models import RefundRequest
from refunds.rules import auto_approval
from refunds.selectors import refund_line_quantities, refund_reserved_amount, refund_reserved_parts
from refunds.services.log import refund_audit, refund_emit, refund_log, refund_transition
from refunds.services.queue import queue_processing, queue_review_request

RULES_ACTOR = "system:refund_rules"


def refund_room(payment: PaymentTransaction, *, exclude_pk: int | None = None) -> int:
    """What may still be refunded, by payments' one rule (which counts the refunds in
    flight here through the reservations refunds registers, and payments' own), plus,
    for an intent paid as a split, what its gift card and store credit parts have left.

    The caller holds the payment's lock: the sum stays true until its transaction ends,
    which is what keeps concurrent requests from refunding more than was captured.
    """
    card = payment_refundable_amount(payment, exclude_reservation=exclude_pk)
    shares = _plan(payment, amount=None, allocations=None, exclude_pk=exclude_pk)
    return card if shares is None else sum(share.amount for share in shares)


def _plan(payment: PaymentTransaction, *, amount, allocations, exclude_pk: int | None = None):
    """The split parts a refund draws on (None when the intent was not paid by a split)."""
    try:
        return split_refund_plan(
            payment,
            amount=amount,
            allocations=allocations,
            card_room=payment_refundable_amount(payment, exclude_reservation=exclude_pk),
            reserved=refund_reserved_parts(payment_pk=payment.pk, exclude_pk=exclude_pk),
        )
    except DomainError as exc:
        if exc.code == "refund_exceeds_captured":
            room = refund_room(payment, exclude_pk=exclude_pk)
            raise RefundExceedsCaptured(
                f"At most {format_minor(max(room, 0), payment.currency)} is left to refund on this payment.",
                param="amount",
                extra={"refundable_amount": max(room, 0)},
            ) from None
        raise


def _store_credit_customer(payment: PaymentTransaction, refund_to: str, customer_id: str) -> str:
    if refund_to != RefundRequest.Destination.STORE_CREDIT:
        if customer_id:
            raise DomainError("customer_id is only for refunds to store credit.", param="customer_id")
        return ""
    customer = customer_id or payer_customer_id(merchant_id=payment.merchant_id, reference=payment.reference)
    if not customer:
        raise DomainError(
            "This payment's payer is a guest: name the customer whose store credit receives the refund.",
            code="customer_required",
            param="customer_id",
        )
    return customer


def _account_shown(refund: RefundRequest) -> dict:
    # The event log and the audit keep the account's last digits, not the whole IBAN.
    return {
        "iban_last4": refund.transfer_iban[-4:],
        "account_holder": refund.transfer_account_holder,
        "source": refund.transfer_account_source,
    }


def _transfer_account(payment: PaymentTransaction, refund_to: str, bank_account) -> dict:
    """Where a refund of a payment made by bank transfer is sent: the account the money
    came from (the counterparty of the statement credit that paid it), or, when the
    statement did not say, the account the requester names. {} for any other refund.

    A named account must be the statement's when the statement has one: a refund goes
    back where the money came from, never to an account of the requester's choosing.
    Raises DomainError (400): bank_account_required, bank_account_mismatch, invalid_iban,
    or bank_account given where no transfer is made.
    """
    by_transfer = paid_by_transfer(payment) and refund_to == RefundRequest.Destination.ORIGINAL
    if not by_transfer:
        if bank_account is not None:
            raise DomainError(
                "bank_account is only for refunds of a payment made by bank transfer, back to the payer's account.",
                code="bank_account_not_applicable",
                param="bank_account",
            )
        return {}
    given = bank_account_check(bank_account) if bank_account is not None else None
    payer = bank_transfer_payer(payment)
    if payer is not None:
        if given is not None and given.iban != payer.iban:
            raise DomainError(
                f"The payment came from the account ending {payer.iban[-4:]}; a refund goes back there.",
                code="bank_account_mismatch",
                param="bank_account.iban",
            )
        holder = payer.holder or (given.holder if given else "")
        if not holder:
            raise DomainError(
                "The statement does not name the payer's account holder: give bank_account.account_holder.",
                code="bank_account_required",
                param="bank_account.account_holder",
            )
        return {"iban": payer.iban, "holder": holder, "source": RefundRequest.AccountSource.STATEMENT}
    if given is None:
        raise DomainError(
            "This payment was made by bank transfer and no statement shows the account it came from: "
            "give bank_account with the payer's iban and account_holder.",
            code="bank_account_required",
            param="bank_account",
        )
    return {"iban": given.iban, "holder": given.holder, "source": RefundRequest.AccountSource.REQUEST}


def refund_reservations(*, payment_pk: int, exclude=None) -> int:
    """Registered with payments (RefundsConfig.ready): what refund requests hold."""
    return refund_reserved_amount(payment_pk=payment_pk, exclude_pk=exclude)


def refund_room_check(payment: PaymentTransaction, amount: int, *, exclude_pk: int | None = None) -> None:
    room = refund_room(payment, exclude_pk=exclude_pk)
    if amount > room:
        raise RefundExceedsCaptured(
            f"At most {format_minor(max(room, 0), payment.currency)} is left to refund on this payment.",
            param="amount",
            extra={"refundable_amount": max(room, 0)},
        )


def _line_share(total: int, *, before: int, units: int, bought: int) -> int:
    """The part of a line's `total` that `units` more of its `bought` units carry, after
    `before` were refunded: the floor of the cumulative proportion, minus what the earlier
    refunds took. Integer only, the same every time, and the refunds of a line add up to
    exactly its total once all its units are back (the last one takes the remainder)."""
    return total * (before + units) // bought - total * before // bought


def refund_lines_check(payment: PaymentTransaction, lines) -> int:
    """Checks `lines` against what the payment paid for and returns what they are worth:
    per line, unit price × quantity, plus its share of the tax added on top, minus its
    share of the discount (shipping is not a line). Call with the payment locked: the
    units already refunded cannot move meanwhile.

    Raises DomainError (400) for a payment without lines, an unknown line_id, or more
    units than were bought and not yet refunded or held by a refund in flight.
    """
    paid = payment_paid_lines(payment)
    if not paid:
        raise DomainError("This payment was not for lines; refund an amount instead.", param="lines")
    bought = {line.line_id: line for line in paid}
    refunded = refund_line_quantities(payment_pk=payment.pk)
    worth = 0
    for index, requested in enumerate(lines):
        line = bought.get(requested["line_id"])
        if line is None:
            raise DomainError(
                "The payment's order has no such line.", code="refund_line_unknown", param=f"lines[{index}].line_id"
            )
        before = refunded.get(line.line_id, 0)
        left = line.quantity - before
        if requested["quantity"] > left:
            raise DomainError(
                f"Only {max(left, 0)} of this line's {line.quantity} can still be refunded.",
                code="refund_line_quantity_exceeded",
                param=f"lines[{index}].quantity",
                extra={"refundable_quantity": max(left, 0)},
            )
        worth += _line_share(line.total_amount, before=before, units=requested["quantity"], bought=line.quantity)
    return worth


def _receipt_email(payment: PaymentTransaction, given: str) -> str:
    candidate = given or str((payment.metadata or {}).get("receipt_email") or "")
    try:
        validate_email(candidate)
    except ValidationError:
        return ""
    return candidate


def refund_create(
    *,
    merchant_id: int,
    payment_intent_id: str,
    amount: int | None,
    reason: str,
    actor: str,
    note: str = "",
    lines=(),
    receipt_email: str = "",
    user=None,
    allocations=None,
    refund_to: str = RefundRequest.Destination.ORIGINAL,
    customer_id: str = "",
    bank_account: dict | None = None,
) -> RefundRequest:
    """A refund of `amount` of the merchant's payment. None: what `lines` are worth
    (refund_lines_check), or without lines all that is left.

    Locks the payment first, sums what it has refunded and what refunds in flight hold,
    and writes the request only if it fits. The merchant's rules approve it at once or
    send it to review (reviewers are emailed on commit); an approved one is queued for
    the gateway on commit. `user`: the staff member asking, kept for the four-eyes rule.
    An intent paid as a split refunds its own card first, then its gift card and store
    credit parts, or the parts `allocations` ([{"part", "amount"}]) names; `refund_to`
    store_credit puts it all on the customer's store credit (the session's owner, or
    `customer_id`) instead of the card. An intent paid by bank transfer is refunded by
    a transfer to the payer's account (_transfer_account; `bank_account` {"iban",
    "account_holder"} where no statement shows it), which finance sends and marks sent.
    Raises NotFound (404), PaymentNotCaptured or PaymentDisputed (409),
    RefundExceedsCaptured (400), DomainError (400) for lines the payment did not pay for
    or a missing or wrong bank account.
    """
    with transaction.atomic(durable=True):
        payment = lock_payment_for_refund(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        payment_refund_check(payment)
        lines = [dict(line) for line in lines]
        if lines:
            lines_worth = refund_lines_check(payment, lines)
        if amount is None and allocations:
            amount = sum(item["amount"] for item in allocations)
        if amount is None:
            room = refund_room(payment)
            # By lines, what they are worth, but never more than is left (an earlier refund
            # by amount may have taken part of it already).
            amount = min(lines_worth, room) if lines else room
            if amount <= 0:
                raise RefundExceedsCaptured(
                    "Nothing is left to refund on this payment.", param="amount", extra={"refundable_amount": 0}
                )
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            # The API's serializer says so too; the service must hold for every caller.
            raise DomainError("amount must be a positive integer in minor units.", param="amount")
        shares = _plan(payment, amount=amount, allocations=allocations)
        if shares is None:
            if allocations:
                raise DomainError(
                    "allocations are for payment intents paid as a split.", code="not_split", param="allocations"
                )
            refund_room_check(payment, amount)
            card_amount = amount
        else:
            card_amount = sum(share.amount for share in shares if share.type == CARD)
        store_credit_customer = _store_credit_customer(payment, refund_to, customer_id)
        account = _transfer_account(payment, refund_to, bank_account)
        refund = RefundRequest.objects.create(
            merchant_id=merchant_id,
            payment=payment,
            amount=amount,
            card_amount=card_amount,
            allocations=[share.public() for share in shares or []],
            refund_to=refund_to,
            store_credit_customer_id=store_credit_customer,
            currency=payment.currency,
            reason=reason,
            note=note,
            lines=lines,
            receipt_email=_receipt_email(payment, receipt_email),
            requested_by=actor,
            requested_by_user=user,
            transfer_iban=account.get("iban", ""),
            transfer_account_holder=account.get("holder", ""),
            transfer_account_source=account.get("source", ""),
        )
        refund_log(
            refund,
            type="created",
            actor=actor,
            user=user,
            data={
                "amount": amount,
                "reason": reason,
                "note": note,
                "lines": refund.lines,
                "allocations": refund.allocations,
                "refund_to": refund.refund_to,
                **({"transfer_to": _account_shown(refund)} if refund.by_transfer else {}),
            },
            to_state=refund.state,
        )
        refund_audit(refund, action="created", actor=actor, before=None, data={"amount": amount, "reason": reason})
        refund_emit(refund, "refund.created", before=None)
        decision = auto_approval(
            merchant=payment.merchant, amount=amount, currency=payment.currency, captured_at=payment.completed_at
        )
        if decision.approved:
            refund_transition(refund, "approve_automatically", actor=RULES_ACTOR, data={"why": decision.why})
            queue_processing(refund.pk)
        else:
            refund_transition(refund, "submit_for_review", actor=RULES_ACTOR, data={"why": decision.why})
            queue_review_request(refund.pk)
    return refund


def refund_provide_info(*, merchant_id: int, refund_id: str, information: str, actor: str) -> RefundRequest:
    """The requester's answer to a reviewer's question: NEEDS_INFO → UNDER_REVIEW, and
    the reviewers are emailed again. Locks payment then refund. Raises NotFound (404),
    InvalidStateTransition (409) unless the refund waits for information."""
    with transaction.atomic(durable=True):
        payment, refund = lock_merchant_refund_and_payment(merchant_id=merchant_id, refund_id=refund_id)
        refund.payment = payment
        refund_transition(
            refund, "provide_info", actor=actor, data={"information": information}, information=information
        )
        queue_review_request(refund.pk)
    return refund
