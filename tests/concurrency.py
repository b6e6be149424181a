"""Real concurrency for tests: threads released together against PostgreSQL."""

import threading

from django.db import connection


def run_together(count, work, *, timeout=60):
    """Runs work(i) in `count` threads released at once; returns their results (or the
    exception each raised) by index. Each thread closes its own database connection."""
    barrier = threading.Barrier(count, timeout=timeout)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # reported by the caller's assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in time"
    return results
