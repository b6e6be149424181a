"""Per-process caches of what rarely changes (API keys, rate and tax tables), kept
correct by versions in the shared cache.

Each entry remembers the version of its scope it was loaded under; every read compares
that with the scope's current version (one shared-cache GET, no SQL) and reloads on a
difference. A change bumps its scope's version after its transaction commits, so no
process serves the old value once the change has committed. The version is
read *before* loading, so a change racing the load leaves the entry already outdated.
Changes through save() and delete() bump it by signal; a queryset update() of a cached
model bumps it through the model's manager (InvalidatingQuerySet). A raw SQL write or a
change made while the shared cache is down is what MAX_AGE_SECONDS is for.

A version is a random token, never a counter: an evicted or flushed version key comes
back as a new token, which outdates every entry instead of resurrecting an old number.
With a process-local shared cache (locmem, the embedded `make run` stack) versions
cannot reach the other processes, so caching is off and every read goes to the database.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import models, transaction

logger = logging.getLogger(__name__)

# Bounded: past this many entries the process starts over rather than grow without end.
MAX_ENTRIES = 20_000
VERSION_TIMEOUT_SECONDS = 7 * 24 * 3600
# A safety net, not the mechanism: were a version bump ever lost (the shared cache down at
# that moment), no entry outlives this.
MAX_AGE_SECONDS = 60

_entries: dict[tuple, tuple[str, float, object]] = {}
_lock = threading.Lock()


def enabled() -> bool:
    return settings.PROCESS_CACHE_ENABLED and not isinstance(caches["default"], LocMemCache)


def _version_key(scope: str) -> str:
    return f"pcv:{scope}"


def scope_version(scope: str) -> str:
    key = _version_key(scope)
    version = cache.get(key)
    if version is None:
        cache.add(key, secrets.token_hex(8), VERSION_TIMEOUT_SECONDS)
        version = cache.get(key)
    return version


def _bump_now(scope: str) -> None:
    try:
        cache.set(_version_key(scope), secrets.token_hex(8), VERSION_TIMEOUT_SECONDS)
    except Exception:
        logger.exception("Cache version of %s not bumped; entries expire within %s s.", scope, MAX_AGE_SECONDS)


def scope_invalidate(scope: str) -> None:
    """Outdates every process's entries of `scope` now, so this transaction reads its own
    change, and again once it commits, since another process may have reloaded the
    still-committed old value in between."""
    if not enabled():
        return
    _bump_now(scope)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump_now(scope), robust=True)


def cached(namespace: str, key, *, scope: str, load):
    """`load()`'s answer, from this process's memory while `scope` has not changed."""
    if not enabled():
        return load()
    try:
        version = scope_version(scope)
    except Exception:
        # The shared cache is down: the database still answers, only slower.
        logger.warning("Shared cache unavailable; %s read from the database.", namespace, exc_info=True)
        return load()
    now = time.monotonic()
    entry = _entries.get((namespace, key))
    if entry is not None and entry[0] == version and now - entry[1] < MAX_AGE_SECONDS:
        return entry[2]
    value = load()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[(namespace, key)] = (version, now, value)
    return value


def clear() -> None:
    """Forgets this process's entries (versions stay as they are)."""
    with _lock:
        _entries.clear()


@dataclass(frozen=True)
class _UpdateScopes:
    fields: tuple[str, ...]
    scopes: Callable[[dict], Iterable[str]]
    ignore: frozenset


_update_scopes: dict[type, _UpdateScopes] = {}


def invalidate_on_update(model, *, fields, scopes, ignore=()) -> None:
    """Makes a queryset update() of `model` (InvalidatingQuerySet) outdate what it changed:
    post_save does not fire for it. `scopes(row)` names the scopes of a row given its
    `fields`; an update of only `ignore` fields (bookkeeping nobody caches) outdates nothing."""
    _update_scopes[model] = _UpdateScopes(tuple(fields), scopes, frozenset(ignore))


class InvalidatingQuerySet(models.QuerySet):
    """The manager of a cached model: an update() that bypasses save() and its signals
    still outdates every process's copy of the rows it touched, at the cost of one read
    of their scope fields first (a change may move a row to another scope: both go)."""

    def update(self, **kwargs):
        spec = _update_scopes.get(self.model)
        if spec is None or not enabled() or set(kwargs) <= spec.ignore:
            return super().update(**kwargs)
        touched = list(self.values(*spec.fields).distinct())
        count = super().update(**kwargs)
        moved = {name: kwargs[name] for name in spec.fields if name in kwargs}
        for row in touched:
            for scope in {*spec.scopes(row), *(spec.scopes({**row, **moved}) if moved else ())}:
                scope_invalidate(scope)
        return count
