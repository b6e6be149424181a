"""Refund requests on an intent paid as a split: which parts give the money back.

A refund of such an intent draws on the intent's own card (refunded at the gateway by the
refund request's claim → call → record) and on the split's gift card and store credit
parts (credited back in their ledgers in the transaction that completes the refund). By
default the card first, then the balances in the split's order; the requester may name
the parts. No part gives back more than it took, counting what refunds in flight hold.
A split's other card parts are payment intents of their own and are refunded through
them. A refund may also go to the customer's store credit instead: the same parts are
drawn on, and the money lands on the customer's account rather than where it came from.
"""

from dataclasses import dataclass

from core.exceptions import DomainError
from payments.locks import lock_gift_cards, lock_split, lock_store_credit
from payments.models import PaymentTransaction
from payments.wallet.exceptions import SplitInvalid
from payments.wallet.models import EntryKind, SplitPart, SplitPayment
from payments.wallet.services import _post

CARD = SplitPart.Kind.CARD


@dataclass(frozen=True)
class Share:
    part: int
    type: str
    amount: int

    def public(self) -> dict:
        return {"part": self.part, "type": self.type, "amount": self.amount}


def paid_split(payment: PaymentTransaction) -> SplitPayment | None:
    return payment.splits.filter(state=SplitPayment.State.COMPLETED).order_by("-pk").first()


def split_refund_plan(
    payment: PaymentTransaction, *, amount: int | None, allocations, card_room: int, reserved: dict[int, int]
) -> list[Share] | None:
    """The shares a refund of `amount` (None: all that is left) takes, or None when the
    intent was not paid by a split. `card_room`: what the own card may still give back
    (payments' one rule, net of refunds in flight); `reserved`: what refunds in flight
    hold of each balance part, by position. `allocations` ([{"part", "amount"}]) names
    the parts. The caller holds the payment's lock."""
    split = paid_split(payment)
    if split is None:
        return None
    room, kinds = {}, {}
    for part in split.parts.all():
        if part.payment_id == payment.pk:
            room[part.position] = max(card_room, 0)
        elif part.kind != CARD:
            room[part.position] = part.amount - part.amount_refunded - reserved.get(part.position, 0)
        else:
            continue
        kinds[part.position] = part.kind
    if allocations:
        shares = []
        for index, item in enumerate(allocations):
            position, value = item["part"], item["amount"]
            if position not in room:
                raise SplitInvalid(
                    "No such part of this intent's split payment (another card part is refunded through its own "
                    "payment intent).",
                    param=f"allocations[{index}].part",
                )
            if value > room[position]:
                raise SplitInvalid(
                    "A part cannot give back more than it took.",
                    code="refund_exceeds_part",
                    param=f"allocations[{index}].amount",
                    extra={"refundable_amount": max(room[position], 0)},
                )
            room[position] -= value
            shares.append(Share(position, kinds[position], value))
        total = sum(share.amount for share in shares)
        if amount is not None and amount != total:
            raise SplitInvalid(
                "amount must equal the sum of the allocations.", code="amount_mismatch", param="allocations"
            )
        return shares
    left = sum(max(value, 0) for value in room.values()) if amount is None else amount
    shares = []
    # The card first (the shopper's own money back where it came from), then the balances.
    for position in sorted(room, key=lambda p: (kinds[p] != CARD, p)):
        take = min(max(room[position], 0), left)
        if take > 0:
            shares.append(Share(position, kinds[position], take))
            left -= take
    if left > 0:
        raise DomainError(
            "amount is more than is left to refund on this payment.", code="refund_exceeds_captured", param="amount"
        )
    return shares


def split_refund_settle(
    payment: PaymentTransaction, *, shares: list[dict], refund_id: str, actor: str, back_to_instruments: bool = True
) -> None:
    """A completed refund's shares land: each part's `amount_refunded` grows and, unless
    the refund went to the customer's store credit instead, each balance share is credited
    back to its gift card or store credit account. Runs in the refund's completing
    transaction, the payment locked (payment → split → instruments). The own card's share
    is the caller's (the gateway refunded it, or it went to store credit)."""
    split = paid_split(payment)
    if split is None or not shares:
        return
    split = lock_split(split.pk)
    parts = {part.position: part for part in split.parts.select_for_update()}
    balance = [(parts[share["part"]], share["amount"]) for share in shares if share["type"] != CARD]
    if back_to_instruments:
        cards = lock_gift_cards(part.gift_card_id for part, _ in balance if part.gift_card_id)
        accounts = lock_store_credit(part.store_credit_id for part, _ in balance if part.store_credit_id)
        for part, value in balance:
            instrument = cards[part.gift_card_id] if part.gift_card_id else accounts[part.store_credit_id]
            _post(instrument, EntryKind.CREDIT, value, actor=actor, reference=refund_id, note="refund", split_part=part)
    for share in shares:
        part = parts[share["part"]]
        part.amount_refunded += share["amount"]
        part.save(update_fields=["amount_refunded"])
