"""How a worker lives through a Redis outage: it waits, and loses nothing.

Every Redis call of a worker — the shared budgets (asyncio), and the frontier's queueing, taking, leases and
dupefilter (the scheduler, synchronous) — meets an outage (``redis.ConnectionError``, ``TimeoutError``,
``BusyLoadingError`` while Redis loads its data, …) the same way:

- a budget call (a request about to be sent, or an answer being accounted) waits and tries again with backoff
  (0.1 s doubling to 2 s): the request is not failed, only held;
- the scheduler never blocks the reactor on Redis: a request queued during the outage (and the lease releases
  that follow it) waits in this worker's outbox, sent in order when Redis is back, so a lease is never released
  in Redis before the requests its callback queued; taking new requests pauses; the crawl does not end while
  Redis cannot say whether work is left;
- leases are not renewed while Redis is away, and the worker renews them again only once Redis answers;
- one WARNING when Redis goes away and one INFO when it is back (not one line per call); stats
  ``pixiv/redis/outages`` and ``pixiv/redis/outage_seconds``.

An outage longer than ``PIXIV_REDIS_OUTAGE_MAX`` seconds (default 300) stops the worker with one ERROR line and
finish reason ``frontier_lost``: the requests it held go back to the other workers when their leases expire.
A SIGTERM or Ctrl-C during an outage stops the worker at once (waiting requests are given up, not failed: their
leases are kept, so they are taken again).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from .connection import redis_url
from .frontier import Frontier, FrontierLost, FrontierSize

logger = logging.getLogger(__name__)

@cache
def outage_errors() -> tuple[type[Exception], ...]:
    """The errors that mean "Redis is not answering now", not "this call is wrong" (redis-py is imported here, on
    first use: a crawl without Redis never loads it)."""
    import redis

    return (
        redis.exceptions.ConnectionError,  # BusyLoadingError (Redis loading its dump) is one
        redis.exceptions.TimeoutError,
        redis.exceptions.TryAgainError,
        redis.exceptions.ReadOnlyError,  # a replica during a failover
        redis.exceptions.MasterDownError,
    )


FINISH_REASON = "frontier_lost"
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 2.0

_T = TypeVar("_T")


class RedisUnavailable(IgnoreRequest):
    """A request that waited for Redis is given up because the worker is stopping (the outage lasted longer
    than ``PIXIV_REDIS_OUTAGE_MAX``, or a shutdown): its lease is kept, so the request is taken again."""


class RedisOutage:
    """Whether this worker's Redis is answering: a Scrapy extension (``EXTENSIONS`` in pixivcrawl.settings, off
    without ``PIXIV_REDIS_URL``), shared by the scheduler and the shared budgets, which find it with
    :func:`outage_of`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_seconds = crawler.settings.getfloat("PIXIV_REDIS_OUTAGE_MAX", 300.0)
        if self.max_seconds <= 0:
            raise ValueError(f"PIXIV_REDIS_OUTAGE_MAX must be a number of seconds above 0, not {self.max_seconds}")
        self.since: float | None = None  # monotonic time of the first failure of the current outage
        self.gave_up = False
        self._closing: asyncio.Task | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisOutage:
        if not redis_url(crawler.settings):
            raise NotConfigured  # not a distributed crawl: off without a warning
        return cls(crawler)

    @property
    def down(self) -> bool:
        return self.since is not None

    @property
    def stopping(self) -> bool:
        """The worker gave up on Redis, or is shutting down: nothing should wait for Redis any more."""
        return self.gave_up or not getattr(self.crawler, "crawling", True)

    def failed(self, exc: BaseException) -> None:
        """A Redis call failed with one of outage_errors()."""
        now = time.monotonic()
        if self.since is None:
            self.since = now
            self.stats.inc_value("pixiv/redis/outages")
            logger.warning("Redis at PIXIV_REDIS_URL is not answering (%s: %s); requests, leases and budgets wait "
                           "for it, at most PIXIV_REDIS_OUTAGE_MAX=%g s.", type(exc).__name__, exc, self.max_seconds)
        elif now - self.since >= self.max_seconds and not self.gave_up:
            self._give_up(now - self.since)

    def succeeded(self, started: float | None = None) -> None:
        """A Redis call succeeded: an outage, if there was one, is over — unless the call was sent before the
        outage began (``started``, monotonic: an answer already on its way when Redis went away)."""
        if self.since is None or (started is not None and started < self.since):
            return
        seconds = time.monotonic() - self.since
        self.since = None
        self.stats.inc_value("pixiv/redis/outage_seconds", round(seconds, 3))
        logger.info("Redis is answering again after %.1f s; the crawl goes on.", seconds)

    def _give_up(self, seconds: float) -> None:
        self.gave_up = True
        self.stats.inc_value("pixiv/redis/outage_seconds", round(seconds, 3))
        logger.error("Stopping: Redis at PIXIV_REDIS_URL has not answered for %.0f s (PIXIV_REDIS_OUTAGE_MAX=%g); "
                     "the requests this worker holds go to the other workers when their leases expire.",
                     seconds, self.max_seconds)
        self.stop()

    def lost(self, name: str) -> None:
        """The frontier this worker joined vanished (Redis restarted empty): stop, never as ``finished``."""
        if self.gave_up:
            return
        self.gave_up = True
        logger.error("Stopping: the frontier %r vanished from Redis (restarted without its data?); this run cannot "
                     "tell what is left to crawl — start the job again to crawl it afresh.", name)
        self.stop()

    def stop(self) -> None:
        engine = getattr(self.crawler, "engine", None)
        if engine is None or self._closing is not None:
            return
        self._closing = asyncio.get_running_loop().create_task(engine.close_spider_async(reason=FINISH_REASON))

    async def call(self, fn: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
        """``await fn(*args, **kwargs)``, waiting out an outage: tries again with backoff until Redis answers.
        Raises RedisUnavailable once the worker stops (PIXIV_REDIS_OUTAGE_MAX, shutdown)."""
        backoff = BACKOFF_FIRST
        while True:
            started = time.monotonic()
            try:
                result = await fn(*args, **kwargs)
            except outage_errors() as exc:
                self.failed(exc)
                if self.stopping:
                    raise RedisUnavailable(f"Redis is not answering ({type(exc).__name__})") from None
                await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
                backoff = min(BACKOFF_MAX, backoff * 2)
                continue
            self.succeeded(started)
            return result


def outage_of(crawler: Crawler) -> RedisOutage:
    """The crawler's RedisOutage extension (``crawler.get_extension``). Raises RuntimeError naming the setting
    when it is not enabled (a distributed crawl needs it)."""
    outage = crawler.get_extension(RedisOutage)
    if outage is None:
        raise RuntimeError("a distributed crawl needs pixivcrawl.distributed.outage.RedisOutage in EXTENSIONS")
    return outage


class BufferedFrontier:
    """The frontier as the scheduler uses it: never raises an outage error and never blocks on a Redis that is
    known to be away.

    Writes (queueing a request, releasing leases) go through an outbox, sent in order: during an outage they
    wait there and :meth:`probe` (the scheduler's tick) sends them when Redis is back. A lease released after
    the requests its callback queued is therefore released in Redis after them, whatever Redis did meanwhile;
    if the worker dies with a full outbox, the lease was not released either and the request is done again.
    """

    def __init__(self, frontier: Frontier, outage: RedisOutage) -> None:
        self.frontier = frontier
        self.outage = outage
        self.outbox: deque[Callable[[], None]] = deque()

    @property
    def name(self) -> str:
        return self.frontier.name

    @property
    def pending(self) -> int:
        return len(self.outbox)

    def _call(self, fn: Callable[..., _T], *args: Any, default: _T) -> _T:
        """``fn(*args)`` now, or ``default`` when Redis is away (the outage is noted) or the frontier is lost."""
        if self.outage.down:  # the tick's probe finds out when Redis is back
            return default
        try:
            result = fn(*args)
        except outage_errors() as exc:
            self.outage.failed(exc)
            return default
        except FrontierLost:
            self._lost_unless_finished()
            return default
        self.outage.succeeded()
        return result

    def _lost_unless_finished(self) -> None:
        """The run id is not the frontier's any more: the run finished (the last worker out removed the frontier:
        nothing is left to do), or the frontier vanished (stop)."""
        try:
            status = self.frontier.status()
        except outage_errors() as exc:
            self.outage.failed(exc)
            return
        if status != "finished":
            self.outage.lost(self.frontier.name)

    def flush(self) -> bool:
        """Send what the outbox holds, in order; False when some is left (Redis is away)."""
        while self.outbox and not self.outage.down and not self.outage.gave_up:
            try:
                self.outbox[0]()
            except outage_errors() as exc:
                self.outage.failed(exc)
                return False
            except FrontierLost:
                self.outbox.clear()
                self._lost_unless_finished()
                return False
            self.outbox.popleft()
            self.outage.succeeded()
        return not self.outbox

    def probe(self) -> bool:
        """Ask Redis whether it is back (during an outage), then send the outbox; returns whether Redis
        answers and the outbox is empty. Checks the outage's length too (PIXIV_REDIS_OUTAGE_MAX)."""
        if self.outage.gave_up:
            return False
        if self.outage.down:
            try:
                self.frontier.client.ping()
            except outage_errors() as exc:
                self.outage.failed(exc)
                return False
            self.outage.succeeded()
        return self.flush()

    # -- writes: in order, through the outbox ---------------------------------------------------------

    def push(self, payload: bytes, priority: int, fingerprint: str | None,
             queued: Callable[[str | None], None]) -> bool:
        """Queue a request; ``queued(lease or None if a duplicate)`` is called when Redis took it. Returns
        whether that happened now (False: it waits in the outbox)."""
        def send() -> None:
            try:
                lease = self.frontier.push(payload, priority, fingerprint)
            except FrontierLost:
                if self.frontier.status() != "finished":
                    raise
                lease = None  # the run finished meanwhile: the request was one of its own, done already
            queued(lease)

        self.outbox.append(send)
        return self.flush()

    def release(self, *leases: str) -> None:
        if leases:
            self.outbox.append(lambda: self.frontier.release(*leases))
            self.flush()

    def give_back(self, leases: list[str]) -> int:
        """The worker stops: send the outbox, then put its unfinished requests back in the queue. With Redis
        away they come back when their leases expire."""
        if not self.flush():
            return 0
        return self._call(self.frontier.give_back, leases, default=0)

    # -- reads and lease upkeep: skipped while Redis is away --------------------------------------------

    def take(self) -> tuple[str, bytes] | None:
        if self.outbox:  # keep the order of this worker's writes: queue what waits before taking more
            self.flush()
        return self._call(self.frontier.take, default=None)

    def renew(self, leases: list[str]) -> int:
        return self._call(self.frontier.renew, leases, default=0)

    def requeue_expired(self) -> int:
        return self._call(self.frontier.requeue_expired, default=0)

    def queued(self) -> int | None:
        """Requests in the queue; None when Redis cannot say."""
        return self._call(self.frontier.queued, default=None)

    def size(self) -> FrontierSize | None:
        return self._call(self.frontier.size, default=None)

    def status(self) -> str | None:
        """Frontier.status, or None when Redis cannot say."""
        return self._call(self.frontier.status, default=None)

    def delete_if_finished(self) -> bool:
        return self._call(self.frontier.delete_if_finished, default=False)
