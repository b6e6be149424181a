"""Reviewers are emailed once per review round, even when two runs of the task overlap
(a redelivered message): a compare-and-set claim before sending, not a look at the log."""

import threading
import time

import pytest
from django.core import mail
from django.db import connection

from refunds.models import RefundRequest
from refunds.services import notifications
from tests.payments.helpers import ok
from tests.refunds.helpers import captured_intent, request_refund, review_limit, staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_overlapping_runs_send_one_email(api, monkeypatch):
    staff("alice")
    intent_id = captured_intent(api)
    review_limit(api.merchant, 0)
    mail.outbox.clear()
    refund = RefundRequest.objects.get(public_id=ok(request_refund(api, intent_id, amount=1000), 201)["id"])
    assert refund.state == "under_review"
    assert len(mail.outbox) == 1  # the task on commit
    mail.outbox.clear()
    RefundRequest.objects.filter(pk=refund.pk).update(reviewers_emailed_version=None)  # as if the task is replayed
    refund.events.filter(type="reviewers.emailed").delete()

    original = notifications.send_mail

    def slow_send(**kwargs):
        time.sleep(0.5)  # the mail server is slow: the other run looks meanwhile
        return original(**kwargs)

    monkeypatch.setattr(notifications, "send_mail", slow_send)
    barrier = threading.Barrier(2, timeout=30)
    sent = []

    def run():
        try:
            barrier.wait()
            sent.append(notifications.refund_reviewers_email(refund_pk=refund.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(sent) == [0, 1]
    assert len(mail.outbox) == 1
