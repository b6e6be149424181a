"""`migrate` schedules the daily installment job for beat, as a task a worker can run."""

import pytest
from django_celery_beat.models import PeriodicTask

from config.celery import app as celery_app
from payments.bnpl.tasks import charge_installments

pytestmark = pytest.mark.django_db


def test_migrate_registered_the_daily_job():
    celery_app.loader.import_default_modules()
    task = PeriodicTask.objects.select_related("interval").get(name="bnpl.charge_installments")
    assert task.task == "bnpl.charge_installments" and task.enabled
    assert (task.interval.every, task.interval.period) == (1, "days")
    assert "bnpl.charge_installments" in celery_app.tasks


def test_the_task_runs_the_job_for_a_day():
    # .result, not .get(): an eager result has nothing to wait for, and get() refuses when
    # an earlier test's eager task is still on Celery's stack in this process.
    outcome = charge_installments.apply(args=["2027-01-10"])
    assert outcome.successful(), outcome.traceback
    assert outcome.result["as_of"] == "2027-01-10" and outcome.result["charged"] == 0
