"""The failure email's link: a signed grant to one installment, then a card pays it late."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from payments.bnpl.models import Installment
from tests.bnpl.helpers import bnpl_intent, card_starts_declining, complete_at_provider, confirm_bnpl, plan_card_token
from tests.hosted.helpers import text
from tests.payments.helpers import ok

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_emailed_link_pays_a_failed_installment_with_another_card(api):
    _, intent = bnpl_intent(api)
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    card_starts_declining(plan_card_token(intent["id"]))
    call_command("bnpl_charge_installments", "--as-of", (timezone.localdate() + timedelta(days=14)).isoformat())
    second = Installment.objects.get(plan__payment__public_id=intent["id"], sequence=2)
    assert second.state == "failed"
    email = next(m for m in mail.outbox if m.subject.startswith("We couldn't take your payment of $12.50"))
    link = re.search(r"https?://\S+/pay/installments/\S+", email.body)[0]
    path = re.sub(r"^https?://[^/]+", "", link)

    stranger = Client()
    assert stranger.get(f"/pay/installments/{second.public_id}").status_code == 404
    assert stranger.get(f"/pay/installments/{second.public_id}?token=forged").status_code == 404

    shopper = Client()
    granted = shopper.get(path)
    assert granted.status_code == 302 and granted["Location"] == f"/pay/installments/{second.public_id}"
    page = shopper.get(granted["Location"])
    assert "Pay $12.50 now" in text(page)
    declined = shopper.post(granted["Location"], {"number": "4000000000000002", "expiry": "12/34", "cvc": "123"})
    assert declined.status_code == 402 and "declined" in text(declined)
    paid = shopper.post(granted["Location"], {"number": "4242424242424242", "expiry": "12/34", "cvc": "123"})
    assert paid.status_code == 303
    assert "Paid, thank you" in text(shopper.get(granted["Location"]))
    second.refresh_from_db()
    assert second.state == "paid" and second.attempt_count == 3
