"""Every write to gift cards and store credit: issue, disable, grant, and ledger postings.

A balance changes only in `_post`, which writes the ledger row with it; the caller holds
the instrument's row lock (payments.locks) in its open transaction.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.api.timestamps import api_timestamp
from core.exceptions import DomainError, NotFound
from core.money import is_currency
from core.ratelimit import rate_limit_hit, rate_limit_reached
from merchants.events import event_emit
from merchants.models import Merchant
from payments import hooks
from payments.locks import lock_gift_cards, lock_store_credit
from payments.wallet import codes
from payments.wallet.exceptions import (
    GiftCardCodeTaken,
    GiftCardCurrencyMismatch,
    GiftCardDisabled,
    GiftCardEmpty,
    GiftCardExpired,
    GiftCardNotFound,
    InsufficientBalance,
    TooManyAttempts,
)
from payments.wallet.models import EntryKind, GiftCard, GiftCardTransaction, StoreCreditAccount, StoreCreditTransaction

logger = logging.getLogger(__name__)

MAX_BALANCE = 10**12  # far above any real card; keeps sums well inside a bigint


def _amount(value, *, param="amount", allow_zero=False) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (value == 0 and not allow_zero):
        raise DomainError(f"{param} must be a positive integer in minor units.", param=param)
    if value > MAX_BALANCE:
        raise DomainError(f"{param} is too large.", param=param)
    return value


def _currency(merchant: Merchant, currency) -> str:
    if not isinstance(currency, str) or not is_currency(currency) or currency not in merchant.supported_currencies:
        raise DomainError(
            f"{currency} is not a currency this merchant takes.", code="currency_not_supported", param="currency"
        )
    return currency


def _post(instrument, kind: str, amount: int, *, actor: str, reference: str = "", note: str = "", split_part=None):
    """Moves `amount` (signed) on a locked instrument and appends its ledger row."""
    if isinstance(instrument, GiftCard):
        instrument.current_balance += amount
        balance = instrument.current_balance
        entry = GiftCardTransaction(gift_card=instrument)
    else:
        instrument.balance += amount
        balance = instrument.balance
        entry = StoreCreditTransaction(account=instrument)
    if balance < 0:
        raise InsufficientBalance()
    instrument.save()
    entry.kind = kind
    entry.amount = amount
    entry.balance_after = balance
    entry.actor = actor
    entry.reference = reference
    entry.note = note[:500]
    entry.split_part = split_part
    entry.save()
    if split_part is not None:
        _money_moved(instrument, entry, split_part)
    return entry


def _money_moved(instrument, entry, split_part) -> None:
    # A part of a payment paid from a balance (or given back to it): the merchant's side
    # is the opposite of the instrument's. Issuing and adjusting cards move no payment.
    gift_card = isinstance(instrument, GiftCard)
    hooks.money_moved(
        hooks.MoneyMovement(
            kind=hooks.GIFT_CARD if gift_card else hooks.STORE_CREDIT,
            merchant_id=instrument.merchant_id,
            amount=-entry.amount,
            currency=instrument.currency,
            key=f"{'gift_card' if gift_card else 'store_credit'}:{entry.pk}",
            source_type="split_part",
            source_id=f"{entry.reference}#{split_part.position}",
            description=entry.kind,
        )
    )


# --- gift cards ---------------------------------------------------------------------


def gift_card_issue(
    *, merchant_id: int, initial_balance, currency, actor: str, expires_at=None, code=None
) -> tuple[GiftCard, str]:
    """Issues a card and its `issue` ledger row; returns it with its code, the only time
    the full code is ever known to us afterwards. A merchant-chosen code is accepted if
    no other card of theirs has it (409 gift_card_code_taken)."""
    merchant = Merchant.objects.get(pk=merchant_id)
    initial_balance = _amount(initial_balance, param="initial_balance")
    currency = _currency(merchant, currency)
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("expires_at must be in the future.", param="expires_at")
    plain = codes.validate_new(code) if code is not None else codes.generate()
    try:
        with transaction.atomic():
            card = GiftCard.objects.create(
                merchant=merchant,
                code_hmac=codes.digests(plain)[0],
                last4=plain[-4:],
                currency=currency,
                initial_balance=initial_balance,
                current_balance=0,
                expires_at=expires_at,
                created_by=actor,
            )
            _post(card, EntryKind.ISSUE, initial_balance, actor=actor, note="issued")
            event_emit(
                merchant_id=merchant_id,
                type="gift_card.issued",
                data={"gift_card": gift_card_public(card)},
            )
    except IntegrityError as exc:
        if "gift_card_code_unique" in str(exc):
            raise GiftCardCodeTaken(param="code") from exc
        raise
    return card, codes.display(plain)


def gift_card_get(*, merchant_id: int, gift_card_id: str) -> GiftCard:
    card = GiftCard.objects.filter(merchant_id=merchant_id, public_id=gift_card_id).first()
    if card is None:
        raise NotFound("No such gift card.", param="id")
    return card


def gift_card_disable(*, merchant_id: int, gift_card_id: str, actor: str, reason: str = "") -> GiftCard:
    """Disables the card (idempotent: a disabled card answers as it is). Its balance stays
    in the ledger; it can no longer be applied or debited."""
    with transaction.atomic():
        pk = gift_card_get(merchant_id=merchant_id, gift_card_id=gift_card_id).pk
        card = lock_gift_cards([pk])[pk]
        if card.status == GiftCard.Status.ACTIVE:
            card.disable(reason=reason[:200])
            card.save()
    return card


def gift_card_public(card: GiftCard) -> dict:
    return {
        "id": card.public_id,
        "object": "gift_card",
        "last4": card.last4,
        "currency": card.currency,
        "initial_balance": card.initial_balance,
        "current_balance": card.current_balance,
        "status": gift_card_status(card),
        "expires_at": api_timestamp(card.expires_at),
        "created_at": api_timestamp(card.created_at),
    }


def gift_card_status(card: GiftCard, now=None) -> str:
    if card.status != GiftCard.Status.ACTIVE:
        return card.status
    if card.expires_at is not None and card.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def gift_card_check_usable(card: GiftCard, *, currency: str, now=None, amount: int | None = None) -> None:
    """Raises why the card cannot pay in `currency` now (expired, disabled, currency,
    empty), or, given the `amount` of a part being paid, 402 insufficient_balance."""
    status = gift_card_status(card, now)
    if status == "disabled":
        raise GiftCardDisabled(param="code")
    if status == "expired":
        raise GiftCardExpired(param="code")
    if card.currency != currency:
        raise GiftCardCurrencyMismatch(
            param="code", explain=f"the card is in {card.currency}, the payment in {currency}"
        )
    if amount is not None:
        if card.current_balance < amount:
            raise InsufficientBalance()
    elif card.current_balance <= 0:
        raise GiftCardEmpty(param="code")


# Guessing codes: failed lookups are counted (core.ratelimit's windows) per API credential,
# per client IP and per checkout session; past any limit every lookup is refused (429)
# before the code is even hashed. A credential carries all of a shop's shoppers (a
# publishable key) or its servers' calls (a secret key), so its limit is looser; the IP is
# counted only for callers in the shopper's browser (the hosted page, browser credentials),
# since a merchant's server sends every shopper's codes from one address.
GUESS_LIMIT = 10
GUESS_LIMIT_PER_KEY = 200
GUESS_WINDOW_SECONDS = 15 * 60


def _guess_buckets(*, merchant_id: int, credential: str, ip: str, scope: str) -> list[tuple[str, int]]:
    named = [("key", credential, GUESS_LIMIT_PER_KEY), ("ip", ip, GUESS_LIMIT), ("session", scope, GUESS_LIMIT)]
    return [(f"gift-card-guess:{merchant_id}:{kind}:{value}", limit) for kind, value, limit in named if value]


def code_guess_limit(*, merchant_id: int, credential: str = "", ip: str = "", scope: str = "") -> None:
    waits = [
        rate_limit_reached(key=key, limit=limit, window_seconds=GUESS_WINDOW_SECONDS)
        for key, limit in _guess_buckets(merchant_id=merchant_id, credential=credential, ip=ip, scope=scope)
    ]
    wait = max((w for w in waits if w), default=None)
    if wait:
        raise TooManyAttempts(retry_after=wait)


def _code_guess_failed(*, merchant_id: int, credential: str, ip: str, scope: str) -> None:
    for key, limit in _guess_buckets(merchant_id=merchant_id, credential=credential, ip=ip, scope=scope):
        rate_limit_hit(key=key, limit=limit, window_seconds=GUESS_WINDOW_SECONDS)
    # Never the code itself: only who tried.
    logger.warning(
        "gift card code not found: merchant=%s credential=%s ip=%s session=%s",
        merchant_id,
        credential or "-",
        ip or "-",
        scope or "-",
    )


def gift_card_lookup(*, merchant_id: int, code, credential: str = "", ip: str = "", scope: str = "") -> GiftCard:
    """The merchant's card with this code, found by its keyed hash through the unique
    index (no code is compared in Python); 404 gift_card_not_found otherwise, the same
    for another merchant's card. Rate limited per `credential` (the API key), client `ip`
    and `scope` (a checkout session): 429 too_many_attempts with the seconds to wait."""
    code_guess_limit(merchant_id=merchant_id, credential=credential, ip=ip, scope=scope)
    candidates = codes.digests(code)
    card = GiftCard.objects.filter(merchant_id=merchant_id, code_hmac__in=candidates).first() if candidates else None
    if card is None:
        _code_guess_failed(merchant_id=merchant_id, credential=credential, ip=ip, scope=scope)
        raise GiftCardNotFound(param="code")
    return card


def gift_card_adjust(*, merchant_id: int, gift_card_id: str, amount: int, actor: str, note: str) -> GiftCard:
    """Staff correction: a signed amount, never below zero (402 insufficient_balance)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise DomainError("amount must be a non-zero integer in minor units.", param="amount")
    with transaction.atomic():
        pk = gift_card_get(merchant_id=merchant_id, gift_card_id=gift_card_id).pk
        card = lock_gift_cards([pk])[pk]
        _post(card, EntryKind.ADJUSTMENT, amount, actor=actor, note=note)
    return card


