"""Split payments: one amount paid by gift cards, store credit and cards, all or nothing.

States: PENDING → PROCESSING → COMPLETED | FAILED. Parts are processed in order: every
balance part is debited in one transaction under the instruments' row locks (so two
payments spending one card can never overdraw it), then each card goes through the
ordinary confirm path (claim → call → record, no transaction open during the call).
The split's own intent is its last card part, so the order's payment succeeds only
once everything else has. Any part failing gives back every part that succeeded (ledger
reversals, voids, refunds) and fails the split with the part and its code; confirming
again starts a fresh split with the same parts.
"""

import logging

from django.db import models, transaction
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from core.exceptions import DomainError, InvalidStateTransition
from merchants.events import event_emit
from payments import hooks
from payments.exceptions import GatewayUnavailable, OperationInProgress, PayableClosed
from payments.locks import lock_gift_cards, lock_payment, lock_split, lock_store_credit
from payments.models import PaymentTransaction, State
from payments.selectors import payment_method_get, payment_order_status, payment_queryset
from payments.services.log import payment_log
from payments.wallet.exceptions import InsufficientBalance, SplitInvalid, StoreCreditUnavailable
from payments.wallet.models import EntryKind, SplitPart, SplitPayment, StoreCreditAccount
from payments.wallet.services import _post, gift_card_check_usable, gift_card_lookup

logger = logging.getLogger(__name__)

Kind = SplitPart.Kind
PartStatus = SplitPart.Status
BALANCE_KINDS = (Kind.GIFT_CARD, Kind.STORE_CREDIT)
OPEN = (SplitPayment.State.PENDING, SplitPayment.State.PROCESSING)
TAKEN = (State.AUTHORIZED, State.COMPLETED)


# --- setting the parts --------------------------------------------------------------


def _open_split(payment: PaymentTransaction) -> SplitPayment | None:
    return payment.splits.filter(state__in=[*OPEN, SplitPayment.State.COMPLETED]).order_by("-pk").first()


def _replace_parts(split: SplitPayment, parts: list[dict]) -> None:
    split.parts.all().delete()  # pending parts only: nothing was taken by them
    SplitPart.objects.bulk_create([SplitPart(split=split, position=index, **part) for index, part in enumerate(parts)])


def split_payment_prepare(*, merchant_id: int, payment_intent_id: str, balance_parts: list[dict], actor: str):
    """Checkout's session path: the intent (for what is left to pay by card) is paid as a
    split with these balance parts first (`{"kind", "gift_card" | "store_credit", "amount"}`).
    Runs in the caller's transaction; the caller holds the session's lock. An empty list
    removes a pending split. A split already started is left as it is."""
    payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
    split = _open_split(payment)
    if split is not None and split.state != SplitPayment.State.PENDING:
        return split
    if not balance_parts:
        if split is not None:
            split.parts.all().delete()
            split.delete()
        return None
    parts = [*balance_parts, {"kind": Kind.CARD, "amount": payment.amount, "payment": payment}]
    total = sum(part["amount"] for part in parts)
    if split is None:
        split = SplitPayment.objects.create(
            merchant_id=merchant_id,
            payment=payment,
            reference=payment.reference,
            amount=total,
            currency=payment.currency,
        )
    else:
        split.amount = total
        split.save()
    _replace_parts(split, parts)
    payment_log(payment, type="split.prepared", actor=actor, data={"split_payment": split.public_id, "amount": total})
    return split


