"""One account's request budget shared by every worker that uses the account, kept in Redis.

The same rules as the per-process budget of pixivcrawl.middlewares.throttle, decided atomically in Redis
on Redis's clock: a request may go when the budget's next free moment has come (a virtual-scheduling
bucket: ``rate`` per second, ``burst`` at once after an idle spell), so the workers together send no
faster than one worker would. A rate limit seen by any worker pauses the budget for all of them, and the rate they
all learn is what pixiv accepted from all of them in the window.

A limit answer to a request sent before the current limit event began (by any worker) belongs to that event and
changes nothing; the learned rate has a floor and steps back up after a quiet spell, as in the local budget.

Keys: ``<prefix>:budget:<api>:<account>`` (hash: ``next`` free moment, ``paused`` until, ``learned`` rate,
``event`` when the current limit event began, ``good`` the rate pixiv last accepted, ``changed`` when the rate
last changed) and ``…:ok`` (the moments of the successes in the last two windows). ``<account>`` is a digest of
the credential, never the credential.

During a Redis outage every call waits and tries again (``outage``: the crawler's
pixivcrawl.distributed.outage.RedisOutage): a request waiting for its budget waits for Redis too, and is
not failed.

:func:`shared_budgets` builds the three shared budgets (``app``, ``web``, ``cdn``) when ``PIXIV_REDIS_URL`` is
set; :class:`Limit` is what a budget, shared or not, makes of a rate-limit answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NamedTuple

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from pixivcrawl.credentials import CredentialsError, load_credentials

from .connection import async_client, fingerprint_of, key_prefix, redis_url
from .outage import RedisOutage, outage_of

if TYPE_CHECKING:
    import redis.asyncio as aioredis


class Limit(NamedTuple):
    """What a budget (pixivcrawl.middlewares.throttle.Budget in one process, :class:`SharedBudget` in Redis) made
    of a rate-limit answer: ``rate`` (requests/s now; 0: unlimited), ``added`` (seconds the pause was extended by)
    and ``new_event`` (False: the request was sent before the current limit event's pause began, so the answer
    belongs to that event and changed nothing)."""

    rate: float
    added: float
    new_event: bool


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
local state = redis.call('HMGET', KEYS[1], 'event', 'learned', 'changed', 'paused', 'good', 'step')
local after = '1'
if sent < (tonumber(state[1]) or -1) then after = '0' end
local learned = tonumber(state[2])
local configured = tonumber(ARGV[3])
local step = tonumber(state[6]) or 0
local recovery = tonumber(ARGV[4])
if not learned or learned <= 0 or (configured > 0 and learned >= configured) or step <= 0 or recovery <= 0
   or now - (tonumber(state[3]) or 0) < recovery or now < (tonumber(state[4]) or 0) then
  return {after, ''}
end
local good = math.max(tonumber(state[5]) or 0, learned)
local raised = learned + step
redis.call('HSET', KEYS[1], 'good', string.format('%.6f', good), 'changed', string.format('%.6f', now))
if configured > 0 and raised >= configured then
  redis.call('HDEL', KEYS[1], 'learned')
  raised = configured
else
  redis.call('HSET', KEYS[1], 'learned', string.format('%.6f', raised))
end
return {after, string.format('%.6f', raised)}
"""

# a limit: unless its request was sent before the current event began (any worker's), a new event: learn the
# rate and pause the budget
_LIMITED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'paused', 'learned', 'event', 'good')
local paused = tonumber(state[1]) or 0
local rate = tonumber(ARGV[1])
local learned = tonumber(state[2])
if learned and (rate <= 0 or learned < rate) then rate = learned end
local sent = now - tonumber(ARGV[5])
if sent < (tonumber(state[3]) or -1) then return {string.format('%.6f', rate), '0', '0'} end
local window = tonumber(ARGV[3])
local good = tonumber(state[4]) or 0
local accepted = redis.call('ZCOUNT', KEYS[1] .. ':ok', sent - window, '+inf')
local candidate = rate / 2
if accepted > 0 then
  good = accepted / window
  candidate = tonumber(ARGV[4]) * good
end
if candidate > 0 then
  candidate = math.max(candidate, tonumber(ARGV[6]), good / 2)
  if rate <= 0 or candidate < rate then rate = candidate end
  redis.call('HSET', KEYS[1], 'learned', string.format('%.6f', rate))
end
local base = good
if base <= 0 then base = rate end
redis.call('HSET', KEYS[1], 'event', string.format('%.6f', now), 'changed', string.format('%.6f', now),
           'good', string.format('%.6f', good), 'step', string.format('%.6f', tonumber(ARGV[7]) * base))