# --- store credit -------------------------------------------------------------------


def store_credit_account(*, merchant_id: int, customer_id: str, currency: str) -> StoreCreditAccount | None:
    return StoreCreditAccount.objects.filter(
        merchant_id=merchant_id, customer_id=customer_id, currency=currency
    ).first()


def store_credit_grant(
    *,
    merchant_id: int,
    customer_id,
    amount,
    currency,
    reason: str = "",
    actor: str,
    kind: str = EntryKind.CREDIT,
    reference: str = "",
) -> StoreCreditAccount:
    """Adds credit to the customer's account in `currency` (made on first grant)."""
    merchant = Merchant.objects.get(pk=merchant_id)
    amount = _amount(amount)
    currency = _currency(merchant, currency)
    if not isinstance(customer_id, str) or not 0 < len(customer_id) <= 200:
        raise DomainError("customer_id must be 1 to 200 characters.", param="customer_id")
    with transaction.atomic():
        try:
            with transaction.atomic():
                account, _ = StoreCreditAccount.objects.get_or_create(
                    merchant=merchant, customer_id=customer_id, currency=currency
                )
        except IntegrityError:
            # A concurrent first grant made it: it exists now.
            account = StoreCreditAccount.objects.get(merchant=merchant, customer_id=customer_id, currency=currency)
        account = lock_store_credit([account.pk])[account.pk]
        _post(account, kind, amount, actor=actor, note=reason, reference=reference)
    return account


