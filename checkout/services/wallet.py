"""The session's wallet: gift cards and store credit applied to what the shopper owes.

Applying reserves nothing and charges nothing. What each instrument covers is worked
out from the live balances whenever it is read (`wallet_allocation`); the money moves
only when the session is paid: as the first parts of a split payment before the card
(`wallet_balance_parts` at intent creation), or, when balances cover it all, inside
finalization's own transaction.
"""

import hmac
from dataclasses import dataclass, field

from django.db import transaction

from checkout.locks import lock_session
from checkout.models import CheckoutSession, SessionWalletItem
from checkout.services.lifecycle import session_touch, timeline_record
from core.exceptions import Conflict, DomainError
from payments.selectors import payment_intent_get, payment_is_replaceable, payment_is_unpaid
from payments.wallet import codes
from payments.wallet.exceptions import GiftCardNotFound, StoreCreditUnavailable
from payments.wallet.services import gift_card_check_usable, gift_card_lookup, gift_card_status, store_credit_account

Status = CheckoutSession.Status
# Before any card payment is under way; a pending or failed intent is replaced anyway.
WALLET_OPEN = {Status.CREATED, Status.COLLECTING, Status.APPROVED, Status.RESERVED, Status.PAYMENT_PROCESSING}
# Where a split may have taken the wallet's balances (and not yet given them back).
PAID_OR_PAYING = {Status.PAYMENT_PROCESSING, Status.CLOSING, Status.COMPLETED}


def session_customer_id(session: CheckoutSession) -> str | None:
    """The customer whose store credit the session may use: its owner when that is a
    signed-in user of the merchant (a guest has none). The one place that reads how a
    session names its owner."""
    owner = session.owner
    return owner["id"] if owner and owner["type"] == CheckoutSession.OwnerType.USER and owner["id"] else None


def session_payer_customer(*, merchant_id: int, reference: str) -> str | None:
    """Payments' customer provider: who paid for the session `reference` (refunds issued
    as store credit land on this customer's account)."""
    session = CheckoutSession.objects.filter(merchant_id=merchant_id, public_id=reference).first()
    return session_customer_id(session) if session is not None else None


@dataclass
class Allocation:
    grand_total: int = 0
    gift_card_total: int = 0
    store_credit_total: int = 0
    amount_due: int = 0
    # The payment took the balances: amounts are what each took, balances what is left.
    paid: bool = False
    # (item, amount it covers now)
    items: list = field(default_factory=list)

    def totals(self) -> dict:
        return {
            "gift_card_total": self.gift_card_total,
            "store_credit_total": self.store_credit_total,
            "amount_due": self.amount_due,
        }


def _grand_total(session: CheckoutSession) -> int:
    calc = session.current_calculation
    return calc.grand_total if calc is not None else 0


def _taken(session: CheckoutSession, items: list) -> dict | None:
    """What each applied instrument took, by (kind, instrument id), once the session's
    payment has started taking money; None before (or after it gave everything back)."""
    if not items or session.status not in PAID_OR_PAYING:
        return None
    from payments.wallet.split import split_balances_taken

    taken = split_balances_taken(
        merchant_id=session.merchant_id, payment_intent_id=session.payment_intent_id, reference=session.public_id
    )
    return None if taken is None else {(kind, instrument): amount for kind, instrument, amount in taken}