local added = 0
local until_ = now + tonumber(ARGV[2])
if until_ > paused then
  added = until_ - math.max(now, paused)
  redis.call('HSET', KEYS[1], 'paused', string.format('%.6f', until_))
end
redis.call('EXPIRE', KEYS[1], 86400)
return {string.format('%.6f', rate), string.format('%.6f', added), '1'}
"""


class SharedBudget:
    """The interface of throttle.Budget, with its state in Redis."""

    def __init__(self, client: aioredis.Redis, key: str, name: str, rate: float, burst: float, *,
                 floor: float = 0.0, increase: float = 0.0, recovery: float = 0.0,
                 outage: RedisOutage | None = None) -> None:
        self.client = client
        self.outage = outage
        self.key = key
        self.name = name
        self.rate = rate  # configured; the effective rate may be lower once a limit was learned
        self.burst = max(1.0, burst)
        self.floor = floor
        self.increase = increase
        self.recovery = recovery
        self.consecutive_limits = 0  # this worker's limit events without a success in between
        self._take = client.register_script(_TAKE)
        self._succeeded = client.register_script(_SUCCEEDED)
        self._limited = client.register_script(_LIMITED)

    async def acquire(self, sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        """Wait until the budget lets a request go now (``sleep``: how to wait, default asyncio.sleep). Nothing
        is reserved ahead: a worker that stalls does not come back with a backlog of reserved moments to spend at
        once."""
        while True:
            wait = float(await self._call(self._take, keys=[self.key], args=[self.rate, self.burst]))
            if wait <= 0:
                return
            await (sleep or asyncio.sleep)(wait)

    async def succeeded(self, window: float, age: float = 0.0) -> float | None:
        """A request sent ``age`` seconds ago was accepted. Returns the new rate when it ended a quiet spell of
        ``recovery`` seconds and the shared rate stepped up, else None."""
        after, raised = await self._call(self._succeeded, keys=[self.key],
                                         args=[window, age, self.rate, self.recovery])
        if _text(after) == "1":
            self.consecutive_limits = 0
        return float(raised) if _text(raised) else None

    async def limited(self, pause: float, window: float, safety: float, age: float = 0.0) -> Limit:
        """A rate limit on a request sent ``age`` seconds ago: unless it was sent before the current limit event
        began, a new event: pause the budget ``pause`` seconds and learn the rate from the successes sent in the
        ``window`` seconds before it (see throttle.Budget.limited)."""
        rate, added, new = await self._call(self._limited, keys=[self.key],
                                            args=[self.rate, pause, window, safety, age, self.floor, self.increase])
        if _text(new) == "1":
            self.consecutive_limits += 1
        return Limit(float(rate), float(added), _text(new) == "1")

    async def _call(self, script, **kwargs):
        """Run ``script``; during an outage, wait until Redis answers (RedisUnavailable once the worker
        stops). Without an ``outage`` the errors are raised as they come."""
        if self.outage is None:
            return await script(**kwargs)
        return await self.outage.call(script, **kwargs)


def shared_budgets(settings: BaseSettings, rates: dict[str, tuple[float, float]], rules: dict[str, float] | None = None,
                   crawler: Crawler | None = None) -> dict[str, SharedBudget] | None:
    """With ``PIXIV_REDIS_URL``: the budgets in Redis, shared by every worker using the same account (the App
    API budget is the refresh token's, the web one the session's, the CDN one the whole crawl's); None without it.

    ``rates`` maps a budget's name to its configured (requests/s, burst); ``rules`` are the keyword arguments
    ``floor``, ``increase`` and ``recovery`` of :class:`SharedBudget`. With ``crawler``, Redis outages are waited
    out (its pixivcrawl.distributed.outage.RedisOutage). Credentials that cannot be loaded name the account
    ``anonymous``: the auth middleware stops the crawl with the reason."""
    url = redis_url(settings)
    if not url:
        return None
    try:
        credentials = load_credentials(settings)
    except CredentialsError:
        credentials = None
    secrets = {"app": credentials and credentials.refresh_token, "web": credentials and credentials.phpsessid}
    client = async_client(url)
    prefix = key_prefix(settings)
    budgets = {}
    for name, (rate, burst) in rates.items():
        secret = secrets.get(name)
        account = fingerprint_of(secret.reveal() if secret else None) if name != "cdn" else "all"
        budgets[name] = SharedBudget(client, f"{prefix}:budget:{name}:{account}", name, rate, burst, **(rules or {}),
                                     outage=outage_of(crawler) if crawler is not None else None)
    return budgets


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
