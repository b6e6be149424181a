#!/usr/bin/env python3
"""Closed-loop load generator: the whole merchant checkout by REST API (our product).

Same method as saleor_loadgen.py (raw asyncio sockets, closed loop, bounded by
warmup+duration, every response checked, CPU per process tree from /proc).

Each virtual user (VU) owns one HTTP/1.1 connection (reopened whenever the server
answers `Connection: close`, which gunicorn's sync workers do on every response) and
loops the 10 calls of one checkout:

  1 POST /v1/checkout/sessions                (2-line cart, both lines require shipping)
  2 POST /sessions/{cs}/customer              (email)
  3 POST /sessions/{cs}/shipping-address
  4 GET  /sessions/{cs}/shipping-options      (must offer "Ground", 599)
  5 POST /sessions/{cs}/select-shipping
  6 POST /sessions/{cs}/calculate             (grand_total must be the expected 5425)
  7 POST /sessions/{cs}/payment-intents       (status requires_payment_method)
  8 POST /payment-methods/tokenize            (publishable key, card 4242424242424242)
  9 POST /payment-intents/{pi}/confirm        (status must be succeeded)
 10 POST /sessions/{cs}/finalize              (201 with an order, payment captured)

Every POST carries a fresh Idempotency-Key and must not come back `Idempotent-Replayed`.
Every response is checked (status code, JSON body, the fields that matter); a checkout
with any failed step is abandoned and counted as failed.

--ceiling: closed loop of GET /v1/checkout/settings with the secret key instead (the
cheapest authenticated endpoint: its only query is the API-key lookup).

Counting (both are reported):
  checkouts_per_s                  checkouts whose last step completed inside the measured
                                   window, whenever they started (closed-loop throughput);
  checkouts_per_s_started_in_window  saleor_loadgen.py's rule: started AND finished inside
                                   the window (undercounts when e2e latency is a sizeable
                                   fraction of the window).
Per-step latencies: requests that completed inside the window.

Order verification (--psql-dsn): counts checkout_order rows before the VUs start and
after they have all stopped; the difference must equal the finalize calls that returned
an order (warm-up and tail included).

CPU accounting: utime+stime (+ reaped children) of the process trees given by
--cpu NAME=PID, this process (loadgen), and /proc/stat totals, sampled at the start and
end of the measured window. `--pg-db NAME` (with a --cpu pg=<postmaster>) also splits the
live PostgreSQL backends by database, to show how much of the shared cluster's CPU was
other tenants'. `other` = all busy CPU minus the named trees and loadgen.

Stdlib only; Python >= 3.8.
"""

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid

CLK_TCK = os.sysconf("SC_CLK_TCK")

STEPS = [
    "create_session",
    "customer",
    "shipping_address",
    "shipping_options",
    "select_shipping",
    "calculate",
    "payment_intent",
    "tokenize",
    "confirm",
    "finalize",
]
CEILING_STEP = "get_settings"

CART = {
    "currency": "USD",
    "lines": [
        {"sku": "MUG", "name": "Mug", "quantity": 2, "unit_amount": 1250, "requires_shipping": True},
        {"sku": "TEE", "name": "T-shirt", "quantity": 1, "unit_amount": 2000, "requires_shipping": True},
    ],
}
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "1 Main St",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
}
CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
SHIPPING_NAME, SHIPPING_AMOUNT = "Ground", 599
SUB_TOTAL = 2 * 1250 + 2000  # 4500
# 7.25 % tax per line, rounded per line (181 + 145), shipping untaxed: set up like bench/setup_data.py
EXPECTED_GRAND_TOTAL = 4500 + 326 + 599  # 5425


class StepError(Exception):
    pass