def _allocation_parts(
    *, merchant_id: int, currency: str, allocations, credential: str, ip: str, scope: str
) -> list[dict]:
    if not isinstance(allocations, list) or not 1 <= len(allocations) <= 10:
        raise SplitInvalid("allocations must be a list of 1 to 10 parts.", param="allocations")
    parts = []
    for index, item in enumerate(allocations):
        param = f"allocations[{index}]"
        if not isinstance(item, dict):
            raise SplitInvalid("Each allocation is an object.", param=param)
        amount = item.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise SplitInvalid("amount must be a positive integer in minor units.", param=f"{param}.amount")
        kind = item.get("type")
        if kind == Kind.GIFT_CARD:
            card = gift_card_lookup(
                merchant_id=merchant_id, code=item.get("code"), credential=credential, ip=ip, scope=scope
            )
            gift_card_check_usable(card, currency=currency, amount=amount)
            parts.append({"kind": Kind.GIFT_CARD, "gift_card": card, "amount": amount})
        elif kind == Kind.STORE_CREDIT:
            customer_id = item.get("customer_id")
            account = StoreCreditAccount.objects.filter(
                merchant_id=merchant_id,
                customer_id=customer_id if isinstance(customer_id, str) else "",
                currency=currency,
            ).first()
            if account is None:
                raise StoreCreditUnavailable(param=f"{param}.customer_id")
            if account.balance < amount:
                raise InsufficientBalance(param=f"{param}.amount")
            parts.append({"kind": Kind.STORE_CREDIT, "store_credit": account, "amount": amount})
        elif kind == Kind.CARD:
            method_id = item.get("payment_method_id")
            if not isinstance(method_id, str):
                raise SplitInvalid("A card part needs payment_method_id.", param=f"{param}.payment_method_id")
            method = payment_method_get(merchant_id=merchant_id, payment_method_id=method_id)
            parts.append({"kind": Kind.CARD, "payment_method": method, "amount": amount})
        else:
            raise SplitInvalid("type must be gift_card, store_credit or card.", param=f"{param}.type")
    if not any(part["kind"] == Kind.CARD for part in parts):
        raise SplitInvalid(
            "A split needs at least one card part; an order covered by balances alone is finalized without an intent.",
            code="card_part_required",
            param="allocations",
        )
    # Cards last, in the order given: balances are certain, so they go first.
    return [p for p in parts if p["kind"] != Kind.CARD] + [p for p in parts if p["kind"] == Kind.CARD]


def payment_intent_split(
    *, merchant_id: int, payment_intent_id: str, allocations, actor: str, credential: str = "", ip: str = ""
) -> SplitPayment:
    """Sets the intent's parts explicitly. They must add up to the amount due: the intent's
    amount plus any balance parts already set on it. The last card part becomes the
    intent's own amount; earlier cards get intents of their own when the split runs.
    Locks the payment. 409 while the split runs or after it completed; 400 split_invalid,
    amount_mismatch, card_part_required; the gift card errors of apply."""
    with transaction.atomic():
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        if payment.state not in (State.PENDING, State.FAILED):
            raise InvalidStateTransition(f"A {payment.state} payment intent cannot be split.")
        split = _open_split(payment)
        if split is not None and split.state != SplitPayment.State.PENDING:
            raise InvalidStateTransition(f"The split payment is {split.state}; it cannot be changed.")
        due = split.amount if split is not None else payment.amount
        # Guesses through the split count against the session the intent pays, as apply's do.
        parts = _allocation_parts(
            merchant_id=merchant_id,
            currency=payment.currency,
            allocations=allocations,
            credential=credential,
            ip=ip,
            scope=payment.reference or payment.public_id,
        )
        total = sum(part["amount"] for part in parts)
        if total != due:
            raise SplitInvalid(
                "The allocations must add up to the amount due.",
                code="amount_mismatch",
                param="allocations",
                explain=f"allocations add up to {total}, the amount due is {due}",
            )
        parts[-1]["payment"] = payment
        if payment.amount != parts[-1]["amount"]:
            payment_log(
                payment, type="amount.split", actor=actor, data={"from": payment.amount, "to": parts[-1]["amount"]}
            )
            payment.amount = parts[-1]["amount"]
            payment.version += 1
            payment.save()
        if split is None:
            split = SplitPayment.objects.create(
                merchant_id=merchant_id,
                payment=payment,
                reference=payment.reference,
                amount=due,
                currency=payment.currency,
            )
        _replace_parts(split, parts)
        payment_log(
            payment, type="split.set", actor=actor, data={"split_payment": split.public_id, "parts": len(parts)}
        )
    return split


# --- running it ---------------------------------------------------------------------


