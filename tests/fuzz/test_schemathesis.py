"""Fuzzing the API over its own OpenAPI schema (schemathesis), against a live server.

Every operation of /v1/schema/ gets requests that fit the schema and requests that do
not (wrong types, NUL bytes, huge numbers, missing fields), as a merchant with a secret
key, some aimed at real objects so the deep paths run too. Nothing may answer 5xx, and
every answer must be what the schema documents for its status. The run is bounded (a
fixed number of examples per operation and a wall-clock budget) and derandomized, so a
failure shows up again on the next run.

Rerun it alone, or one operation, with more examples:
    FUZZ_OPERATIONS='sessions' FUZZ_EXAMPLES=200 .venv/bin/python -m pytest tests/fuzz -q
Each failure is reported with its operation, the check that failed and a curl command.
"""

import os
import re
import time
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from merchants import webhook_delivery
from merchants.webhooks.http import HttpResult
from tests.factories import merchant_with_keys

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
BUDGET_SECONDS = float(os.environ.get("FUZZ_SECONDS", "120"))
OPERATIONS = re.compile(os.environ.get("FUZZ_OPERATIONS", ""))
# No 5xx; every answer in the shape, status and content type its operation documents (an
# undocumented 412 is as much a lie of the schema as a wrong body).
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]

CART = {
    "currency": "USD",
    "lines": [{"sku": "EBOOK", "name": "E-book", "quantity": 1, "unit_amount": 1500, "requires_shipping": False}],
    "return_urls": {"success_url": "https://shop.example/ok", "error_url": "https://shop.example/err"},
}


@pytest.fixture
def fuzz_server(live_server, transactional_db, settings, monkeypatch):
    # A running system's worker and beat have just beaten: /health answers for them.
    from core.heartbeats import BEAT, WORKER, heartbeat_record

    heartbeat_record(WORKER)
    heartbeat_record(BEAT)
    # Links the API hands out point at the server under test, never anywhere else.
    settings.PUBLIC_BASE_URL = live_server.url
    # Generated webhook endpoints name any host; deliveries leave the machine only in
    # production. Loopback receivers are still called for real.
    real_post_json = webhook_delivery.post_json

    def loopback_only(url, body, headers):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            return HttpResult(None, 0, error="Not delivered: the test run stays on this machine.")
        return real_post_json(url, body, headers)

    monkeypatch.setattr(webhook_delivery, "post_json", loopback_only)
    return live_server


@pytest.fixture
def real_ids(fuzz_server):
    """A merchant and a few of its objects, so generated requests also reach past the 404."""
    secrets = merchant_with_keys("Fuzz Shop")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {secrets.secret_key}"
    base = f"{fuzz_server.url}/v1/checkout"
    session = http.post(f"{base}/sessions", json=CART, timeout=30)
    assert session.status_code == 201, session.text
    checkout_id = session.json()["checkout_id"]
    http.post(f"{base}/sessions/{checkout_id}/calculate", json={}, timeout=30)
    intent = http.post(f"{base}/sessions/{checkout_id}/payment-intents", json={}, timeout=30)
    endpoint = http.post(f"{base}/webhooks", json={"url": f"{fuzz_server.url}/hooks", "events": ["*"]}, timeout=30)
    ids = {"checkout_id": checkout_id}
    if intent.status_code == 201:
        ids["payment_intent_id"] = intent.json()["id"]
    if endpoint.status_code == 201:
        ids["endpoint_id"] = endpoint.json()["id"]
    return secrets, ids


def _strategy(operation, ids):
    """Random requests, valid and invalid, and valid ones aimed at the merchant's objects."""
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    path_names = {parameter.name for parameter in operation.path_parameters}
    if path_names:
        # Ids a hostile client sends: a NUL byte, a huge one, escapes. (A lone surrogate
        # cannot be encoded into a URL at all; the JSON tests in tests/core cover it.)
        strategies.append(
            st.sampled_from(["cs_\x00", "pi_\x00x", "9" * 5000, "%00", "../../etc", "\u00b2"]).flatmap(
                lambda hostile: operation.as_strategy(path_parameters=dict.fromkeys(path_names, hostile))
            )
        )
    if path_names and path_names <= set(ids):
        known = {name: ids[name] for name in path_names}
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=known))
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=known))
    return st.one_of(strategies)


def _fuzz_operation(operation, *, ids, base_url, headers, http, stop_at, statuses):
    """Runs one operation's examples, counting answers by status in `statuses`; the
    report of its first failure, or None."""
    failure = {}

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        # Shrinking a failure can take minutes; the failing request as found, with its
        # curl command, is what a reader needs, and a rerun finds it again.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=_strategy(operation, ids))
    def run(case):
        if failure or time.monotonic() > stop_at:
            return
        response = case.call(base_url=base_url, session=http, headers=headers, timeout=30)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as exc:  # its message holds the checks that failed and a curl command
            failure["report"] = f"=== {operation.label}\n{exc}"

    run()
    return failure.get("report")


def test_no_operation_answers_5xx_or_off_its_schema(fuzz_server, real_ids):
    secrets, ids = real_ids
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/v1/schema/?format=openapi-json", timeout=60)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if OPERATIONS.search(operation.label)]
    assert operations, "no operation matches FUZZ_OPERATIONS"
    headers = {"Authorization": f"Bearer {secrets.secret_key}"}
    http = requests.Session()
    started = time.monotonic()
    reports = []
    statuses: dict[int, int] = {}
    for index, operation in enumerate(operations):
        # Each operation gets an equal share of what is left of the budget.
        remaining = BUDGET_SECONDS - (time.monotonic() - started)
        stop_at = time.monotonic() + max(remaining, 0) / (len(operations) - index)
        report = _fuzz_operation(
            operation,
            ids=ids,
            base_url=fuzz_server.url,
            headers=headers,
            http=http,
            stop_at=stop_at,
            statuses=statuses,
        )
        if report:
            reports.append(report)
    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis: {len(operations)} operations, up to {EXAMPLES} examples each, "
        f"{sum(statuses.values())} requests in {elapsed:.0f}s, by status: {dict(sorted(statuses.items()))}"
    )
    assert not reports, f"{len(reports)} operation(s) failed:\n\n" + "\n\n".join(reports)
