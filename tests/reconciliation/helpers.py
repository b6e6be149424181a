"""Shared steps of the reconciliation tests: settled payments and refunds as the payment
flow leaves them, statements written by the test-mode bank, uploads by API."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from payments.models import PaymentTransaction, State
from reconciliation.formats.base import ParsedLine
from reconciliation.simulator_bank.day import statement_render
from refunds.models import RefundRequest

V1 = "/v1/checkout"
DAY = date(2026, 11, 20)


def at(day: date, hour: int = 12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def settled_payment(merchant, amount=5000, currency="USD", day=DAY, reference="") -> PaymentTransaction:
    """A captured payment as the payment flow leaves it (the row is this test's input)."""
    return PaymentTransaction.objects.create(
        merchant=merchant, amount=amount, amount_captured=amount, currency=currency, gateway="simulator",
        state=State.COMPLETED, completed_at=at(day), reference=reference,
    )  # fmt: skip


def completed_refund(merchant, payment, amount, day=DAY) -> RefundRequest:
    return RefundRequest.objects.create(
        merchant=merchant, payment=payment, amount=amount, card_amount=amount, currency=payment.currency,
        reason="other",
        requested_by="test", state=RefundRequest.State.COMPLETED, completed_at=at(day),
    )  # fmt: skip


def line(amount, reference="", currency="USD", day=DAY, remittance="", bank_reference="", **extra) -> ParsedLine:
    return ParsedLine(
        booked_on=day, amount=amount, currency=currency, reference=reference,
        remittance=remittance or reference, bank_reference=bank_reference, **extra,
    )  # fmt: skip


def statement_file(lines, format="camt053", day=DAY) -> bytes:
    return statement_render(lines, format=format, day=day)


def upload(api, content: bytes, name="statement.xml", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {"file": SimpleUploadedFile(name, content), **fields}
    return api.post(f"{V1}/reconciliation/statements", body, format="multipart")


def next_day(day: date, days=1) -> date:
    return day + timedelta(days=days)
