"""Celery tasks: thin wrappers that take ids and call one service each."""

from datetime import date

from celery import shared_task

from payments.bnpl.services import job, notify
from payments.bnpl.services.installments import installment_charge


@shared_task(name="bnpl.charge_installments", acks_late=True)
def charge_installments(as_of: str | None = None) -> dict:
    return job.installments_run(as_of=date.fromisoformat(as_of) if as_of else None)


@shared_task(name="bnpl.installment_charge", acks_late=True)
def installment_charge_task(installment_pk: int) -> str:
    return installment_charge(installment_pk=installment_pk).state


@shared_task(name="bnpl.installment_email", acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def installment_email(installment_pk: int, kind: str, version: int) -> bool:
    return notify.installment_email_send(installment_pk=installment_pk, kind=kind, version=version)