def _clone(failed: SplitPayment) -> SplitPayment:
    split = SplitPayment.objects.create(
        merchant_id=failed.merchant_id,
        payment_id=failed.payment_id,
        reference=failed.reference,
        amount=failed.amount,
        currency=failed.currency,
    )
    SplitPart.objects.bulk_create(
        [
            SplitPart(
                split=split,
                position=part.position,
                kind=part.kind,
                amount=part.amount,
                gift_card_id=part.gift_card_id,
                store_credit_id=part.store_credit_id,
                # Earlier cards get fresh intents; the split's own intent is retried.
                payment_id=part.payment_id if part.payment_id == failed.payment_id else None,
                payment_method_id=part.payment_method_id,
            )
            for part in failed.parts.all()
        ]
    )
    return split


def _parts_still_fit(failed: SplitPayment, payment: PaymentTransaction) -> bool:
    """Whether a failed split may be run again for its intent: its own card part still
    asks what the intent asks. A wallet change after the failure either set new parts (a
    newer split) or, with no balances left, resized the intent alone."""
    own = failed.parts.filter(payment_id=payment.pk).values_list("amount", flat=True).first()
    return own == payment.amount


def _claim(*, merchant_id: int, payment_intent_id: str, actor: str) -> SplitPayment | None:
    with transaction.atomic():
        reference = (
            PaymentTransaction.objects.filter(merchant_id=merchant_id, public_id=payment_intent_id)
            .values_list("reference", flat=True)
            .first()
        )
        # The payable's owner locks its row first (house order) and says whether it may
        # still be paid, before any balance is touched.
        verdict = hooks.payable_check(
            merchant_id=merchant_id, reference=reference or "", payment_intent_id=payment_intent_id
        )
        payment = lock_payment(merchant_id=merchant_id, payment_intent_id=payment_intent_id)
        split = payment.splits.order_by("-pk").first()
        if split is None:
            return None
        if split.state in (SplitPayment.State.PENDING, SplitPayment.State.FAILED) and not verdict.payable:
            raise PayableClosed(verdict.message or None)
        split = lock_split(split.pk)
        if split.state == SplitPayment.State.FAILED:
            if payment.state not in (State.PENDING, State.FAILED):
                return None
            if not _parts_still_fit(split, payment):
                # The balances were taken off after the failure and the intent resized to
                # the whole amount: it is paid alone now, never with the old parts again.
                return None
            split = _clone(split)
            payment_log(payment, type="split.retried", actor=actor, data={"split_payment": split.public_id})
        if split.state == SplitPayment.State.PENDING:
            split.start(at=timezone.now())
            split.save()
            payment_log(payment, type="split.processing", actor=actor, data={"split_payment": split.public_id})
        return split


def split_payment_confirm(
    *, merchant_id: int, payment_intent_id: str, payment_method_id: str | None, actor: str, ip: str = ""
) -> PaymentTransaction | None:
    """Runs the intent's split, or returns None when the intent has none (an ordinary
    confirm). Idempotent: a completed split answers with the intent; a processing one
    carries on from its first part not yet taken. Raises the failing part's error after
    everything taken was given back (402 insufficient_balance, payment_declined …),
    GatewayUnavailable when a card got no answer (the split stays processing: confirm
    again and the card is asked again with the same key)."""
    split = _claim(merchant_id=merchant_id, payment_intent_id=payment_intent_id, actor=actor)
    if split is None:
        return None
    if split.state == SplitPayment.State.PROCESSING:
        _debit_balances(split.pk, actor=actor)
        _charge_cards(split.pk, payment_method_id=payment_method_id, actor=actor, ip=ip)
    return payment_queryset().get(pk=split.payment_id)


def _debit_balances(split_pk: int, *, actor: str) -> None:
    failing = None
    try:
        with transaction.atomic():
            split = lock_split(split_pk)
            if split.state != SplitPayment.State.PROCESSING:
                return
            parts = [p for p in split.parts.all() if p.kind in BALANCE_KINDS and p.status == PartStatus.PENDING]
            if not parts:
                return
            # Lock order: split, then gift cards, then store credit, each by primary key.
            cards = lock_gift_cards(p.gift_card_id for p in parts if p.gift_card_id)
            accounts = lock_store_credit(p.store_credit_id for p in parts if p.store_credit_id)
            for part in parts:
                failing = part
                if part.kind == Kind.GIFT_CARD:
                    instrument = cards[part.gift_card_id]
                    gift_card_check_usable(instrument, currency=split.currency, amount=part.amount)
                    balance = instrument.current_balance
                else:
                    instrument = accounts[part.store_credit_id]
                    if instrument.currency != split.currency:
                        raise StoreCreditUnavailable()
                    balance = instrument.balance
                if balance < part.amount:
                    raise InsufficientBalance()
                _post(
                    instrument, EntryKind.DEBIT, -part.amount, actor=actor, reference=split.public_id, split_part=part
                )
                part.status = PartStatus.SUCCEEDED
                part.save()
                _gift_card_used(split, part, instrument)
            failing = None
    except DomainError as exc:
        if failing is None:
            raise
        split_payment_fail(split_pk, position=failing.position, code=exc.code, actor=actor)
        raise


