"""`make run` keeps its promise on the embedded defaults: on SQLite, with no PostgreSQL,
a card checkout goes through (nothing in the money path may need PostgreSQL alone)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_card_checkout_on_the_embedded_sqlite_defaults(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PYTEST_XDIST_WORKER"}
    }
    env.update(
        APP_ENV="local",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp_path / 'local.sqlite3'}",
        CELERY_TASK_ALWAYS_EAGER="true",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests/core/local_run_smoke.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    assert "paid order ord_" in run.stdout
