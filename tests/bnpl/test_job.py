"""The daily installment job across a simulated calendar (`--as-of`): paid on schedule;
a card that starts declining is retried 1, 3 and 7 days after each failure, then the
installment is overdue, paid late with another card, and past 30 days sent to collections."""

from datetime import timedelta
from io import StringIO

import pytest
from babel.dates import format_date
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from ledger.models import BalanceTransaction
from merchants.models import Event
from payments.bnpl.models import Installment, InstallmentPlan
from payments.bnpl.services.job import installments_run
from tests.bnpl.helpers import (
    bnpl_intent,
    card_starts_declining,
    complete_at_provider,
    confirm_bnpl,
    installments,
    plan_card_token,
)
from tests.payments.helpers import SUCCESS, V1, ok, publishable_client, tokenize

pytestmark = pytest.mark.django_db(transaction=True)


def bought(api) -> str:
    _, intent = bnpl_intent(api)
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    return intent["id"]


def run(day):
    call_command("bnpl_charge_installments", "--as-of", day.isoformat())


def states(api, intent_id):
    return [i["status"] for i in installments(api, intent_id)]


def test_six_weeks_pay_every_installment_on_its_due_date(api):
    intent_id = bought(api)
    today = timezone.localdate()
    dates = [i["due_date"] for i in installments(api, intent_id)]
    assert dates == [(today + timedelta(days=14 * n)).isoformat() for n in range(4)]
    mail.outbox.clear()

    run(today + timedelta(days=11))  # three days before the second: its reminder, no charge
    assert states(api, intent_id) == ["paid", "pending", "pending", "pending"]
    due = format_date(today + timedelta(days=14), "long", locale="en_US")
    assert [m.subject for m in mail.outbox] == [f"Your next payment to Acme is due on {due}"]
    run(today + timedelta(days=11))  # the same day again: nothing twice
    assert len(mail.outbox) == 1

    run(today + timedelta(days=14))
    assert states(api, intent_id) == ["paid", "paid", "pending", "pending"]
    run(today + timedelta(days=14))
    run(today + timedelta(days=28))
    run(today + timedelta(days=42))
    schedule = installments(api, intent_id)
    assert [i["status"] for i in schedule] == ["paid"] * 4
    assert [i["attempts"] for i in schedule] == [1, 1, 1, 1]
    # A receipt after each charge the job made.
    assert (
        sorted(m.subject for m in mail.outbox if m.subject.startswith("Payment received"))
        == ["Payment received: $12.50 to Acme"] * 3
    )
    assert InstallmentPlan.objects.get(payment__public_id=intent_id).state == "completed"
    # The merchant's money came in installment by installment, each booked once with its
    # fee; the order's own intent moved no cash of its own.
    rows = BalanceTransaction.objects.filter(merchant=api.merchant)
    assert sorted(rows.filter(type="installment").values_list("amount", flat=True)) == sorted(
        i["amount"] for i in schedule
    )
    assert all(fee > 0 for fee in rows.filter(type="installment").values_list("fee", flat=True))
    assert not rows.filter(type="charge").exists()


def test_failing_card_is_retried_then_overdue_then_paid_late_then_collections(api):
    intent_id = bought(api)
    card_starts_declining(plan_card_token(intent_id))
    today = timezone.localdate()
    second, third = Installment.objects.filter(plan__payment__public_id=intent_id).order_by("sequence")[1:3]

    run(today + timedelta(days=14))
    schedule = installments(api, intent_id)
    assert schedule[1]["status"] == "failed" and schedule[1]["last_decline_code"] == "generic_decline"
    assert schedule[1]["next_attempt_on"] == (today + timedelta(days=15)).isoformat()
    # Kill Bill's dunning: 1, 3 then 7 days after each failure.
    run(today + timedelta(days=15))
    assert installments(api, intent_id)[1]["next_attempt_on"] == (today + timedelta(days=18)).isoformat()
    run(today + timedelta(days=16))  # not a retry day: nothing happens
    assert installments(api, intent_id)[1]["attempts"] == 2
    run(today + timedelta(days=18))
    run(today + timedelta(days=25))
    schedule = installments(api, intent_id)
    assert schedule[1]["status"] == "overdue" and schedule[1]["attempts"] == 4
    assert schedule[1]["overdue_since"] == (today + timedelta(days=25)).isoformat()

    # The shopper pays it late with another card: OVERDUE → PAID.
    new_card = tokenize(publishable_client(api), SUCCESS)
    paid = ok(api.post(f"{V1}/installments/{second.public_id}/pay", {"payment_method_id": new_card}, format="json"))
    assert paid["status"] == "paid" and paid["attempts"] == 5
    again = api.post(f"{V1}/installments/{second.public_id}/pay", {}, format="json")
    assert again.status_code == 409

    # The third fails on its day and through its retries, and 30 days overdue goes to collections.
    for day in (28, 29, 32, 39):
        run(today + timedelta(days=day))
    third.refresh_from_db()
    assert third.state == "overdue"
    run(today + timedelta(days=68))
    third.refresh_from_db()
    assert third.state == "overdue"
    run(today + timedelta(days=69))
    third.refresh_from_db()
    assert third.state == "collections"

    events = Event.objects.filter(merchant=api.merchant, type__startswith="installment.")
    types = list(events.values_list("type", flat=True))
    for expected in ("installment.failed", "installment.overdue", "installment.paid", "installment.collections"):
        assert expected in types
    failure_mail = next(m for m in mail.outbox if m.subject.startswith("We couldn't take your payment"))
    assert f"/pay/installments/{second.public_id}?token=" in failure_mail.body


def test_the_job_run_twice_at_once_charges_each_installment_once(api):
    from payments.models import PaymentTransaction
    from tests.concurrency import run_together

    intent_ids = [bought(api) for _ in range(2)]
    day = timezone.localdate() + timedelta(days=42)
    results = run_together(3, lambda i: installments_run(as_of=day))
    assert not [r for r in results if isinstance(r, Exception)], results
    for intent_id in intent_ids:
        assert states(api, intent_id) == ["paid"] * 4
    charges = PaymentTransaction.objects.filter(metadata__bnpl_plan__isnull=False)
    assert charges.count() == 8 and set(charges.values_list("state", flat=True)) == {"completed"}
    assert sum(r["charged"] for r in results) == 6


def test_a_card_that_pays_today_then_declines_plays_out_with_until_as_the_beat_would(api):
    """The README's walk-through: the simulator's 4000000000000358 pays the first
    installment at the provider and declines every later charge."""
    _, intent = bnpl_intent(api)
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])), number="4000000000000358")
    intent_id = intent["id"]
    assert states(api, intent_id) == ["paid", "pending", "pending", "pending"]
    today = timezone.localdate()
    out = StringIO()
    first, last = today + timedelta(days=1), today + timedelta(days=25)
    call_command("bnpl_charge_installments", "--as-of", first.isoformat(), "--until", last.isoformat(), stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 25 and lines[0].startswith(f"as_of={first}") and lines[-1].startswith(f"as_of={last}")
    # Failed on its day, retried 1, 3 and 7 days later, then overdue: as run day by day.
    second = installments(api, intent_id)[1]
    assert second["status"] == "overdue" and second["attempts"] == 4
    assert second["overdue_since"] == last.isoformat()

    for bad in (
        ["--until", "2020-01-01"],
        ["--until", "tomorrow"],
        ["--as-of", first.isoformat(), "--until", (first + timedelta(days=400)).isoformat()],
    ):
        with pytest.raises(CommandError):
            call_command("bnpl_charge_installments", *bad)
