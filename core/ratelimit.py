"""Counting requests in fixed windows on the shared cache (Redis in production), atomically.

A fixed window lets a client through at most twice its limit across a window boundary;
that is the price of one atomic INCR per check, which concurrent requests cannot race
past (a read-then-write history, like DRF's SimpleRateThrottle, can).
"""

import math
import time

from django.core.cache import cache

MAX_TRIES = 3


def rate_limit_hit(*, key: str, limit: int, window_seconds: int) -> int | None:
    """Counts one request against `key`; returns None while within `limit` per window,
    else the whole seconds until the window ends (for Retry-After)."""
    now = time.time()
    window = int(now // window_seconds)
    cache_key = f"ratelimit:{key}:{window}"
    count = None
    for _ in range(MAX_TRIES):
        cache.add(cache_key, 0, timeout=window_seconds + 1)
        try:
            count = cache.incr(cache_key)
            break
        except ValueError:
            continue  # expired between add and incr: start the window again
    if count is None or count <= limit:
        return None
    return max(1, math.ceil((window + 1) * window_seconds - now))


def rate_limit_reached(*, key: str, limit: int, window_seconds: int) -> int | None:
    """Whether `key` was already counted `limit` times in this window, counting nothing:
    the seconds until the window ends when it was, else None. For limits on failures,
    which are counted (rate_limit_hit) only once they have happened."""
    now = time.time()
    window = int(now // window_seconds)
    if (cache.get(f"ratelimit:{key}:{window}") or 0) < limit:
        return None
    return max(1, math.ceil((window + 1) * window_seconds - now))