def _gift_card_used(split: SplitPayment, part: SplitPart, instrument) -> None:
    if part.kind != Kind.GIFT_CARD:
        return
    event_emit(
        merchant_id=split.merchant_id,
        type="gift_card.used",
        data={
            "gift_card": {"id": instrument.public_id, "last4": instrument.last4},
            "amount": part.amount,
            "currency": split.currency,
            "remaining_balance": instrument.current_balance,
            "split_payment": split.public_id,
        },
        payment_intent_id=split.payment.public_id if split.payment_id else "",
        checkout_id=split.reference,
    )


def _card_payment(split: SplitPayment, part: SplitPart, *, actor: str) -> PaymentTransaction:
    """The part's own intent, made the first time the part is charged (not for the
    split's intent, which is its last card part)."""
    if part.payment_id is not None:
        return part.payment
    from payments.services.intents import payment_intent_create

    with transaction.atomic():
        anchor = lock_payment(merchant_id=split.merchant_id, payment_intent_id=split.payment.public_id)
        part = SplitPart.objects.select_for_update().get(pk=part.pk)
        if part.payment_id is None:
            part.payment = payment_intent_create(
                merchant_id=split.merchant_id,
                amount=part.amount,
                currency=split.currency,
                reference=anchor.public_id,
                capture_mode=anchor.capture_mode,
                return_url=anchor.return_url,
                metadata={"split_payment": split.public_id, "part": part.position},
                actor=actor,
            )
            part.save()
    return part.payment


def _charge_cards(split_pk: int, *, payment_method_id: str | None, actor: str, ip: str) -> None:
    from payments.services.confirm import payment_intent_confirm

    split = SplitPayment.objects.select_related("payment").get(pk=split_pk)
    for part in split.parts.filter(kind=Kind.CARD).select_related("payment", "payment_method"):
        if part.status == PartStatus.SUCCEEDED:
            continue
        if part.status != PartStatus.PENDING:
            return
        card_payment = _card_payment(split, part, actor=actor)
        is_own = card_payment.pk == split.payment_id
        method_id = part.payment_method.public_id if part.payment_method_id else None
        if is_own and payment_method_id:
            method_id = payment_method_id
        try:
            card_payment = payment_intent_confirm(
                merchant_id=split.merchant_id,
                payment_intent_id=card_payment.public_id,
                payment_method_id=method_id,
                actor=actor,
                ip=ip,
                as_split_part=True,
            )
        except (GatewayUnavailable, OperationInProgress):
            raise  # no verdict: the split stays processing, a retry asks again with the same key
        except DomainError as exc:
            split_payment_fail(split_pk, position=part.position, code=exc.code, actor=actor)
            raise
        if card_payment.state not in TAKEN:
            return  # 3-D Secure or a call in flight: suspended until it settles
        SplitPart.objects.filter(pk=part.pk, status=PartStatus.PENDING).update(status=PartStatus.SUCCEEDED)
    _complete(split_pk, actor=actor)


def _complete(split_pk: int, *, actor: str) -> None:
    with transaction.atomic():
        split = lock_split(split_pk)
        if split.state != SplitPayment.State.PROCESSING:
            return
        if split.parts.exclude(status=PartStatus.SUCCEEDED).exists():
            return
        split.complete(at=timezone.now())
        split.save()
        event_emit(
            merchant_id=split.merchant_id,
            type="split_payment.completed",
            data={"split_payment": split_public(split)},
            payment_intent_id=split.payment.public_id if split.payment_id else "",
            checkout_id=split.reference,
        )