class Conn:
    """One HTTP/1.1 connection; reopened after a `Connection: close` answer."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.hosthdr = f"{host}:{port}".encode()
        self.connects = 0

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.connects += 1

    async def request(self, method: bytes, path: str, auth: bytes, body: bytes = None, idem: bool = False):
        if self.writer is None:
            await self.connect()
        hdr = [
            method + b" " + path.encode() + b" HTTP/1.1",
            b"Host: " + self.hosthdr,
            b"Authorization: Bearer " + auth,
            b"Accept: application/json",
        ]
        if body is not None:
            hdr.append(b"Content-Type: application/json")
            hdr.append(b"Content-Length: " + str(len(body)).encode())
        if idem:
            hdr.append(b"Idempotency-Key: " + uuid.uuid4().hex.encode())
        req = b"\r\n".join(hdr) + b"\r\n\r\n" + (body or b"")
        self.writer.write(req)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        clen = None
        chunked = close = replayed = False
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                clen = int(v)
            elif k == b"transfer-encoding" and b"chunked" in v.lower():
                chunked = True
            elif k == b"connection" and b"close" in v.lower():
                close = True
            elif k == b"idempotent-replayed":
                replayed = True
        if clen is not None:
            data = await self.reader.readexactly(clen)
        elif chunked:
            parts = []
            while True:
                szline = await self.reader.readuntil(b"\r\n")
                sz = int(szline.split(b";")[0], 16)
                if sz == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(sz))
                await self.reader.readexactly(2)
            data = b"".join(parts)
        else:
            data = await self.reader.read()
            close = True
        if close:
            self.close()
        return status, data, replayed

    def close(self):
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:
                pass
        self.reader = self.writer = None


# --- CPU accounting -----------------------------------------------------------------------
def proc_table():
    """pid -> (ppid, cpu ticks incl. reaped children)."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2 :].split()
        ut, st, cut, cst = (int(x) for x in rest[11:15])
        table[int(d)] = (int(rest[1]), ut + st + cut + cst)
    return table


def tree_ticks(table, root):
    kids = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    total, stack, seen = 0, [root], set()
    while stack:
        p = stack.pop()
        if p in seen or p not in table:
            continue
        seen.add(p)
        total += table[p][1]
        stack.extend(kids.get(p, []))
    return total


def pg_backends(table, postmaster):
    """Live children of the postmaster -> (database or role tag, ticks)."""
    out = {}
    for pid, (ppid, ticks) in table.items():
        if ppid != postmaster:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # "postgres: 15/main: <user> <db> <host>(<port>) <state>" for client backends
        parts = cmd.split()
        tag = parts[3] if len(parts) >= 5 and "(" in parts[4] else "_background"
        out[pid] = (tag, ticks)
    return out


def sys_cpu():
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = [int(x) for x in parts]
    return sum(vals[:8]) / CLK_TCK, (vals[3] + vals[4]) / CLK_TCK


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_snapshot(trees, pg_root):
    table = proc_table()
    snap = {name: tree_ticks(table, pid) / CLK_TCK for name, pid in trees.items()}
    snap["loadgen"] = self_cpu()
    snap["_system_total"], snap["_system_idle"] = sys_cpu()
    backends = pg_backends(table, pg_root) if pg_root else {}
    return snap, backends


def pg_split(b0, b1, our_db):
    """CPU of live backends during the window, grouped as ours / other tenants'."""
    ours = other = bg = 0
    for pid, (tag, ticks) in b1.items():
        start = b0[pid][1] if pid in b0 and b0[pid][0] == tag else 0
        d = (ticks - start) / CLK_TCK
        if tag == our_db:
            ours += d
        elif tag == "_background":
            bg += d
        else:
            other += d
    return {"pg_live_ours": round(ours, 3), "pg_live_other_db": round(other, 3), "pg_live_background": round(bg, 3)}


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = (len(sorted_vals) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(sorted_vals) - 1)
    return sorted_vals[f] + (sorted_vals[c] - sorted_vals[f]) * (k - f)


def count_orders(dsn):
    if not dsn:
        return None
    out = subprocess.run(
        ["psql", dsn, "-Atc", "select count(*) from checkout_order"], capture_output=True, text=True, timeout=30
    )
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return int(out.stdout.strip())


