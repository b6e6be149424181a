"""Two real Celery workers (separate processes, Redis, PostgreSQL) run the daily job at
the same moment: every due installment is charged exactly once.

What makes "at the same moment" certain rather than likely, on a loaded machine too:
each worker is sent its own run (a queue of its own beside the shared one, so one worker
cannot take both runs while the other is still starting), and the test holds the due
installments' rows until both runs are waiting on them, then lets them go together.
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from payments.bnpl.models import Installment
from payments.bnpl.tasks import charge_installments
from payments.models import PaymentTransaction
from payments.simulator.models import SimulatorCharge
from tests.bnpl.helpers import bnpl_intent, complete_at_provider, confirm_bnpl
from tests.celery_worker import spawn_worker, stop_worker, wait_ready, wait_until
from tests.payments.helpers import ok

pytestmark = pytest.mark.django_db(transaction=True)

# No result backend: each worker's log says how its run ended.
RUN_DONE = re.compile(r"Task bnpl\.charge_installments\[[^\]]+\] succeeded in [0-9.e-]+s: .*'charged': ([0-9]+)")
RUN_FAILED = re.compile(r"Task bnpl\.charge_installments\[[^\]]+\] (raised|failed)")


def test_two_workers_running_the_job_at_once_charge_each_installment_once(api, tmp_path):
    for _ in range(3):
        _, intent = bnpl_intent(api)
        complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    due = list(Installment.objects.filter(state="pending").values_list("pk", flat=True))
    assert len(due) == 9

    queue = f"test-{uuid.uuid4().hex[:12]}"
    own = [f"{queue}.{n}" for n in range(2)]
    workers = [spawn_worker(queue, tmp_path / f"worker{n}.log", also=[own[n]]) for n in range(2)]
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    try:
        for worker in workers:
            wait_ready(worker)
        day = (timezone.localdate() + timedelta(days=42)).isoformat()
        with transaction.atomic():
            list(Installment.objects.select_for_update().filter(pk__in=due))
            for name in own:
                charge_installments.apply_async((day,), queue=name)
            # Both runs are inside the job, each blocked on a row this transaction holds.
            wait_until(lambda: _backends_waiting_on_rows() >= 2, timeout=120, explain=lambda: _logs(workers))
        runs = wait_until(lambda: _runs(workers), timeout=120, explain=lambda: _logs(workers))
        wait_until(lambda: Installment.objects.filter(state="paid").count() == 12, timeout=60)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        for worker in workers:
            stop_worker(worker)

    # Each worker ran one job, and between them they charged the nine once each.
    assert [len(charged) for charged in runs] == [1, 1], _logs(workers)
    assert sum(charged[0] for charged in runs) == 9
    charges = PaymentTransaction.objects.filter(metadata__bnpl_plan__isnull=False)
    assert charges.count() == 12 and set(charges.values_list("state", flat=True)) == {"completed"}
    # At the processor too: one charge per installment, none twice.
    ids = set(charges.values_list("public_id", flat=True))
    at_processor = [
        c.metadata["payment_intent"] for c in SimulatorCharge.objects.all() if c.metadata.get("payment_intent") in ids
    ]
    assert sorted(at_processor) == sorted(ids)


def _backends_waiting_on_rows() -> int:
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction unless the snapshot is dropped. Its
        # query text is cut at 1 kB, before the FOR UPDATE: the statement is known by its start.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE %s",
            ['SELECT "bnpl_installment".%'],
        )
        return cursor.fetchone()[0]


def _runs(workers) -> list[list[int]] | None:
    """Each worker's finished runs (how many each charged), once both have one; raises as
    soon as a run failed, with the logs, instead of waiting out the timeout."""
    logs = [worker.log_file.read_text() for worker in workers]
    if any(RUN_FAILED.search(log) for log in logs) or any(worker.poll() is not None for worker in workers):
        raise AssertionError(f"a run failed or a worker died:\n{_logs(workers)}")
    runs = [[int(m[1]) for m in RUN_DONE.finditer(log)] for log in logs]
    return runs if all(runs) else None


def _logs(workers) -> str:
    return "\n".join(f"--- {worker.log_file.name}\n{worker.log_file.read_text()[-6000:]}" for worker in workers)