def split_payment_advance(payment: PaymentTransaction, *, actor: str) -> None:
    """After a card part's 3-D Secure settled: carry the split on, or fail it (giving
    back what was taken). Safe to call for any payment and more than once."""
    part = (
        SplitPart.objects.filter(payment=payment, split__state=SplitPayment.State.PROCESSING, status=PartStatus.PENDING)
        .select_related("split")
        .first()
    )
    if part is None:
        return
    if payment.state in TAKEN:
        SplitPart.objects.filter(pk=part.pk, status=PartStatus.PENDING).update(status=PartStatus.SUCCEEDED)
        try:
            _charge_cards(part.split_id, payment_method_id=None, actor=actor, ip="")
        except DomainError as exc:
            logger.warning("split %s stopped after 3-D Secure: %s", part.split.public_id, exc.code)
    elif payment.state == State.FAILED:
        code = (payment.last_error or {}).get("code") or "payment_failed"
        split_payment_fail(part.split_id, position=part.position, code=code, actor=actor)


def split_payment_fail(split_pk: int, *, position: int, code: str, actor: str) -> None:
    """Fails the split at `position`: reverses every balance debit in the ledger (same
    transaction), then voids or refunds every card part that was taken (after commit,
    outside any transaction). Idempotent; `split_payment_give_back` can be re-run for
    cards a crash left taken."""
    with transaction.atomic():
        split = lock_split(split_pk)
        if split.state in OPEN:
            parts = list(split.parts.all())
            taken = [p for p in parts if p.kind in BALANCE_KINDS and p.status == PartStatus.SUCCEEDED]
            cards = lock_gift_cards(p.gift_card_id for p in taken if p.gift_card_id)
            accounts = lock_store_credit(p.store_credit_id for p in taken if p.store_credit_id)
            for part in taken:
                instrument = cards[part.gift_card_id] if part.gift_card_id else accounts[part.store_credit_id]
                _post(
                    instrument,
                    EntryKind.REVERSAL,
                    part.amount,
                    actor=actor,
                    reference=split.public_id,
                    note=f"split payment failed at part {position}: {code}",
                    split_part=part,
                )
                part.status = PartStatus.REVERSED
                part.save()
            SplitPart.objects.filter(split=split, position=position, status=PartStatus.PENDING).update(
                status=PartStatus.FAILED, failure_code=code[:60]
            )
            split.fail(part=position, code=code[:60])
            split.save()
            event_emit(
                merchant_id=split.merchant_id,
                type="split_payment.failed",
                data={"split_payment": split_public(split)},
                payment_intent_id=split.payment.public_id if split.payment_id else "",
                checkout_id=split.reference,
            )
    split_payment_give_back(split_pk, actor=actor)


def split_payment_give_back(split_pk: int, *, actor: str) -> None:
    """Voids (authorized) or refunds (captured) the taken card parts of a failed split.
    Never the split's own intent: it is the last part, so it cannot have been taken
    while another part failed."""
    from payments.services.operations import payment_intent_cancel, payment_intent_refund

    split = SplitPayment.objects.get(pk=split_pk)
    if split.state != SplitPayment.State.FAILED:
        return
    for part in split.parts.filter(kind=Kind.CARD, status=PartStatus.SUCCEEDED).select_related("payment"):
        payment = part.payment
        try:
            if payment.state == State.AUTHORIZED:
                payment_intent_cancel(
                    merchant_id=split.merchant_id,
                    payment_intent_id=payment.public_id,
                    actor=actor,
                    reason="Another part of the split payment failed.",
                )
            elif payment.state in (State.COMPLETED, State.PARTIALLY_REFUNDED):
                payment_intent_refund(merchant_id=split.merchant_id, payment_intent_id=payment.public_id, actor=actor)
        except DomainError as exc:
            logger.warning("split %s: card part %s not given back yet: %s", split.public_id, part.position, exc.code)
            continue
        SplitPart.objects.filter(pk=part.pk, status=PartStatus.SUCCEEDED).update(status=PartStatus.REVERSED)


# --- balances alone -----------------------------------------------------------------


