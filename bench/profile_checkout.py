"""CPU per step of a whole checkout, in-process, and where it goes: run against the
benchmark database after `scripts/bench.sh` has loaded it (it prints the ids file).

    . scripts/_venv.sh   # then, with the bench's environment:
    APP_ENV=local DEBUG=false LOG_LEVEL=WARNING CACHE_URL=redis://127.0.0.1:6379/0 \
    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/payments_bench \
    .venv/bin/python bench/profile_checkout.py bench/results/<stamp>-ids.json [--checkouts 15] [--profile out.prof]

Process CPU only (PostgreSQL's share is the bench's "other"); one Django test client for the
run, as a gunicorn worker keeps one handler, after two warm-up checkouts. With --profile, a
cProfile of the measured checkouts is written for `python -m pstats` (it roughly doubles
the times printed).
"""

import argparse
import cProfile
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from bench.queries import V1, checkout_steps  # noqa: E402


def checkout(client, ids, cpu_ms):
    secret = {"HTTP_AUTHORIZATION": f"Bearer {ids['secret_key']}"}
    public = {"HTTP_AUTHORIZATION": f"Bearer {ids['publishable_key']}"}

    def step(name, method, path, body=None, auth=secret):
        started = time.process_time()
        if method == "post":
            response = client.post(path, json.dumps(body), content_type="application/json", **auth,
                                   HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
        else:
            response = client.get(path, **auth)
        cpu_ms[name] = cpu_ms.get(name, 0) + (time.process_time() - started) * 1000
        if response.status_code >= 300:
            raise SystemExit(f"{name}: {response.status_code} {response.content[:300]!r}")
        return response.json()

    checkout_steps(step, public)
    step("ceiling (GET /settings)", "get", f"{V1}/settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ids")
    parser.add_argument("--checkouts", type=int, default=15)
    parser.add_argument("--profile")
    args = parser.parse_args()
    ids = json.loads(Path(args.ids).read_text())
    client = Client()
    for _ in range(2):
        checkout(client, ids, {})
    cpu_ms = {}
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    for _ in range(args.checkouts):
        checkout(client, ids, cpu_ms)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    per_step = {name: round(ms / args.checkouts, 1) for name, ms in cpu_ms.items()}
    ceiling = per_step.pop("ceiling (GET /settings)")
    print(json.dumps({"cpu_ms_per_step": per_step, "cpu_ms_per_checkout": round(sum(per_step.values()), 1),
                      "cpu_ms_ceiling_request": ceiling}))  # fmt: skip


if __name__ == "__main__":
    main()
