"""What the test-mode bank books for a merchant on a day.

Two layouts, as a merchant receives them in life:
- `settlement`: the card processor's itemized report — each charge captured (credit,
  gross) and each refund paid (debit) that day, quoting our ids;
- `bank`: the merchant's bank account — the processor's payouts arriving that day, and
  the shoppers' bank transfers (`transfers`: credits to add, see bank_transfer_credits).
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from schwifty import IBAN

from payments.models import PaymentTransaction, State
from reconciliation import ledger_link
from reconciliation.formats.base import ParsedLine
from reconciliation.services.candidates import BANK_TRANSFER_ACTION, SETTLED
from reconciliation.simulator_bank.writers import write_camt053, write_csv, write_mt940
from refunds.models import RefundRequest

# The simulator bank's own account, used when the merchant configured none.
DEFAULT_ACCOUNT = "DE89370400440532013000"


def _day_bounds(day: date):
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def settlement_lines(merchant_id: int, day: date) -> tuple[list[ParsedLine], dict]:
    """(lines, fees by bank reference) of the charges and refunds settled on `day`."""
    start, end = _day_bounds(day)
    payments = (
        PaymentTransaction.objects.filter(
            merchant_id=merchant_id, completed_at__gte=start, completed_at__lt=end, state__in=SETTLED
        )
        .select_related("payment_method")
        .order_by("completed_at", "pk")
    )
    fees = ledger_link.charge_fees([p.pk for p in payments]) if ledger_link.available() else {}
    lines, line_fees = [], {}
    for payment in payments:
        if payment.payment_method is not None and payment.payment_method.type == "bank_transfer":
            continue  # paid straight into the merchant's bank, not through the processor
        bank_reference = f"ch_{payment.public_id[3:]}"
        lines.append(
            ParsedLine(
                booked_on=day, amount=payment.amount_captured, currency=payment.currency,
                reference=payment.public_id, remittance=f"Payment {payment.public_id} {payment.reference}".strip(),
                bank_reference=bank_reference,
            )
        )  # fmt: skip
        line_fees[bank_reference] = fees.get(payment.pk, 0)
    refunds = RefundRequest.objects.filter(
        merchant_id=merchant_id, state=RefundRequest.State.COMPLETED, completed_at__gte=start, completed_at__lt=end
    ).order_by("completed_at", "pk")
    # A bank transfer's refund leaves the merchant's own account, not the processor's.
    for refund in refunds.filter(card_amount__gt=0, transfer_iban=""):
        lines.append(
            ParsedLine(
                booked_on=day, amount=-refund.card_amount, currency=refund.currency, reference=refund.public_id,
                remittance=f"Refund {refund.public_id}", bank_reference=f"rf_{refund.public_id[3:]}",
            )
        )  # fmt: skip
    return lines, line_fees


def payout_lines(merchant_id: int, day: date) -> list[ParsedLine]:
    if not ledger_link.available():
        return []
    return [
        ParsedLine(
            booked_on=day, amount=payout.amount, currency=payout.currency,
            reference=payout.reference or payout.public_id,
            remittance=f"PAYOUT {payout.public_id} {payout.reference}".strip(), counterparty_name="Payments Simulator",
            bank_reference=f"BNK{payout.public_id[3:19]}",
        )
        for payout in ledger_link.payouts_expected(merchant_id, day)
    ]  # fmt: skip


def shopper_account(payment: PaymentTransaction) -> str:
    """The test bank's account of the shopper who paid `payment`: a valid German IBAN of its
    own per payment, so a refund can be sent back to it."""
    return IBAN.generate("DE", bank_code="37040044", account_code=str(payment.pk % 10**10)).compact


def refund_transfer_debits(merchant_id: int, day: date) -> list[ParsedLine]:
    """The refunds finance sent back by bank transfer on `day`, as the merchant's bank books
    them: a debit to the payer's account quoting the refund's id."""
    start, end = _day_bounds(day)
    sent = RefundRequest.objects.filter(
        merchant_id=merchant_id, transfer_sent_at__gte=start, transfer_sent_at__lt=end, card_amount__gt=0
    ).exclude(transfer_iban="")
    return [
        ParsedLine(
            booked_on=day, amount=-refund.card_amount, currency=refund.currency, reference=refund.public_id,
            remittance=f"Refund {refund.public_id}", counterparty_name=refund.transfer_account_holder,
            counterparty_iban=refund.transfer_iban, bank_reference=f"OUT{refund.public_id[3:19]}",
        )
        for refund in sent.order_by("transfer_sent_at", "pk")
    ]  # fmt: skip


def bank_transfer_credits(merchant_id: int, day: date) -> list[ParsedLine]:
    """The shoppers of every bank transfer still awaited pay it, in full, today, each from
    an account of its own (shopper_account)."""
    waiting = PaymentTransaction.objects.filter(
        merchant_id=merchant_id, state=State.REQUIRES_ACTION, next_action__type=BANK_TRANSFER_ACTION
    ).order_by("pk")
    lines = []
    for payment in waiting:
        instructions = (payment.next_action or {}).get(BANK_TRANSFER_ACTION, {})
        reference = instructions.get("reference", "")
        lines.append(
            ParsedLine(
                booked_on=day, amount=payment.amount, currency=payment.currency, reference=reference,
                remittance=reference, counterparty_name="Shopper", counterparty_iban=shopper_account(payment),
                bank_reference=f"TRF{payment.public_id[3:19]}",
            )
        )  # fmt: skip
    return lines


def statement_render(lines: list[ParsedLine], *, format: str, day: date, account: str = "", fees=None) -> bytes:
    account = account or DEFAULT_ACCOUNT
    if format == "csv":
        return write_csv(lines, fees=fees)
    currency = lines[0].currency if lines else "EUR"
    if format == "mt940":
        return write_mt940(lines, account=account, day=day, currency=currency)
    return write_camt053(lines, account=account, day=day, currency=currency)
