"""Two real Celery workers (separate processes, Redis, PostgreSQL) run the daily job at
the same moment: every due installment is charged exactly once."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from payments.bnpl.models import Installment
from payments.bnpl.tasks import charge_installments
from payments.models import PaymentTransaction
from payments.simulator.models import SimulatorCharge
from tests.bnpl.helpers import bnpl_intent, complete_at_provider, confirm_bnpl
from tests.celery_worker import start_worker, stop_worker, wait_until
from tests.payments.helpers import ok

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_running_the_job_at_once_charge_each_installment_once(api, tmp_path):
    for _ in range(3):
        _, intent = bnpl_intent(api)
        complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    assert Installment.objects.filter(state="pending").count() == 9

    queue = f"test-{uuid.uuid4().hex[:12]}"
    workers = [start_worker(queue, tmp_path / f"worker{n}.log") for n in range(2)]
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    try:
        day = (timezone.localdate() + timedelta(days=42)).isoformat()
        charge_installments.delay(day)
        charge_installments.delay(day)
        # No result backend: each worker's log says what its run did.
        outcomes = wait_until(
            lambda: _finished_runs(workers) if len(_finished_runs(workers)) == 2 else None, timeout=120
        )
        wait_until(lambda: Installment.objects.filter(state="paid").count() == 12, timeout=60)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        for worker in workers:
            stop_worker(worker)

    assert sum(outcomes) == 9
    charges = PaymentTransaction.objects.filter(metadata__bnpl_plan__isnull=False)
    assert charges.count() == 12 and set(charges.values_list("state", flat=True)) == {"completed"}
    # At the processor too: one charge per installment, none twice.
    ids = set(charges.values_list("public_id", flat=True))
    at_processor = [
        c.metadata["payment_intent"] for c in SimulatorCharge.objects.all() if c.metadata.get("payment_intent") in ids
    ]
    assert sorted(at_processor) == sorted(ids)
    # Both workers took part (each ran one of the two jobs).
    assert all(RUN_DONE.search(worker.log_file.read_text()) for worker in workers)


RUN_DONE = re.compile(r"Task bnpl\.charge_installments\[[^\]]+\] succeeded in [0-9.]+s: .*'charged': ([0-9]+)")


def _finished_runs(workers) -> list[int]:
    return [int(m[1]) for worker in workers for m in RUN_DONE.finditer(worker.log_file.read_text())]