def wallet_allocation(session: CheckoutSession) -> Allocation:
    """Gift cards in the order applied, each up to what is still due, then store credit
    up to what was asked; an instrument that can no longer pay (expired, disabled,
    empty) covers nothing. Once the payment has taken the balances, each covers what it
    took (its live balance is what is left after paying, not what it paid)."""
    allocation = Allocation(grand_total=_grand_total(session))
    remaining = allocation.grand_total
    items = list(session.wallet_items.select_related("gift_card", "store_credit"))
    taken = _taken(session, items)
    allocation.paid = taken is not None
    for item in sorted(items, key=lambda i: (i.kind != SessionWalletItem.Kind.GIFT_CARD, i.pk)):
        if taken is not None:
            key = (item.kind, item.gift_card_id or item.store_credit_id)
            amount = taken.get(key, 0)
            if item.kind == SessionWalletItem.Kind.GIFT_CARD:
                allocation.gift_card_total += amount
            else:
                allocation.store_credit_total += amount
        elif item.kind == SessionWalletItem.Kind.GIFT_CARD:
            card = item.gift_card
            usable = gift_card_status(card) == "active" and card.currency == session.currency
            amount = min(card.current_balance, remaining) if usable else 0
            allocation.gift_card_total += amount
        else:
            account = item.store_credit
            usable = account.currency == session.currency
            amount = min(account.balance, item.requested_amount or 0, remaining) if usable else 0
            allocation.store_credit_total += amount
        remaining -= amount
        allocation.items.append((item, amount))
    allocation.amount_due = remaining
    return allocation


def wallet_totals(session: CheckoutSession) -> dict:
    return wallet_allocation(session).totals()


def wallet_balance_parts(session: CheckoutSession, *, allocation: Allocation | None = None) -> list[dict]:
    """The split payment's balance parts for the session's wallet, as it stands
    (`allocation`: wallet_allocation's answer, when the caller has just asked it)."""
    parts = []
    for item, amount in (allocation or wallet_allocation(session)).items:
        if amount <= 0:
            continue
        if item.kind == SessionWalletItem.Kind.GIFT_CARD:
            parts.append({"kind": "gift_card", "gift_card": item.gift_card, "amount": amount})
        else:
            parts.append({"kind": "store_credit", "store_credit": item.store_credit, "amount": amount})
    return parts


def _lock_open_wallet(*, merchant_id: int, checkout_id: str) -> CheckoutSession:
    session = lock_session(merchant_id=merchant_id, checkout_id=checkout_id)
    if session.status not in WALLET_OPEN:
        raise Conflict(f"The wallet of a {session.status} session cannot change.", code="invalid_state_transition")
    if session.payment_intent_id:
        payment = payment_intent_get(merchant_id=merchant_id, payment_intent_id=session.payment_intent_id)
        if not payment_is_replaceable(payment):
            raise Conflict("This session's payment is already under way.", code="payment_in_progress")
    if session.current_calculation is None:
        raise Conflict("Calculate the session's totals before applying a gift card.", code="calculation_missing")
    return session


def _intent_follows_wallet(session: CheckoutSession, *, actor: str) -> None:
    """The wallet changed under a session that already has an unpaid intent: the card is
    asked for what is left, never for what a gift card now covers. The intent is resized
    and its split's balance parts set again; when the balances cover everything it is
    cancelled (nothing was sent, so no one is called) and finalize takes the balances.
    Runs under the session's lock (session → payment)."""
    from payments.services import payment_intent_cancel, payment_intent_lock, payment_intent_resize
    from payments.wallet.split import split_payment_prepare

    if not session.payment_intent_id:
        return
    payment = payment_intent_lock(merchant_id=session.merchant_id, payment_intent_id=session.payment_intent_id)
    if not payment_is_unpaid(payment):
        return
    due = wallet_allocation(session).amount_due
    data = {"payment_intent_id": payment.public_id, "from": payment.amount, "to": due}
    if due <= 0:
        payment_intent_cancel(
            merchant_id=session.merchant_id,
            payment_intent_id=payment.public_id,
            actor=actor,
            reason="Replaced: gift cards and store credit cover the session.",
        )
        session.payment_intent_id = ""
        session_touch(session, actor=actor, type="payment.intent_replaced_by_wallet", data=data)
        return
    payment_intent_resize(merchant_id=session.merchant_id, payment_intent_id=payment.public_id, amount=due, actor=actor)
    split_payment_prepare(
        merchant_id=session.merchant_id,
        payment_intent_id=payment.public_id,
        balance_parts=wallet_balance_parts(session),
        actor=actor,
    )
    if data["from"] != due:
        timeline_record(session, type="payment.intent_resized", actor=actor, data=data)


