"""Follow-up work a refund service queues for after its transaction commits."""

from django.db import transaction


def queue_processing(refund_pk: int) -> None:
    from refunds.tasks import process_refund

    # robust: a refund the broker did not take stays APPROVED and the sweeper queues it.
    transaction.on_commit(lambda: process_refund.delay(refund_pk), robust=True)


def queue_review_request(refund_pk: int) -> None:
    from refunds.tasks import email_reviewers

    # robust: the refund is safely in review whether or not the email goes out now.
    transaction.on_commit(lambda: email_reviewers.delay(refund_pk), robust=True)


def queue_receipt(refund_pk: int) -> None:
    from refunds.tasks import email_receipt

    transaction.on_commit(lambda: email_receipt.delay(refund_pk), robust=True)
