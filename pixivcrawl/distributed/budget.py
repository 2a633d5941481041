"""One account's request budget shared by every worker that uses the account, kept in Redis.

The same rules as the per-process budget of pixivcrawl.middlewares.throttle, decided atomically in Redis
on Redis's clock: a request may go when the budget's next free moment has come (a virtual-scheduling
bucket: ``rate`` per second, ``burst`` at once after an idle spell), so the workers together send no
faster than one worker would. A rate limit seen by any worker pauses the budget for all of them, and the rate they
all learn is what pixiv accepted from all of them in the window.

Keys: ``<prefix>:budget:<api>:<account>`` (hash: ``next`` free moment, ``paused`` until, ``learned`` rate)
and ``…:ok`` (the moments of the successes in the last window). ``<account>`` is a digest of the
credential, never the credential.

During a Redis outage every call waits and tries again (``outage``: the crawler's
pixivcrawl.distributed.outage.RedisOutage): a request waiting for its budget waits for Redis too, and is
not failed.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from .outage import RedisOutage

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'next', 'paused', 'learned')
local nxt = tonumber(state[1]) or 0
local paused = tonumber(state[2]) or 0
local rate = tonumber(ARGV[1])
local learned = tonumber(state[3])
if learned and (rate <= 0 or learned < rate) then rate = learned end
if paused > now then return string.format('%.6f', paused - now) end
if rate <= 0 then return '0' end
local interval = 1 / rate
local earliest = nxt - (tonumber(ARGV[2]) - 1) * interval
if earliest > now then return string.format('%.6f', earliest - now) end
redis.call('HSET', KEYS[1], 'next', string.format('%.6f', math.max(nxt, now) + interval))
redis.call('EXPIRE', KEYS[1], 86400)
return '0'
"""

_SUCCEEDED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local window = tonumber(ARGV[1])
local sent = now - tonumber(ARGV[2])
local ok = KEYS[1] .. ':ok'
redis.call('ZADD', ok, sent, redis.call('HINCRBY', KEYS[1], 'seq', 1))
redis.call('ZREMRANGEBYSCORE', ok, '-inf', now - 2 * window)
redis.call('EXPIRE', ok, math.ceil(2 * window) + 2)
return 1
"""

# a limit: learn the rate (unless another worker's limit already paused the budget) and pause it
_LIMITED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'paused', 'learned')
local paused = tonumber(state[1]) or 0
local rate = tonumber(ARGV[1])
local learned = tonumber(state[2])
if learned and (rate <= 0 or learned < rate) then rate = learned end
local window = tonumber(ARGV[3])
if paused <= now then
  local accepted = redis.call('ZCOUNT', KEYS[1] .. ':ok', now - tonumber(ARGV[5]) - window, '+inf')
  redis.call('DEL', KEYS[1] .. ':ok')
  if accepted > 0 then
    local candidate = tonumber(ARGV[4]) * accepted / window
    if rate <= 0 or candidate < rate then rate = candidate end
  elseif rate > 0 then
    rate = rate / 2
  end
  redis.call('HSET', KEYS[1], 'learned', string.format('%.6f', rate))
end
local added = 0
local until_ = now + tonumber(ARGV[2])
if until_ > paused then
  added = until_ - math.max(now, paused)
  redis.call('HSET', KEYS[1], 'paused', string.format('%.6f', until_))
end
redis.call('EXPIRE', KEYS[1], 86400)
return {string.format('%.6f', rate), string.format('%.6f', added)}
"""


class SharedBudget:
    """The interface of throttle.Budget, with its state in Redis."""

    def __init__(self, client: aioredis.Redis, key: str, name: str, rate: float, burst: float,
                 outage: RedisOutage | None = None) -> None:
        self.client = client
        self.outage = outage
        self.key = key
        self.name = name
        self.rate = rate  # configured; the effective rate may be lower once a limit was learned
        self.burst = max(1.0, burst)
        self.consecutive_limits = 0
        self._take = client.register_script(_TAKE)
        self._succeeded = client.register_script(_SUCCEEDED)
        self._limited = client.register_script(_LIMITED)

    async def acquire(self) -> None:
        """Wait until the budget lets a request go now. Nothing is reserved ahead: a worker that stalls
        does not come back with a backlog of reserved moments to spend at once."""
        while True:
            wait = float(await self._call(self._take, keys=[self.key], args=[self.rate, self.burst]))
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def succeeded(self, window: float, age: float = 0.0) -> None:
        """A request sent ``age`` seconds ago was accepted."""
        self.consecutive_limits = 0
        await self._call(self._succeeded, keys=[self.key], args=[window, age])

    async def limited(self, pause: float, window: float, safety: float, age: float = 0.0) -> tuple[float, float]:
        """A rate limit on a request sent ``age`` seconds ago: pause the budget ``pause`` seconds and learn the
        rate from the successes sent in the ``window`` seconds before it; returns (rate, seconds the pause was
        extended by)."""
        rate, added = await self._call(self._limited, keys=[self.key], args=[self.rate, pause, window, safety, age])
        return float(rate), float(added)

    async def _call(self, script, **kwargs):
        """Run ``script``; during an outage, wait until Redis answers (RedisUnavailable once the worker
        stops). Without an ``outage`` the errors are raised as they come."""
        if self.outage is None:
            return await script(**kwargs)
        return await self.outage.call(script, **kwargs)