def split_payment_pay_balances(
    *, merchant_id: int, reference: str, currency: str, balance_parts: list[dict], actor: str
) -> SplitPayment:
    """Pays an amount wholly from balances, in the caller's transaction (no gateway, so
    nothing leaves the database): debits every part under row locks or raises, leaving
    the caller to roll everything back. Returns the completed split."""
    total = sum(part["amount"] for part in balance_parts)
    split = SplitPayment.objects.create(merchant_id=merchant_id, reference=reference, amount=total, currency=currency)
    _replace_parts(split, balance_parts)
    split.start(at=timezone.now())
    split.save()
    _debit_balances_locked(split, actor=actor)
    split.complete(at=timezone.now())
    split.save()
    event_emit(
        merchant_id=merchant_id,
        type="split_payment.completed",
        data={"split_payment": split_public(split)},
        checkout_id=reference,
    )
    return split


def _debit_balances_locked(split: SplitPayment, *, actor: str) -> None:
    parts = list(split.parts.all())
    cards = lock_gift_cards(p.gift_card_id for p in parts if p.gift_card_id)
    accounts = lock_store_credit(p.store_credit_id for p in parts if p.store_credit_id)
    for part in parts:
        if part.kind == Kind.GIFT_CARD:
            instrument = cards[part.gift_card_id]
            gift_card_check_usable(instrument, currency=split.currency, amount=part.amount)
        else:
            instrument = accounts[part.store_credit_id]
            if instrument.balance < part.amount:
                raise InsufficientBalance()
        _post(instrument, EntryKind.DEBIT, -part.amount, actor=actor, reference=split.public_id, split_part=part)
        part.status = PartStatus.SUCCEEDED
        part.save()
        _gift_card_used(split, part, instrument)


# --- reading ------------------------------------------------------------------------


def split_public(split: SplitPayment) -> dict:
    return {
        "id": split.public_id,
        "object": "split_payment",
        "status": split.state,
        "amount": split.amount,
        "currency": split.currency,
        "payment_intent_id": split.payment.public_id if split.payment_id else None,
        "failed_part": split.failed_part,
        "failure_code": split.failure_code or None,
        "parts": [
            {
                "position": part.position,
                "type": part.kind,
                "amount": part.amount,
                "status": part.status,
                "failure_code": part.failure_code or None,
                "gift_card": {"id": part.gift_card.public_id, "last4": part.gift_card.last4}
                if part.gift_card_id
                else None,
                "payment_intent_id": part.payment.public_id if part.payment_id else None,
            }
            for part in split.parts.select_related("gift_card", "payment")
        ],
    }


def _method_part(method, *, amount: int, payment_intent_id: str, kind: str = "") -> dict:
    return {
        "type": kind or (method.type if method else Kind.CARD),
        "amount": amount,
        "brand": method.brand if method else "",
        "last4": method.last4 if method else "",
        "payment_intent_id": payment_intent_id,
    }


def split_part_paid(part: SplitPart, *, amount: int | None = None, method=None) -> dict:
    """One part as an order, a receipt and the shopper's pages show what paid: its type
    and what it took; a gift card's last four; a card's brand, last four and intent."""
    amount = part.amount if amount is None else amount
    if part.kind == Kind.GIFT_CARD:
        return {"type": Kind.GIFT_CARD, "amount": amount, "last4": part.gift_card.last4}
    if part.kind == Kind.STORE_CREDIT:
        return {"type": Kind.STORE_CREDIT, "amount": amount}
    method = method or (part.payment.payment_method if part.payment_id else None) or part.payment_method
    return _method_part(method, amount=amount, payment_intent_id=part.payment.public_id if part.payment_id else "",
                        kind=Kind.CARD)  # fmt: skip


def split_paid_parts(split: SplitPayment) -> list[dict]:
    """A split's parts that took money, in the split's order (one query)."""
    parts = split.parts.filter(status=PartStatus.SUCCEEDED).select_related(
        "gift_card", "payment__payment_method", "payment_method"
    )
    return [split_part_paid(part) for part in parts]