# --- the virtual users --------------------------------------------------------------------
def expect(step, status, data, replayed, want_status):
    if status != want_status:
        raise StepError(f"{step}: HTTP {status} (want {want_status}) {data[:300]!r}")
    if replayed:
        raise StepError(f"{step}: answer replayed for a fresh Idempotency-Key")
    try:
        return json.loads(data)
    except ValueError:
        raise StepError(f"{step}: body is not JSON {data[:200]!r}") from None


def check(step, cond, doc, what):
    if not cond:
        raise StepError(f"{step}: {what}: {json.dumps(doc)[:400]}")


async def call(conn, state, step, method, path, auth, body=None, idem=False):
    """One request; latency recorded if it completed inside the measured window."""
    raw = None if body is None else json.dumps(body).encode()
    t0 = time.perf_counter()
    try:
        status, data, replayed = await conn.request(method, path, auth, raw, idem)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as e:
        conn.close()
        raise StepError(f"{step}: transport {type(e).__name__}: {e}") from e
    t1 = time.perf_counter()
    if state["measuring"]:
        state["lat"][step].append(t1 - t0)
    key = f"{step} {status}"
    state["status_counts"][key] = state["status_counts"].get(key, 0) + 1
    return status, data, replayed


async def checkout_once(conn, state, sk, pk, email):
    """The 10 calls of one checkout; returns the order. Raises StepError on anything unexpected."""
    base = "/v1/checkout"

    def stop_check():
        if state["stop"]:
            raise asyncio.CancelledError

    stop_check()
    st, d, r = await call(conn, state, "create_session", b"POST", f"{base}/sessions", sk, CART, True)
    doc = expect("create_session", st, d, r, 201)
    cs = doc.get("checkout_id") or ""
    check(
        "create_session",
        cs.startswith("cs_")
        and len(doc.get("lines", [])) == 2
        and all(line.get("requires_shipping") for line in doc["lines"]),
        doc,
        "bad session",
    )
    sp = f"{base}/sessions/{cs}"

    stop_check()
    st, d, r = await call(conn, state, "customer", b"POST", f"{sp}/customer", sk, {"email": email}, True)
    doc = expect("customer", st, d, r, 200)
    check("customer", doc.get("customer", {}).get("email") == email, doc, "email not stored")

    stop_check()
    st, d, r = await call(conn, state, "shipping_address", b"POST", f"{sp}/shipping-address", sk, ADDRESS, True)
    doc = expect("shipping_address", st, d, r, 200)
    addr = doc.get("shipping_address") or {}
    check(
        "shipping_address",
        addr.get("country") == "US" and addr.get("postal_code") == "62701" and addr.get("validation_status") == "valid",
        doc,
        "address not stored as valid",
    )

    stop_check()
    st, d, r = await call(conn, state, "shipping_options", b"GET", f"{sp}/shipping-options", sk)
    doc = expect("shipping_options", st, d, r, 200)
    opts = [o for o in doc.get("data", []) if o.get("name") == SHIPPING_NAME]
    check(
        "shipping_options",
        doc.get("shipping_required") is True and opts and opts[0].get("amount") == SHIPPING_AMOUNT,
        doc,
        f"no {SHIPPING_NAME} option",
    )
    option_id = opts[0]["id"]

    stop_check()
    st, d, r = await call(
        conn, state, "select_shipping", b"POST", f"{sp}/select-shipping", sk, {"shipping_option_id": option_id}, True
    )
    doc = expect("select_shipping", st, d, r, 200)
    check("select_shipping", (doc.get("selected_shipping") or {}).get("id") == option_id, doc, "option not selected")

    stop_check()
    st, d, r = await call(conn, state, "calculate", b"POST", f"{sp}/calculate", sk, {}, True)
    doc = expect("calculate", st, d, r, 200)
    totals = doc.get("totals") or {}
    check(
        "calculate",
        doc.get("is_current") is True
        and totals.get("sub_total") == SUB_TOTAL
        and totals.get("shipping_total") == SHIPPING_AMOUNT
        and totals.get("grand_total") == EXPECTED_GRAND_TOTAL,
        doc,
        "unexpected totals",
    )
    calc_id = doc.get("calculation_id")

    stop_check()
    st, d, r = await call(conn, state, "payment_intent", b"POST", f"{sp}/payment-intents", sk, {}, True)
    doc = expect("payment_intent", st, d, r, 201)
    pi = doc.get("id") or ""
    check(
        "payment_intent",
        pi.startswith("pi_")
        and doc.get("status") == "requires_payment_method"
        and doc.get("amount") == EXPECTED_GRAND_TOTAL
        and doc.get("calculation_id") == calc_id,
        doc,
        "unexpected intent",
    )

    stop_check()
    st, d, r = await call(conn, state, "tokenize", b"POST", f"{base}/payment-methods/tokenize", pk, CARD, True)
    doc = expect("tokenize", st, d, r, 201)
    pm = doc.get("payment_method_id") or ""
    check("tokenize", pm.startswith("pm_") and (doc.get("card") or {}).get("last4") == "4242", doc, "no pm_ token")

    stop_check()
    st, d, r = await call(
        conn, state, "confirm", b"POST", f"{base}/payment-intents/{pi}/confirm", sk, {"payment_method_id": pm}, True
    )
    doc = expect("confirm", st, d, r, 200)
    check(
        "confirm",
        doc.get("status") == "succeeded" and doc.get("amount_received") == EXPECTED_GRAND_TOTAL,
        doc,
        "payment did not succeed",
    )

    stop_check()
    state["finalize_sent"] += 1
    st, d, r = await call(conn, state, "finalize", b"POST", f"{sp}/finalize", sk, {}, True)
    doc = expect("finalize", st, d, r, 201)
    order = doc.get("order") or {}
    check(
        "finalize",
        doc.get("created") is True
        and (order.get("id") or "").startswith("ord_")
        and order.get("checkout_id") == cs
        and order.get("amount") == EXPECTED_GRAND_TOTAL
        and order.get("payment_status") == "captured"
        and order.get("payment_intent_id") == pi,
        doc,
        "no captured order",
    )
    return order


