"""A German shopper's pay later plan speaks German after the checkout, too: the reminder,
receipt and failure emails and the page their link opens, with amounts and dates written
the German way (babel), while an English plan's read as before."""

import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from payments.bnpl.models import InstallmentPlan
from tests.bnpl.helpers import bnpl_intent, card_starts_declining, complete_at_provider, confirm_bnpl, plan_card_token
from tests.hosted.helpers import text
from tests.payments.helpers import DIGITAL_CART, ok

pytestmark = pytest.mark.django_db(transaction=True)

ENGLISH_WORDS = re.compile(r"\b(payment|due|your|order|card|paid|plan|with|thank)\b", re.I)


def _bought(api, locale: str) -> str:
    _, intent = bnpl_intent(api, cart={**DIGITAL_CART, "locale": locale})
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    return intent["id"]


def test_a_german_plan_writes_and_shows_german(api):
    intent_id = _bought(api, "de_DE")
    plan = InstallmentPlan.objects.get(payment__public_id=intent_id)
    assert plan.locale == "de_DE"
    today = timezone.localdate()
    second_due = today + timedelta(days=14)

    mail.outbox.clear()
    call_command("bnpl_charge_installments", "--as-of", (today + timedelta(days=11)).isoformat())
    reminder = mail.outbox[-1]
    reminder.body = reminder.body.replace("\xa0", " ")  # babel joins amount and currency with a no-break space
    german_date = format_date(second_due, "long", locale="de_DE")  # "13. Dezember 2026"
    assert reminder.subject == f"Ihre nächste Zahlung an Acme ist am {german_date} fällig"
    assert "Ihre Zahlung 2 von 4 an Acme über 12,50 $ ist am" in reminder.body
    assert "Ihr Zahlungsplan:" in reminder.body and "(bezahlt)" in reminder.body and "(geplant)" in reminder.body
    assert not ENGLISH_WORDS.search(reminder.body.replace("Acme", "")), reminder.body

    card_starts_declining(plan_card_token(intent_id))
    call_command("bnpl_charge_installments", "--as-of", second_due.isoformat())
    failure = next(m for m in mail.outbox if m.subject.replace("\xa0", " ").startswith("Ihre Zahlung von 12,50 $ an"))
    assert "konnte nicht eingezogen werden" in failure.body
    link = re.search(r"https?://\S+/pay/installments/\S+", failure.body)[0]

    shopper = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")  # the plan's language outvotes the browser's
    granted = shopper.get(re.sub(r"^https?://[^/]+", "", link))
    page = shopper.get(granted["Location"])
    assert '<html lang="de">' in page.content.decode()
    words = text(page)
    assert "Zahlung 2 von 4 an Acme" in words and f"am {german_date} fällig" in words
    assert "Jetzt 12,50 $ bezahlen" in words and "Kartennummer" in words
    declined = shopper.post(granted["Location"], {"number": "4000000000000002", "expiry": "12/34", "cvc": "123"})
    assert "Ihre Karte wurde abgelehnt" in text(declined)


def test_an_english_plan_keeps_english_with_dates_spelled_out(api):
    _bought(api, "en_US")
    today = timezone.localdate()
    mail.outbox.clear()
    call_command("bnpl_charge_installments", "--as-of", (today + timedelta(days=11)).isoformat())
    due = format_date(today + timedelta(days=14), "long", locale="en_US")  # "December 13, 2026"
    assert [m.subject for m in mail.outbox] == [f"Your next payment to Acme is due on {due}"]
    assert "Your payment 2 of 4 to Acme, $12.50, is due on" in mail.outbox[0].body
    assert "(paid)" in mail.outbox[0].body and "&#x27;" not in mail.outbox[0].body


def test_a_stranger_reads_the_invalid_link_page_in_the_browser_language(api):
    intent_id = _bought(api, "de_DE")
    installment = InstallmentPlan.objects.get(payment__public_id=intent_id).installments.get(sequence=2)
    # No grant: the plan's language is not revealed; the browser's decides.
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/pay/installments/{installment.public_id}")
    assert page.status_code == 404 and "This link is not valid" in text(page)
    page = Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/pay/installments/{installment.public_id}")
    assert page.status_code == 404 and "Dieser Link ist ungültig" in text(page)
