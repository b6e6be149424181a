"""Thin Celery wrappers around the ledger's services; each is safe to run twice."""

from celery import shared_task

from ledger.services import analytics as analytics_services
from ledger.services import exports as export_services
from ledger.services import payouts as payout_services
from ledger.services import stripe_sync


@shared_task(name="ledger.payouts_daily", acks_late=True)
def payouts_daily() -> dict:
    return {
        "created": payout_services.payouts_create_due(),
        "paid": payout_services.payouts_settle_arrived(),
        "stripe_imported": stripe_sync.stripe_payouts_sync_all(),
    }


@shared_task(name="ledger.analytics_daily", acks_late=True)
def analytics_daily() -> int:
    return analytics_services.analytics_rollup_recent()


@shared_task(name="ledger.export_build", acks_late=True, max_retries=3)
def export_build(export_pk: int) -> str:
    return export_services.export_build(export_pk=export_pk)