async def vu_checkout(idx, args, ids, state):
    conn = Conn(args.host, args.port)
    sk, pk = ids["secret_key"].encode(), ids["publishable_key"].encode()
    while not state["stop"]:
        started_in_window = state["measuring"]
        t0 = time.perf_counter()
        try:
            order = await checkout_once(conn, state, sk, pk, f"perf-{uuid.uuid4().hex[:16]}@example.com")
        except asyncio.CancelledError:
            break
        except StepError as e:
            state["failed"] += 1
            if state["measuring"]:
                state["failed_in_window"] += 1
            if len(state["fail_samples"]) < 20:
                state["fail_samples"].append(str(e)[:500])
            if state["failed"] > args.max_failures:
                print("too many failures, aborting:", state["fail_samples"][:3], file=sys.stderr)
                state["stop"] = True
            continue
        t1 = time.perf_counter()
        state["completed_total"] += 1
        if state["measuring"]:
            state["completed"] += 1
            state["checkout_lat"].append(t1 - t0)
            if started_in_window:
                state["completed_started_in_window"] += 1
            if not state["sample_order"]:
                state["sample_order"].append({k: order.get(k) for k in ("id", "status", "amount", "payment_status")})
    state["connects"] += conn.connects
    conn.close()


async def vu_ceiling(idx, args, ids, state):
    conn = Conn(args.host, args.port)
    sk = ids["secret_key"].encode()
    want = ids["merchant_id"]
    while not state["stop"]:
        try:
            st, d, r = await call(conn, state, CEILING_STEP, b"GET", "/v1/checkout/settings", sk)
            doc = expect(CEILING_STEP, st, d, r, 200)
            check(CEILING_STEP, doc.get("merchant_id") == want, doc, "wrong merchant")
        except StepError as e:
            state["failed"] += 1
            if state["measuring"]:
                state["failed_in_window"] += 1
            if len(state["fail_samples"]) < 20:
                state["fail_samples"].append(str(e)[:500])
            if state["failed"] > args.max_failures:
                state["stop"] = True
            continue
        state["completed_total"] += 1
        if state["measuring"]:
            state["completed"] += 1
    state["connects"] += conn.connects
    conn.close()


