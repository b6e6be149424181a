"""The whole-checkout benchmark in one run: gunicorn (sync workers) and one Celery worker
on PostgreSQL and Redis on loopback, driven by bench/checkout_loadgen.py.

Phases, each bounded by its duration: the ceiling (GET /v1/checkout/settings, the
cheapest authenticated call), then whole checkouts at each --concurrency. After every
phase: the Celery backlog (queued + reserved messages) and how long it takes to drain
(bounded). Last, data queries and tasks per step of one checkout (bench/queries.py).
Results: bench/results/<timestamp>.json and a summary on stdout.
Usage: scripts/bench.sh [--duration 30] [--warmup 5] [--concurrency 4 16] [--workers 4]
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DRAIN_LIMIT_SECONDS = 120


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_listening(port, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def backlog(broker, queue):
    """Messages waiting in our queue plus those the worker holds unacknowledged (kombu keeps
    the latter in one `unacked` hash per Redis database: counted by routing key)."""
    held = 0
    for raw in broker.hvals("unacked"):
        try:
            held += json.loads(raw)[2] == queue
        except (ValueError, IndexError, TypeError):
            continue
    return broker.llen(queue) + held


def warm_up(port, key, workers):
    """Until every worker answers: a booting worker is not what the ceiling measures."""
    import http.client

    deadline = time.monotonic() + 120
    answered = 0
    while answered < workers * 10:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not answer within 120 s")
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            connection.request("GET", "/v1/checkout/settings", headers={"Authorization": f"Bearer {key}"})
            answered += connection.getresponse().status == 200
        except OSError:
            time.sleep(0.5)
        finally:
            connection.close()


def drain_seconds(broker, queue):
    started = time.monotonic()
    while backlog(broker, queue) > 0:
        if time.monotonic() - started > DRAIN_LIMIT_SECONDS:
            return None
        time.sleep(0.1)
    return round(time.monotonic() - started, 2)


def loadgen(port, ids_path, out, *extra):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "checkout_loadgen.py"), "--port", str(port), "--ids", str(ids_path),
         "--out", str(out), *extra],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_conditions():
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"loadavg_1_5_15": [float(x) for x in load], "cpus": os.cpu_count()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    args = parser.parse_args()

    port = free_port()
    queue = f"bench-{port}"
    env = {
        **os.environ,
        "APP_ENV": "local",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CACHE_URL": os.environ["CELERY_BROKER_URL"],  # shared cache: versions reach every process
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "PUBLIC_BASE_URL": f"http://{HOST}:{port}",
        "PAYMENTS_SIMULATOR_WEBHOOK_BASE_URL": f"http://{HOST}:{port}",
    }
    setup = subprocess.run([sys.executable, str(ROOT / "bench" / "setup_data.py")], env=env, check=True,
                           capture_output=True, text=True)  # fmt: skip
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    ids_path = results_dir / f"{stamp}-ids.json"
    ids_path.write_text(setup.stdout.strip().splitlines()[-1])
    raw = results_dir / f"{stamp}-loadgen.jsonl"
    broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"{HOST}:{port}", "--workers",
         str(args.workers), "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--queues", queue,
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    result = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "settings": vars(args), "phases": []}
    result["machine"] = {"python": platform.python_version(), **load_conditions()}
    try:
        wait_listening(port)
        warm_up(port, json.loads(ids_path.read_text())["secret_key"], args.workers)
        timing = ["--duration", str(args.duration), "--warmup", str(args.warmup)]
        cpu = ["--cpu", f"gunicorn={server.pid}", "--cpu", f"celery={worker.pid}"]
        phases = [("ceiling", ["--ceiling", "-c", "4"])] + [
            (f"checkout c={c}", ["-c", str(c), "--psql-dsn", os.environ["DATABASE_URL"]]) for c in args.concurrency
        ]
        for name, extra in phases:
            conditions = load_conditions()
            phase = loadgen(port, ids_path, raw, *timing, *cpu, "--label", name, *extra)
            phase["backlog_at_end"] = backlog(broker, queue)
            phase["drain_s"] = drain_seconds(broker, queue)
            phase["load_before"] = conditions
            result["phases"].append({"name": name, **phase})
        counted = subprocess.run([sys.executable, str(ROOT / "bench" / "queries.py"), str(ids_path)], env=env,
                                 capture_output=True, text=True, timeout=300)  # fmt: skip
        if counted.returncode != 0:
            raise SystemExit(f"query count failed: {counted.stderr[-2000:]}")
        result["per_checkout"] = json.loads(counted.stdout.strip().splitlines()[-1])
        drain_seconds(broker, queue)
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        broker.delete(queue)
    (results_dir / f"{stamp}.json").write_text(json.dumps(result, indent=2))
    print_summary(result)


def print_summary(result):
    ceiling = result["phases"][0]["requests_per_s"]
    print(f"\nload before the run: {result['machine']}")
    print(f"ceiling GET /settings: {ceiling} req/s")
    for phase in result["phases"][1:]:
        rate = phase["checkouts_per_s"]
        share = round(rate * phase["requests_per_checkout"] / ceiling, 3) if ceiling else None
        print(
            f"{phase['name']}: {rate} checkouts/s, share of ceiling {share}, failed {phase['failed_in_window']},"
            f" orders match {phase['orders_match']}, backlog at end {phase['backlog_at_end']},"
            f" drained in {phase['drain_s']} s, cpu ms/checkout {phase['cpu_ms_per_unit']}"
        )
        print("  p99 ms: " + ", ".join(f"{k} {v.get('p99_ms')}" for k, v in phase["per_step"].items()))
    counted = result["per_checkout"]
    total = sum(counted["queries"].values())
    print(f"data queries per checkout: {total} " + json.dumps(counted["queries"]))
    print(f"simulator queries (apart): {sum(counted['simulator_queries'].values())}")
    print(f"tasks queued by the checkout's requests: {len(counted['tasks'])} {counted['tasks']}")
    costliest = sorted(counted["queries"], key=lambda step: -counted["queries"][step])[:3]
    for step in costliest:
        print(f"  {step} by table: {json.dumps(counted['tables'][step])}")


if __name__ == "__main__":
    main()
