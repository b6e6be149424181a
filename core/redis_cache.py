"""Django's Redis cache, keeping one client per connection pool.

Django's client builds a new `redis.Redis` for every cache call, and each one rebuilds the
library's table of response callbacks: on the request path (API keys, rate limits, the
process caches' version reads) that cost more CPU than the Redis round trip itself. A
`redis.Redis` is safe to share between threads; the pools were already shared.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property


class _SharedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self):
        return _SharedClient(self._servers, **self._options)