def payment_paid_parts(payment: PaymentTransaction) -> list[dict]:
    """Everything that paid for what the intent pays, each with what it took: the split's
    balances and earlier cards that were taken, then the intent itself (its own part comes
    last, so once it succeeded they all had). An intent not paid as a split is one part,
    its method for its whole amount. Two queries at most."""
    split = payment.splits.filter(state__in=[*OPEN, SplitPayment.State.COMPLETED]).order_by("-pk").first()
    own = _method_part(payment.payment_method, amount=payment.amount, payment_intent_id=payment.public_id)
    if split is None:
        return [own]
    parts = split.parts.select_related("gift_card", "payment__payment_method", "payment_method")
    return [
        split_part_paid(part, amount=payment.amount, method=payment.payment_method)
        if part.payment_id == payment.pk
        else split_part_paid(part)
        for part in parts
        if part.payment_id == payment.pk or part.status == PartStatus.SUCCEEDED
    ]


def split_balances_taken(*, merchant_id: int, payment_intent_id: str = "", reference: str = "") -> list | None:
    """What each gift card and store credit account took in the split that is paying (or
    paid) the intent, or, with no intent, the balances-only split of `reference`:
    [(kind, gift_card_id or store_credit_id, amount)]. None when no split has started
    taking money (a prepared split takes nothing yet; a failed one gave it all back).
    One query."""
    parts = SplitPart.objects.filter(
        split__merchant_id=merchant_id,
        split__state__in=[SplitPayment.State.PROCESSING, SplitPayment.State.COMPLETED],
        kind__in=BALANCE_KINDS,
    )
    if payment_intent_id:
        parts = parts.filter(split__payment__public_id=payment_intent_id)
    else:
        parts = parts.filter(split__payment__isnull=True, split__reference=reference)
    rows = list(parts.order_by("-split_id", "position").values_list("split_id", "kind", "gift_card_id",
                                                                       "store_credit_id", "amount"))  # fmt: skip
    if not rows:
        return None
    latest = rows[0][0]
    return [(kind, card or account, amount) for split_id, kind, card, account, amount in rows if split_id == latest]


def _parts_of_paid_split(*, merchant_ref: str, intent_ref: str):
    return SplitPart.objects.filter(
        split__merchant_id=models.OuterRef(merchant_ref),
        split__payment__public_id=models.OuterRef(intent_ref),
        split__state=SplitPayment.State.COMPLETED,
    ).order_by()


# What a part gave back: its refunds through the split, or its own intent's refunds at
# the gateway when those went further (a card part refunded through its own intent).
PART_REFUNDED = Greatest("amount_refunded", Coalesce("payment__amount_refunded", models.Value(0)))


def split_refund_columns(*, merchant_ref: str = "merchant_id", intent_ref: str = "payment_intent_id") -> dict:
    """Annotations for rows that keep an intent id (orders): what the intent's completed
    split took in all (`split_amount`, None when not split) and gave back across every
    part (`split_refunded`), read in the same query."""

    def total(expression):
        parts = _parts_of_paid_split(merchant_ref=merchant_ref, intent_ref=intent_ref)
        return models.Subquery(
            parts.values("split_id").annotate(total=models.Sum(expression)).values("total")[:1],
            output_field=models.BigIntegerField(),
        )

    return {"split_amount": total("amount"), "split_refunded": total(PART_REFUNDED)}


def split_refund_status(status: str | None, *, amount: int | None, refunded: int | None) -> str | None:
    """The order-facing status of a payment (`status`, as payments maps its intent's
    state) once every part of its split is counted: an intent whose own card gave back
    all it took is still only partly refunded while a gift card or store credit part
    keeps money, and one whose card kept everything is partly refunded once a balance
    part gave some back. A dispute, an authorization or a void says what it says."""
    if not amount or status not in ("captured", "partially_refunded", "refunded"):
        return status
    refunded = refunded or 0
    if refunded >= amount:
        return "refunded"
    return "partially_refunded" if refunded > 0 else "captured"


def payment_refund_status(payment: PaymentTransaction) -> str | None:
    """`split_refund_status` for one intent as it stands (one query)."""
    totals = (
        SplitPart.objects.filter(split__payment=payment, split__state=SplitPayment.State.COMPLETED)
        .order_by()
        .aggregate(amount=models.Sum("amount"), refunded=models.Sum(PART_REFUNDED))
    )
    return split_refund_status(payment_order_status(payment.state), **totals)


# --- refunds ------------------------------------------------------------------------