def session_gift_card_apply(
    *, merchant_id: int, checkout_id: str, code, actor: str, credential: str = "", ip: str = ""
) -> dict:
    """Applies a gift card: answers {applied_amount, remaining_balance, amount_due}.

    Locks the session. Idempotent (a card applied twice answers as it stands). 404
    gift_card_not_found for a wrong code or another merchant's card, 422
    gift_card_expired / gift_card_disabled / gift_card_currency_mismatch / gift_card_empty,
    429 too_many_attempts past the guessing limits (per `credential`, `ip` and session),
    409 nothing_to_pay when nothing is due.
    """
    with transaction.atomic():
        session = _lock_open_wallet(merchant_id=merchant_id, checkout_id=checkout_id)
        card = gift_card_lookup(
            merchant_id=merchant_id, code=code, credential=credential, ip=ip, scope=session.public_id
        )
        gift_card_check_usable(card, currency=session.currency)
        item = session.wallet_items.filter(gift_card=card).first()
        if item is None:
            if wallet_allocation(session).amount_due <= 0:
                raise Conflict("Nothing is left to pay on this session.", code="nothing_to_pay")
            item = SessionWalletItem.objects.create(
                session=session, kind=SessionWalletItem.Kind.GIFT_CARD, gift_card=card
            )
            timeline_record(
                session,
                type="wallet.gift_card_applied",
                actor=actor,
                data={"gift_card": card.public_id, "last4": card.last4},
            )
            _intent_follows_wallet(session, actor=actor)
        allocation = wallet_allocation(session)
    applied = dict((i.pk, amount) for i, amount in allocation.items)[item.pk]
    return {
        "object": "gift_card_application",
        "gift_card": {"id": card.public_id, "last4": card.last4},
        "applied_amount": applied,
        "remaining_balance": card.current_balance - applied,
        "amount_due": allocation.amount_due,
        "currency": session.currency,
    }


def session_gift_card_remove(*, merchant_id: int, checkout_id: str, code, actor: str) -> CheckoutSession:
    """Removes an applied card, matched by its code's keyed hash (compared in constant
    time). 404 gift_card_not_found when no card with this code is applied here."""
    candidates = codes.digests(code)
    with transaction.atomic():
        session = _lock_open_wallet(merchant_id=merchant_id, checkout_id=checkout_id)
        match = None
        for item in session.wallet_items.filter(kind=SessionWalletItem.Kind.GIFT_CARD).select_related("gift_card"):
            for candidate in candidates:
                if hmac.compare_digest(item.gift_card.code_hmac, candidate):
                    match = item
        if match is None:
            raise GiftCardNotFound("No gift card with this code is applied to this session.", param="code")
        timeline_record(
            session,
            type="wallet.gift_card_removed",
            actor=actor,
            data={"gift_card": match.gift_card.public_id, "last4": match.gift_card.last4},
        )
        match.delete()
        _intent_follows_wallet(session, actor=actor)
    return session


