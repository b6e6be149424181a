"""Bank transfers: the shopper pays by a transfer quoting a unique reference, and the
merchant's bank statement (reconciliation) tells us the money arrived.

The merchant offers it with `extra_settings.bank_transfer = {"enabled": true, "iban":
"DE89...", "bic": "...", "account_holder": "...", "deadline_days": 3}`. Confirming with a
bank_transfer method answers requires_action with `next_action.type =
"display_bank_transfer_instructions"`; no gateway is called. The statement's credit
completes the payment (bank_transfer_credit); no credit by the deadline expires it
(payments' expiry job), and the payable's owner releases what it held.
"""

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from core.api.timestamps import api_timestamp
from core.exceptions import DomainError
from core.ids import new_public_id
from merchants.models import Merchant
from payments import hooks
from payments.gateways import base
from payments.locks import lock_payment_by_pk
from payments.models import PaymentAttempt, PaymentMethod, PaymentTransaction, State
from payments.services.log import payment_log
from payments.services.outcomes import outcome_apply

BANK_TRANSFER_ACTION = "display_bank_transfer_instructions"
METHOD_TYPE = "bank_transfer"
DEFAULT_DEADLINE_DAYS = 3
_REFERENCE_ALPHABET = string.ascii_uppercase + string.digits


def bank_transfer_settings_check(value) -> dict:
    """The merchant's bank-transfer settings, checked (the IBAN with schwifty); raises
    DomainError (400) naming what is wrong. Returns them normalized."""
    if not isinstance(value, dict):
        raise DomainError("bank_transfer must be an object.", param="extra_settings.bank_transfer")
    if not value.get("enabled"):
        return {**value, "enabled": False}
    try:
        iban = IBAN(str(value.get("iban", "")))
    except SchwiftyException as exc:
        raise DomainError(f"iban is not a valid IBAN ({exc}).", param="extra_settings.bank_transfer.iban") from None
    days = value.get("deadline_days", DEFAULT_DEADLINE_DAYS)
    if type(days) is not int or not 1 <= days <= 30:
        raise DomainError("deadline_days must be an integer from 1 to 30.", param="extra_settings.bank_transfer")
    bic = str(value.get("bic") or (iban.bic.compact if iban.bic else ""))
    holder = str(value.get("account_holder") or "")[:140]
    return {"enabled": True, "iban": iban.compact, "bic": bic, "account_holder": holder, "deadline_days": days}


def bank_transfer_settings(merchant: Merchant) -> dict | None:
    value = (merchant.extra_settings or {}).get("bank_transfer")
    if not value:
        return None
    settings_ = bank_transfer_settings_check(value)
    return settings_ if settings_["enabled"] else None


def bank_transfer_method_create(*, merchant_id: int) -> PaymentMethod:
    """A bank-transfer payment method for one payment. 400 bank_transfer_unavailable when
    the merchant does not offer it."""
    merchant = Merchant.objects.get(pk=merchant_id)
    if bank_transfer_settings(merchant) is None:
        raise DomainError("This merchant does not take bank transfers.", code="bank_transfer_unavailable", param="type")
    return PaymentMethod.objects.create(
        merchant=merchant, gateway=merchant.gateway, token=new_public_id("bt"), type=METHOD_TYPE,
        brand=METHOD_TYPE, last4="", exp_month=0, exp_year=0, fingerprint="",
    )  # fmt: skip


def bank_transfer_instructions(payment: PaymentTransaction) -> base.GatewayResult:
    """What the shopper must send, where, quoting what, by when: the answer a gateway would
    give, given here (no outside system is asked). The reference is unique and upper case,
    as banks often print remittance text."""
    settings_ = bank_transfer_settings(payment.merchant)
    if settings_ is None:
        return base.GatewayResult(status=base.FAILED, failure_code="bank_transfer_unavailable")
    reference = "BT" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(12))
    expires_at = timezone.now() + timedelta(days=settings_["deadline_days"])
    instructions = {
        "iban": settings_["iban"],
        "bic": settings_["bic"],
        "account_holder": settings_["account_holder"] or payment.merchant.name,
        "amount": payment.amount,
        "currency": payment.currency,
        "reference": reference,
        "expires_at": api_timestamp(expires_at),
    }
    return base.GatewayResult(
        status=base.REQUIRES_ACTION,
        reference=reference,
        action={"type": BANK_TRANSFER_ACTION, BANK_TRANSFER_ACTION: instructions},
    )


