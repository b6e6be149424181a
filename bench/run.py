"""API benchmark: gunicorn + PostgreSQL on loopback, bounded in requests and time.

Measures requests/s and p50/p99 latency per endpoint of the checkout flow (create session,
set the shipping address, list and select shipping, calculate) beside the ceiling of a
trivial one-query DRF endpoint (GET /v1/checkout/settings: one key lookup) measured in the
same run on the same stack, then checks that a web worker's resident memory stays flat
over a long run. Usage: scripts/bench.sh [--flows N] [--concurrency C] [--soak N]
"""

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MAX_SECONDS_PER_PHASE = 300  # every phase stops by itself, whatever the counts say


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Client:
    """One keep-alive connection per thread, like a real integration's HTTP pool."""

    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        started = time.perf_counter()
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} → {response.status}: {payload[:300]!r}")
        return json.loads(payload) if payload else None, elapsed


def run_parallel(concurrency, iterations, work):
    """Runs work(client_index, iteration) `iterations` times over `concurrency` threads."""
    samples, errors, lock = {}, [], threading.Lock()
    counter = iter(range(iterations))
    deadline = time.monotonic() + MAX_SECONDS_PER_PHASE

    def worker(index):
        local = {}
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            try:
                for name, elapsed in work(index, n):
                    local.setdefault(name, []).append(elapsed)
            except Exception as exc:  # recorded and reported; the run goes on
                errors.append(str(exc))
        with lock:
            for name, values in local.items():
                samples.setdefault(name, []).extend(values)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, time.perf_counter() - started, errors


def summarize(samples, concurrency):
    """Per endpoint: p50/p99 and the rate it would sustain with every connection on it
    (concurrency / mean latency), which makes a mixed flow comparable to the ceiling."""
    rows = {}
    for name, values in samples.items():
        values.sort()
        rows[name] = {
            "requests": len(values),
            "requests_per_s": round(concurrency / statistics.fmean(values), 1),
            "p50_ms": round(statistics.median(values) * 1000, 2),
            "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))] * 1000, 2),
        }
    return rows


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_pids(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", type=int, default=300, help="checkout flows to run (5 requests each)")
    parser.add_argument("--ceiling", type=int, default=2000, help="requests to the one-query endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--soak", type=int, default=10_000, help="requests for the memory check")
    parser.add_argument("--soak-rounds", type=int, default=4, help="soaks, RSS read after each")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    env = {**os.environ, "APP_ENV": "local", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    setup = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "setup_data.py")], env=env, check=True, capture_output=True, text=True
    )
    key = json.loads(setup.stdout.strip().splitlines()[-1])["secret_key"]

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        clients = [Client(port, key) for _ in range(args.concurrency)]
        # Warm up each worker's imports and connections before measuring.
        run_parallel(
            args.concurrency, 200, lambda i, n: [("warmup", clients[i].call("GET", "/v1/checkout/settings")[1])]
        )

        ceiling, ceiling_wall, ceiling_errors = run_parallel(
            args.concurrency,
            args.ceiling,
            lambda i, n: [("ceiling GET /settings", clients[i].call("GET", "/v1/checkout/settings")[1])],
        )

        def flow(i, n):
            client = clients[i]
            session, t_create = client.call("POST", "/v1/checkout/sessions", {
                "currency": "USD",
                "lines": [{"sku": f"SKU-{k}", "name": f"Item {k}", "quantity": 1 + k % 3, "unit_amount": 1000 + k,
                           "tax_code": "standard"} for k in range(3)],
            })  # fmt: skip
            base = f"/v1/checkout/sessions/{session['checkout_id']}"
            _, t_address = client.call("POST", f"{base}/shipping-address", {
                "name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "region": "IL",
                "postal_code": "62701", "country": "US",
            })  # fmt: skip
            options, t_options = client.call("GET", f"{base}/shipping-options")
            option_id = options["data"][0]["id"]
            _, t_select = client.call("POST", f"{base}/select-shipping", {"shipping_option_id": option_id})
            _, t_calc = client.call("POST", f"{base}/calculate", {})
            return [
                ("POST /sessions", t_create),
                ("POST /shipping-address", t_address),
                ("GET /shipping-options", t_options),
                ("POST /select-shipping", t_select),
                ("POST /calculate", t_calc),
            ]

        flows, flow_wall, flow_errors = run_parallel(args.concurrency, args.flows, flow)

        pids = worker_pids(server.pid)
        rss = [{pid: rss_kib(pid) for pid in pids}]
        for _ in range(args.soak_rounds):
            run_parallel(
                args.concurrency, args.soak, lambda i, n: [("soak", clients[i].call("GET", "/v1/checkout/settings")[1])]
            )
            rss.append({pid: rss_kib(pid) for pid in pids})
    finally:
        server.terminate()
        server.wait(timeout=20)

    rows = {**summarize(ceiling, args.concurrency), **summarize(flows, args.concurrency)}
    ceiling_rate = rows["ceiling GET /settings"]["requests_per_s"]
    for row in rows.values():
        row["share_of_ceiling"] = round(row["requests_per_s"] / ceiling_rate, 2)
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": vars(args),
        "ceiling_wall_rps": round(args.ceiling / ceiling_wall, 1),
        "flow_wall_seconds": round(flow_wall, 2),
        "endpoints": rows,
        "errors": (ceiling_errors + flow_errors)[:10],
        "rss_kib_after_each_soak": [{str(pid): kib for pid, kib in row.items()} for row in rss],
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(result, indent=2))
    print(f"{'endpoint':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'×ceiling':>9}")
    for name, row in result["endpoints"].items():
        print(f"{name:28} {row['requests_per_s']:8} {row['p50_ms']:8} {row['p99_ms']:8} {row['share_of_ceiling']:9}")
    for pid in rss[0]:
        print(f"worker {pid} RSS KiB, before and after each soak of {args.soak}:", [row[pid] for row in rss])
    if result["errors"]:
        print("errors:", *result["errors"], sep="\n  ")


if __name__ == "__main__":
    main()