def session_store_credit_apply(*, merchant_id: int, checkout_id: str, amount, actor: str) -> CheckoutSession:
    """Applies up to `amount` of the owner's store credit (0 removes it). 422
    store_credit_unavailable when the session has no owner or it has no credit here."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= 10**12:
        raise DomainError("amount must be a non-negative integer in minor units.", param="amount")
    with transaction.atomic():
        session = _lock_open_wallet(merchant_id=merchant_id, checkout_id=checkout_id)
        customer_id = session_customer_id(session)
        account = (
            store_credit_account(merchant_id=merchant_id, customer_id=customer_id, currency=session.currency)
            if customer_id
            else None
        )
        if account is None or account.balance <= 0:
            raise StoreCreditUnavailable(
                explain="the session's owner (a user) has no store credit in this currency"
                if customer_id
                else "the session has no owner of type user",
                param="amount",
            )
        session.wallet_items.filter(kind=SessionWalletItem.Kind.STORE_CREDIT).delete()
        if amount > 0:
            SessionWalletItem.objects.create(
                session=session, kind=SessionWalletItem.Kind.STORE_CREDIT, store_credit=account, requested_amount=amount
            )
        timeline_record(session, type="wallet.store_credit_applied", actor=actor, data={"amount": amount})
        _intent_follows_wallet(session, actor=actor)
    return session


def session_wallet(session: CheckoutSession) -> dict:
    """Instruments applied (with what each covers now) and store credit available."""
    allocation = wallet_allocation(session)
    applied = []
    for item, amount in allocation.items:
        if item.kind == SessionWalletItem.Kind.GIFT_CARD:
            card = item.gift_card
            applied.append(
                {
                    "type": "gift_card",
                    "id": card.public_id,
                    "last4": card.last4,
                    "status": gift_card_status(card),
                    "applied_amount": amount,
                    "remaining_balance": card.current_balance if allocation.paid else card.current_balance - amount,
                }
            )
        else:
            applied.append(
                {
                    "type": "store_credit",
                    "requested_amount": item.requested_amount,
                    "applied_amount": amount,
                    "remaining_balance": item.store_credit.balance
                    if allocation.paid
                    else item.store_credit.balance - amount,
                }
            )
    customer_id = session_customer_id(session)
    account = (
        store_credit_account(merchant_id=session.merchant_id, customer_id=customer_id, currency=session.currency)
        if customer_id
        else None
    )
    return {
        "object": "wallet",
        "checkout_id": session.public_id,
        "currency": session.currency,
        "applied": applied,
        "available": {"store_credit": account.balance if account else 0, "customer_id": customer_id},
        "grand_total": allocation.grand_total,
        **allocation.totals(),
    }


def session_wallet_pays(session: CheckoutSession, *, actor: str):
    """Finalization's step for a session that gift cards and store credit cover whole:
    takes every balance in the caller's transaction (the session is locked; payments
    locks the instruments) and moves the session to payment_processing. Returns the
    completed split, or None when the wallet does not cover the session (nothing done).
    Raises the instrument's error (402 insufficient_balance, 422 gift_card_expired …)
    when one can no longer pay its part: the caller's transaction then rolls back whole."""
    from django_fsm import can_proceed

    from checkout.services.lifecycle import session_transition
    from payments.wallet.split import split_payment_pay_balances

    allocation = wallet_allocation(session)
    if not allocation.items or allocation.amount_due > 0 or allocation.grand_total <= 0:
        return None
    if session.merchant.approval_mode == "merchant" and session.approved_at is None:
        return None
    # Already paying when an intent it had was cancelled because the wallet came to cover it.
    paying = session.status == CheckoutSession.Status.PAYMENT_PROCESSING
    if not session.calculation_is_current or not (paying or can_proceed(session.start_payment)):
        return None
    split = split_payment_pay_balances(
        merchant_id=session.merchant_id,
        reference=session.public_id,
        currency=session.currency,
        balance_parts=wallet_balance_parts(session),
        actor=actor,
    )
    data = {"split_payment": split.public_id, "amount": split.amount, "currency": split.currency}
    if paying:
        session_touch(session, actor=actor, type="wallet.paid", data=data)
    else:
        session_transition(session, "start_payment", actor=actor, data=data)
    return split


def session_gift_card_remove_by_id(*, merchant_id: int, checkout_id: str, gift_card_id: str, actor: str) -> None:
    """The hosted page's remove button, which knows the card's id, never its code."""
    with transaction.atomic():
        session = _lock_open_wallet(merchant_id=merchant_id, checkout_id=checkout_id)
        item = session.wallet_items.filter(gift_card__public_id=gift_card_id).select_related("gift_card").first()
        if item is None:
            raise GiftCardNotFound("No such gift card is applied to this session.", param="gift_card_id")
        timeline_record(
            session,
            type="wallet.gift_card_removed",
            actor=actor,
            data={"gift_card": item.gift_card.public_id, "last4": item.gift_card.last4},
        )
        item.delete()
        _intent_follows_wallet(session, actor=actor)