@dataclass(frozen=True)
class CreditOutcome:
    payment: PaymentTransaction
    completed: bool
    reason: str = ""


@dataclass(frozen=True)
class BankAccount:
    iban: str  # compact, checked
    holder: str


# SEPA's limit on a creditor's name (pain.001 Nm, 70 characters).
ACCOUNT_HOLDER_MAX = 70


def bank_account_check(value, *, param: str = "bank_account") -> BankAccount:
    """An account to pay a refund into, as a caller named it: `{"iban", "account_holder"}`.
    The IBAN is checked with schwifty (country, length, check digits, bank registry where
    known). Raises DomainError (400) naming the field that is wrong."""
    if not isinstance(value, dict):
        raise DomainError("bank_account must be an object with iban and account_holder.", param=param)
    try:
        iban = IBAN(str(value.get("iban") or ""))
    except SchwiftyException as exc:
        raise DomainError(f"iban is not a valid IBAN ({exc}).", code="invalid_iban", param=f"{param}.iban") from None
    holder = " ".join(str(value.get("account_holder") or "").split())
    if not holder:
        raise DomainError(
            "account_holder is required: the name on the account the refund is sent to.",
            code="bank_account_required",
            param=f"{param}.account_holder",
        )
    if len(holder) > ACCOUNT_HOLDER_MAX:
        raise DomainError(
            f"account_holder is at most {ACCOUNT_HOLDER_MAX} characters (a SEPA transfer carries no more).",
            param=f"{param}.account_holder",
        )
    return BankAccount(iban.compact, holder)


def bank_transfer_payer(payment: PaymentTransaction) -> BankAccount | None:
    """The account the payment's transfer came from, as the statement line that paid it
    booked it (its IBAN checked again; a blank or odd one counts as unknown). None when
    no statement says."""
    payer = hooks.transfer_payer(payment_pk=payment.pk)
    if payer is None or not payer.iban:
        return None
    try:
        iban = IBAN(payer.iban).compact
    except SchwiftyException:
        return None
    return BankAccount(iban, " ".join((payer.name or "").split())[:ACCOUNT_HOLDER_MAX])


def is_awaiting_transfer(payment: PaymentTransaction) -> bool:
    return payment.state == State.REQUIRES_ACTION and (payment.next_action or {}).get("type") == BANK_TRANSFER_ACTION


def bank_transfer_credit(
    *, payment_pk: int, amount: int, currency: str, actor: str, statement_line_id: str = ""
) -> CreditOutcome:
    """A credit of `amount` quoting the payment's transfer reference was booked. Locks the
    payment (a savepoint when the caller holds a transaction). The exact amount completes
    it (REQUIRES_ACTION → PROCESSING → COMPLETED, as a gateway's success would, so the
    payable's owner finalizes as for a card); anything else changes nothing and says why:
    an under- or overpayment, or a payment no longer waiting (expired, already paid)."""
    with transaction.atomic():
        payment = lock_payment_by_pk(payment_pk)
        if not is_awaiting_transfer(payment):
            return CreditOutcome(payment, False, f"the payment is {payment.state}, no longer waiting for a transfer")
        if currency != payment.currency:
            return CreditOutcome(payment, False, f"paid in {currency}, asked in {payment.currency}")
        if amount != payment.amount:
            word = "underpaid" if amount < payment.amount else "overpaid"
            payment_log(
                payment,
                type="bank_transfer.amount_mismatch",
                actor=actor,
                data={"received": amount, "expected": payment.amount, "statement_line": statement_line_id},
            )
            return CreditOutcome(payment, False, f"{word} by {abs(amount - payment.amount)}")
        attempt = payment.attempts.filter(status__in=PaymentAttempt.OPEN).order_by("-number").first()
        if attempt is None:
            return CreditOutcome(payment, False, "the payment has no open attempt")
        result = base.GatewayResult(status=base.SUCCEEDED, amount=amount, reference=statement_line_id)
        outcome_apply(payment, attempt, result, actor=actor, source="bank_statement")
        return CreditOutcome(
            payment,
            payment.state == State.COMPLETED,
            "" if payment.state == State.COMPLETED else f"the payment is {payment.state}",
        )
