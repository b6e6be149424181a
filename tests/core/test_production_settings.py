"""Production settings refuse to start without an absolute public address for links."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "x" * 50,
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "pay.example.com",
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


def _load_settings(**overrides):
    env = {key: value for key, value in os.environ.items() if key not in {*PRODUCTION, "PUBLIC_BASE_URL"}}
    env.update({**PRODUCTION, **overrides})
    code = "import config.settings as s; print(s.PUBLIC_BASE_URL)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_production_starts_with_an_absolute_https_public_base_url():
    result = _load_settings(PUBLIC_BASE_URL="https://pay.example.com/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://pay.example.com"


@pytest.mark.parametrize("value", [None, "", "/pay", "pay.example.com", "http://pay.example.com"])
def test_production_refuses_a_missing_or_relative_public_base_url(value):
    result = _load_settings(**({} if value is None else {"PUBLIC_BASE_URL": value}))
    assert result.returncode != 0
    assert "PUBLIC_BASE_URL" in result.stderr