def lat_stats(v):
    v = sorted(v)
    if not v:
        return {"n": 0}
    return {
        "n": len(v),
        "mean_ms": round(1000 * statistics.fmean(v), 2),
        "p50_ms": round(1000 * pct(v, 50), 2),
        "p90_ms": round(1000 * pct(v, 90), 2),
        "p99_ms": round(1000 * pct(v, 99), 2),
        "max_ms": round(1000 * v[-1], 2),
    }


async def main_async(args):
    with open(args.ids) as f:
        ids = json.load(f)
    trees = {}
    for spec in args.cpu or []:
        name, pid = spec.split("=")
        trees[name] = int(pid)
    pg_root = trees.get("pg") if args.pg_db else None
    steps = [CEILING_STEP] if args.ceiling else STEPS
    state = {
        "stop": False,
        "measuring": False,
        "lat": {s: [] for s in steps},
        "status_counts": {},
        "completed": 0,
        "completed_started_in_window": 0,
        "completed_total": 0,
        "failed": 0,
        "failed_in_window": 0,
        "finalize_sent": 0,
        "connects": 0,
        "fail_samples": [],
        "checkout_lat": [],
        "sample_order": [],
    }
    orders_before = count_orders(args.psql_dsn)
    vu = vu_ceiling if args.ceiling else vu_checkout
    tasks = [asyncio.ensure_future(vu(i, args, ids, state)) for i in range(args.concurrency)]
    await asyncio.sleep(args.warmup)
    c0, b0 = cpu_snapshot(trees, pg_root)
    t0 = time.perf_counter()
    state["measuring"] = True
    deadline = t0 + args.duration
    while time.perf_counter() < deadline and not state["stop"]:
        await asyncio.sleep(min(1.0, max(0.0, deadline - time.perf_counter())))
    state["measuring"] = False
    elapsed = time.perf_counter() - t0
    c1, b1 = cpu_snapshot(trees, pg_root)
    state["stop"] = True
    t_stop = time.perf_counter()
    done, pending = await asyncio.wait(tasks, timeout=60)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
    drain_s = time.perf_counter() - t_stop
    orders_after = count_orders(args.psql_dsn)

    cpu = {k: round(c1[k] - c0[k], 3) for k in c0}
    total = cpu["_system_total"]
    busy = total - cpu["_system_idle"]
    named = sum(v for k, v in cpu.items() if not k.startswith("_"))
    cpu["other"] = round(busy - named, 3)
    pct_machine = {k: round(100.0 * v / total, 1) for k, v in cpu.items() if not k.startswith("_")}
    pct_machine["_all_busy"] = round(100.0 * busy / total, 1)
    n_req = sum(len(state["lat"][s]) for s in steps)
    unit = state["completed"] if state["completed"] else None
    result = {
        "mode": "ceiling" if args.ceiling else "checkout",
        "concurrency": args.concurrency,
        "duration_s": round(elapsed, 3),
        "warmup_s": args.warmup,
        "requests_measured": n_req,
        "requests_per_s": round(n_req / elapsed, 2),
        "failed_in_window": state["failed_in_window"],
        "failed_total": state["failed"],
        "fail_samples": state["fail_samples"][:5],
        "status_counts": state["status_counts"],
        "tcp_connects": state["connects"],
        "per_step": {s: lat_stats(state["lat"][s]) for s in steps},
        "cpu_seconds": cpu,
        "cpu_pct_of_machine": pct_machine,
        "cpu_ms_per_unit": {k: round(1000 * v / unit, 2) for k, v in cpu.items() if not k.startswith("_") and unit},
        "drain_s": round(drain_s, 2),
        "vus_cancelled": len(pending),
    }
    if pg_root:
        result["pg_split"] = pg_split(b0, b1, args.pg_db)
    if args.ceiling:
        result["ok_requests"] = state["completed"]
    else:
        cl = sorted(state["checkout_lat"])
        result.update(
            {
                "checkouts_completed": state["completed"],
                "checkouts_per_s": round(state["completed"] / elapsed, 3),
                "checkouts_started_and_completed_in_window": state["completed_started_in_window"],
                "checkouts_per_s_started_in_window": round(state["completed_started_in_window"] / elapsed, 3),
                "checkouts_completed_incl_warmup_and_tail": state["completed_total"],
                "finalize_sent_incl_warmup_and_tail": state["finalize_sent"],
                "requests_per_checkout": len(STEPS),
                "checkout_e2e_ms": {
                    "p50": round(1000 * pct(cl, 50), 1) if cl else None,
                    "p99": round(1000 * pct(cl, 99), 1) if cl else None,
                },
                "orders_db_before": orders_before,
                "orders_db_after": orders_after,
                "orders_db_delta": None if orders_before is None else orders_after - orders_before,
                "orders_match": None
                if orders_before is None
                else (orders_after - orders_before) == state["completed_total"],
                "sample_order": state["sample_order"][:1],
            }
        )
    return result