def store_credit_public(account: StoreCreditAccount) -> dict:
    return {
        "object": "store_credit",
        "id": account.public_id,
        "customer_id": account.customer_id,
        "currency": account.currency,
        "balance": account.balance,
    }


def ledger_public(entry) -> dict:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "reference": entry.reference,
        "note": entry.note,
        "created_at": api_timestamp(entry.created_at),
    }


BULK_LIMIT = 1000


def gift_cards_issue_bulk(*, merchant_id: int, rows, actor: str) -> list[tuple[GiftCard, str]]:
    """Issues one card per row (`{"initial_balance", "currency", "expires_at"?}`), all or
    none: a bad row raises DomainError naming its line and nothing is issued."""
    from django.utils.dateparse import parse_datetime

    rows = list(rows)
    if not 0 < len(rows) <= BULK_LIMIT:
        raise DomainError(f"Give 1 to {BULK_LIMIT} rows.", param="file")
    issued = []
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            try:
                raw_balance = (row.get("initial_balance") or "").strip()
                if not raw_balance.isdigit():
                    raise DomainError("initial_balance must be a whole number of minor units.", param="initial_balance")
                raw_expiry = (row.get("expires_at") or "").strip()
                expires_at = parse_datetime(raw_expiry) if raw_expiry else None
                if raw_expiry and expires_at is None:
                    raise DomainError("expires_at must be an ISO 8601 date and time.", param="expires_at")
                issued.append(
                    gift_card_issue(
                        merchant_id=merchant_id,
                        initial_balance=int(raw_balance),
                        currency=(row.get("currency") or "").strip().upper(),
                        expires_at=expires_at,
                        actor=actor,
                    )
                )
            except DomainError as exc:
                raise DomainError(f"Line {line}: {exc.message}", param=exc.param) from exc
    return issued
