"""A bank transfer is paid into the merchant's own account (its IBAN), not the platform's:
its charge counts as revenue but carries no card fee and is never paid out, so payouts
hold only money the platform received, and the ledger's invariant still adds up."""

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from ledger.models import BalanceTransaction, PaymentAnalytics, Payout
from ledger.services.analytics import analytics_rollup_day
from ledger.services.payouts import payouts_create_due
from payments.models import PaymentTransaction
from tests.checkout.finalize_helpers import ready_session
from tests.ledger.helpers import CAPTURED, FEE, expected_net, ledger_net
from tests.payments.helpers import V1, confirm, create_intent, ok
from tests.reconciliation.helpers import line, statement_file, upload
from tests.refunds.helpers import captured_intent

pytestmark = pytest.mark.django_db

FRIDAY, TUESDAY = date(2026, 11, 27), date(2026, 12, 1)


def _at(day, hour=10):
    return time_machine.travel(f"{day.isoformat()} {hour:02d}:00Z", tick=False)


def paid_by_transfer(api, callbacks) -> PaymentTransaction:
    body = {"bank_transfer": {"enabled": True, "iban": "DE89370400440532013000"}}
    ok(api.patch(f"{V1}/settings", {"extra_settings": body}, format="json"))
    intent = create_intent(api, ready_session(api)["checkout_id"])
    method = ok(api.post(f"{V1}/payment-methods/tokenize", {"type": "bank_transfer"}, format="json"), 201)
    given = ok(confirm(api, intent["id"], method["payment_method_id"]))["next_action"]
    reference = given["display_bank_transfer_instructions"]["reference"]
    credit = line(intent["amount"], reference, day=timezone.localdate())
    with callbacks(execute=True):
        matched = upload(api, statement_file([credit], day=timezone.localdate())).json()
    assert matched["lines"][0]["state"] == "matched"
    return PaymentTransaction.objects.get(public_id=intent["id"])


def test_a_transfer_is_revenue_without_a_card_fee_and_is_never_paid_out(api, django_capture_on_commit_callbacks):
    with _at(FRIDAY):
        captured_intent(api)  # a card payment beside it: the platform holds that money
        payment = paid_by_transfer(api, django_capture_on_commit_callbacks)
        assert payment.state == "completed"
        row = BalanceTransaction.objects.get(payment=payment)
        shown = (row.type, row.amount, row.fee, row.net, row.cash)
        assert shown == ("charge", payment.amount, 0, payment.amount, False)
        # Already the merchant's: it waits for no settlement.
        assert row.available_on == FRIDAY
        # The invariant over the money the platform holds: the card's capture less its fee.
        assert ledger_net(api.merchant) == expected_net(api.merchant) == CAPTURED - FEE

    with _at(TUESDAY):
        assert payouts_create_due() == 1
    payout = Payout.objects.get()
    assert payout.amount == CAPTURED - FEE
    row.refresh_from_db()
    assert row.payout is None
    assert ledger_net(api.merchant) == 0

    # The day's analytics count it as volume paid by bank transfer, with no fee.
    analytics_rollup_day(day=FRIDAY, merchant_id=api.merchant.pk)
    day = PaymentAnalytics.objects.get(merchant=api.merchant, date=FRIDAY, currency="USD")
    assert (day.total_amount, day.total_fees, day.net_amount) == (CAPTURED + payment.amount, FEE, CAPTURED - FEE)
    assert day.methods.get(payment_method_type="bank_transfer").total_amount == payment.amount