def summary_line(res):
    p = res["cpu_pct_of_machine"]
    cpu = " ".join(f"{k}={v}" for k, v in p.items())
    if res["mode"] == "ceiling":
        s = res["per_step"][CEILING_STEP]
        return (
            f"ceiling c={res['concurrency']} {res['requests_per_s']} req/s ok={res['ok_requests']} "
            f"fail={res['failed_in_window']} p50/p99={s.get('p50_ms')}/{s.get('p99_ms')} ms cpu%: {cpu}"
        )
    steps = " ".join(f"{k}={v.get('p50_ms')}/{v.get('p99_ms')}" for k, v in res["per_step"].items())
    return (
        f"checkout c={res['concurrency']} {res['checkouts_per_s']} checkouts/s "
        f"(started-in-window {res['checkouts_per_s_started_in_window']}) ok={res['checkouts_completed']} "
        f"fail={res['failed_in_window']} orders(db)={res['orders_db_delta']}/"
        f"{res['checkouts_completed_incl_warmup_and_tail']} match={res['orders_match']} "
        f"e2e p50/p99={res['checkout_e2e_ms']['p50']}/{res['checkout_e2e_ms']['p99']} ms\n"
        f"  steps p50/p99 ms: {steps}\n  cpu%: {cpu}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8633)
    ap.add_argument("--ids", required=True, help="create_merchant --json output (secret/publishable key)")
    ap.add_argument("--ceiling", action="store_true", help="GET /v1/checkout/settings loop instead of checkouts")
    ap.add_argument("-c", "--concurrency", type=int, default=4)
    ap.add_argument("-d", "--duration", type=float, default=30)
    ap.add_argument("-w", "--warmup", type=float, default=5)
    ap.add_argument("--cpu", action="append", help="NAME=PID process tree to account")
    ap.add_argument("--pg-db", help="our database name, to split live PG backends (needs --cpu pg=PID)")
    ap.add_argument("--psql-dsn", help="e.g. postgresql://postgres@127.0.0.1:5432/perf_bench: verify orders")
    ap.add_argument("--max-failures", type=int, default=50)
    ap.add_argument("--out", help="append the JSON result line to this file")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    if args.duration + args.warmup > 600 or args.concurrency > 256:
        ap.error("bounded: warmup + duration <= 600 s, concurrency <= 256")
    res = asyncio.run(main_async(args))
    res["label"] = args.label
    res["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    line = json.dumps(res)
    print(line)
    print(summary_line(res), file=sys.stderr)
    if args.out:
        with open(args.out, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
