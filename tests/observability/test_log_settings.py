"""The logging the settings configure: JSON objects in production, readable lines in the
local run, both scrubbed of card numbers and keys whatever a module logs."""

import json
import os
import subprocess
import sys

from tests.core.test_production_settings import PRODUCTION, ROOT

EMIT = (
    "import django, logging; django.setup(); "
    "logging.getLogger('payments').warning('charge of %s with %s failed', '4242 4242 4242 4242', "
    "'sk_live_abcdefghijklmnopqrst')"
)


def _run(**environment) -> str:
    env = {key: value for key, value in os.environ.items() if key not in {*PRODUCTION, "PUBLIC_BASE_URL", "LOG_FORMAT"}}
    env.update(environment)
    result = subprocess.run(
        [sys.executable, "-c", EMIT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_production_writes_one_json_object_per_line_without_secrets():
    line = _run(**PRODUCTION, PUBLIC_BASE_URL="https://pay.example.com")
    record = json.loads(line)
    assert (record["level"], record["logger"]) == ("warning", "payments")
    assert record["event"] == "charge of [card] with [redacted] failed"
    assert record["timestamp"].endswith("Z")
    assert "4242" not in line and "sk_live" not in line


def test_the_local_run_writes_readable_lines_without_secrets():
    line = _run(APP_ENV="local")
    assert not line.startswith("{") and "charge of [card] with [redacted] failed" in line
    assert "warning" in line.lower() and "payments" in line