def split_payment_give_back_parts(*, merchant_id: int, payment_intent_id: str, actor: str) -> SplitPayment | None:
    """Gives back every part of a completed split but the intent's own card, which its
    caller gives back its own way (payments.services.returns: an order that could not be
    made after payment). Other cards are voided or refunded through their own intents
    (each call outside any transaction); gift cards and store credit get a `credit` ledger
    row under the instrument's lock. A part gives back only what it has left, so running
    this again after a crash gives nothing twice. Returns None when the intent was not
    paid by a split. Refunds a merchant asks for go through refund requests instead
    (payments.wallet.refunds: the one rule for what each part may still give back)."""
    from payments.services.operations import payment_intent_cancel, payment_intent_refund

    split = (
        SplitPayment.objects.filter(
            merchant_id=merchant_id, payment__public_id=payment_intent_id, state=SplitPayment.State.COMPLETED
        )
        .order_by("-pk")
        .first()
    )
    if split is None:
        return None
    others = split.parts.select_related("payment").exclude(payment_id=split.payment_id)
    for part in others:
        value = part.amount - part.amount_refunded
        if value <= 0:
            continue
        if part.kind == Kind.CARD:
            if part.payment.state == State.AUTHORIZED:
                payment_intent_cancel(
                    merchant_id=merchant_id,
                    payment_intent_id=part.payment.public_id,
                    actor=actor,
                    reason="The split payment was given back.",
                )
            else:
                payment_intent_refund(
                    merchant_id=merchant_id, payment_intent_id=part.payment.public_id, actor=actor, amount=value
                )
            SplitPart.objects.filter(pk=part.pk).update(amount_refunded=models.F("amount_refunded") + value)
            continue
        with transaction.atomic():
            lock_split(split.pk)
            current = SplitPart.objects.get(pk=part.pk)
            value = current.amount - current.amount_refunded
            if value <= 0:
                continue
            instrument = (
                lock_gift_cards([part.gift_card_id])[part.gift_card_id]
                if part.gift_card_id
                else lock_store_credit([part.store_credit_id])[part.store_credit_id]
            )
            _post(
                instrument,
                EntryKind.CREDIT,
                value,
                actor=actor,
                reference=split.public_id,
                note="refund",
                split_part=current,
            )
            current.amount_refunded += value
            current.save()
    return split


# --- the janitor --------------------------------------------------------------------


def splits_settle_stuck(*, now=None, batch_size: int = 100) -> int:
    """Finishes or undoes splits a process left half done (processing since before the
    stale horizon): card parts taken meanwhile (a webhook, 3-D Secure) are recorded and the
    split completes; a card part that failed, lapsed, or was never sent (the process died
    between the balance debits and the card) fails the split, which gives every part back.
    A card still in flight (processing, 3-D Secure) is left until it settles. Failed splits
    whose card give-back got no answer are given back again."""
    from datetime import timedelta

    from django.conf import settings

    now = now or timezone.now()
    horizon = now - timedelta(seconds=settings.PAYMENTS_CALL_STALE_SECONDS)
    settled = 0
    stuck = SplitPayment.objects.filter(state=SplitPayment.State.PROCESSING, updated_at__lt=horizon).order_by("pk")
    for split in stuck[:batch_size]:
        for part in split.parts.filter(kind=Kind.CARD).select_related("payment").order_by("position"):
            if part.status == PartStatus.SUCCEEDED:
                continue
            state = part.payment.state if part.payment_id else None
            if state in TAKEN:
                SplitPart.objects.filter(pk=part.pk, status=PartStatus.PENDING).update(status=PartStatus.SUCCEEDED)
                continue
            if state in (None, State.PENDING, State.FAILED, State.CANCELLED, State.EXPIRED):
                code = ((part.payment.last_error or {}).get("code") if part.payment_id else "") or "abandoned"
                split_payment_fail(split.pk, position=part.position, code=code, actor="system:janitor")
                settled += 1
            break
        else:
            _complete(split.pk, actor="system:janitor")
            settled += 1
    failed_with_cards = SplitPayment.objects.filter(
        state=SplitPayment.State.FAILED, parts__kind=Kind.CARD, parts__status=PartStatus.SUCCEEDED
    ).distinct()
    for split in failed_with_cards[:batch_size]:
        split_payment_give_back(split.pk, actor="system:janitor")
        settled += 1
    return settled
