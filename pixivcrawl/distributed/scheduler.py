"""A Scrapy scheduler whose queue, dupefilter and in-flight requests live in Redis, shared by every worker of
a crawl (``SCHEDULER`` is set to it when ``PIXIV_REDIS_URL`` is set; see pixivcrawl.addon).

Workers of one crawl name the same frontier: ``PIXIV_REDIS_FRONTIER``, by default the spider's name and a digest
of its arguments, so that ``scrapy crawl search -a word=…`` started on several hosts is one crawl. The first
worker's start requests seed it; the others' are the same requests, which the dupefilter drops.

A worker closes when the whole frontier is done: nothing queued and no lease held by any worker (a dead
worker's leases expire after ``PIXIV_REDIS_LEASE_SECONDS`` and their requests are taken again). The last worker
out deletes the finished frontier, so a later run of the same job starts afresh; a crawl stopped before the
end (Ctrl-C, a kill) leaves its frontier, and the next run of the same job continues it.

Redis going away does not end the crawl nor lose a request (pixivcrawl.distributed.outage): the worker waits,
and stops with finish reason ``frontier_lost`` after ``PIXIV_REDIS_OUTAGE_MAX`` seconds, or at once when the
frontier it joined vanished (Redis restarted empty: the run id stored with the frontier is gone).

Stats: ``pixiv/frontier/queued``, ``…/duplicates``, ``…/taken``, ``…/done``, ``…/replaced``,
``…/requeued_expired`` (taken over from dead workers), ``…/given_back``.
"""

from __future__ import annotations

import hashlib
import logging
import pickle

import redis
from scrapy import Request, Spider, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.request import request_from_dict

from pixivcrawl.pipelines.sql import SQLStoragePipeline

from .connection import key_prefix, redis_url, sync_client, worker_name
from .frontier import Frontier
from .leases import LeaseSpiderMiddleware, LeaseTracker
from .outage import BufferedFrontier, outage_of

logger = logging.getLogger(__name__)


class RedisScheduler(BaseScheduler):
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.url = redis_url(settings)
        if not self.url:
            raise ValueError("RedisScheduler needs PIXIV_REDIS_URL (redis://host:6379/0)")
        self.lease_seconds = settings.getfloat("PIXIV_REDIS_LEASE_SECONDS", 60.0)
        self.tick_seconds = min(1.0, self.lease_seconds / 4)
        self.worker = worker_name()
        self.fingerprinter = crawler.request_fingerprinter
        self.outage = outage_of(crawler)
        # built with the engine, before the scheduler (which the engine makes when the spider opens)
        leases = crawler.get_spider_middleware(LeaseSpiderMiddleware)
        if leases is None:
            raise ValueError("RedisScheduler needs pixivcrawl.distributed.leases.LeaseSpiderMiddleware in "
                             "SPIDER_MIDDLEWARES (pixivcrawl.addon enables it with PIXIV_REDIS_URL)")
        self.leases = leases
        self.frontier: BufferedFrontier | None = None
        self.tracker: LeaseTracker | None = None
        self.spider: Spider | None = None
        self._ticker = None
        #: the sentence saying why the worker could not join its frontier (Redis unreachable at start)
        self.refused: str | None = None
        crawler.signals.connect(self._on_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        return cls(crawler)

    def open(self, spider: Spider) -> None:
        self.spider = spider
        settings = self.crawler.settings
        name = settings.get("PIXIV_REDIS_FRONTIER") or default_frontier_name(spider)
        client = sync_client(self.url)
        try:
            client.ping()
        except redis.RedisError as exc:
            # a configuration error at start: one sentence and finish reason start_failed once the spider is
            # open (the engine opens the scheduler first); nothing is queued or taken meanwhile
            self.refused = (f"Cannot reach Redis at PIXIV_REDIS_URL ({type(exc).__name__}: {exc}); start it or "
                            "correct the URL.")
            self.crawler.signals.connect(self._close_refused, signal=signals.spider_opened)
            return
        frontier = Frontier(client, key_prefix(settings), name, self.worker, self.lease_seconds)
        size = frontier.size()
        run = frontier.join()
        self.frontier = BufferedFrontier(frontier, self.outage)
        # with the SQL pipeline on, a request's items are done once written (its ``items_stored`` signal)
        waits = self.crawler.get_item_pipeline(SQLStoragePipeline) is not None
        self.tracker = self.leases.track(self.frontier, waits)
        logger.info("Worker %s joins frontier %r, run %s (%d queued, %d in flight at other workers).",
                    self.worker, name, run[:8], size.queued, size.leased)
        self.stats.set_value("pixiv/frontier/name", name)
        self._ticker = create_looping_call(self._tick)
        self._ticker.start(self.tick_seconds, now=False)

    def _close_refused(self) -> None:
        logger.error("%s", self.refused)
        self.stats.set_value("pixiv/errors/start_failed", self.refused)
        raise CloseSpider("start_failed")

    def close(self, reason: str) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        if self.frontier is None or self.tracker is None:
            return
        given = self.tracker.give_back()
        if given:
            self.stats.inc_value("pixiv/frontier/given_back", given)
            logger.info("Gave %d unfinished requests back to the frontier.", given)
        if self.frontier.pending:
            logger.warning("%d frontier writes could not reach Redis before the worker stopped; the requests whose "
                           "leases they would have released are taken again.", self.frontier.pending)
        if reason == "finished" and self.frontier.delete_if_finished():
            logger.info("Frontier %r is finished and was removed from Redis.", self.frontier.name)
        self.leases.untrack()

    # -- the engine's calls ----------------------------------------------------------------------------

    def has_pending_requests(self) -> bool:
        """Work is queued, or may be: Redis is away, or this worker's own requests wait in its outbox."""
        if self.frontier is None or self.outage.gave_up:
            return False
        if self.frontier.pending:
            return True
        queued = self.frontier.queued()
        return queued is None or queued > 0

    def enqueue_request(self, request: Request) -> bool:
        """Queue ``request`` in the shared frontier; False when the dupefilter drops it. During a Redis outage it
        waits in the outbox and counts as queued (a duplicate found when it is sent is only counted)."""
        if self.frontier is None or self.tracker is None:  # Redis was unreachable at start: the crawl is refused
            return False
        replaces = self.tracker.queued(request)
        fingerprint = None if request.dont_filter else self.fingerprinter.fingerprint(request).hex()
        payload = pickle.dumps(request.to_dict(spider=self.spider), protocol=4)
        outcome: list[str | None] = []

        def queued(lease: str | None) -> None:
            outcome.append(lease)
            self.stats.inc_value("pixiv/frontier/queued" if lease is not None else "pixiv/frontier/duplicates")

        self.frontier.push(payload, request.priority, fingerprint, queued)
        if replaces is not None:
            self.tracker.replaced(replaces)  # released after the push, through the same outbox
        if outcome == [None]:
            return False  # the engine sends request_dropped
        if not outcome:
            self.stats.inc_value("pixiv/redis/deferred_writes")
        return True

    def next_request(self) -> Request | None:
        if self.frontier is None or self.tracker is None or self.outage.gave_up:
            return None
        taken = self.frontier.take()
        if taken is None:
            return None
        lease, payload = taken
        try:
            request = request_from_dict(pickle.loads(payload), spider=self.spider)  # noqa: S301 - written by this crawl's own workers into its Redis
        except Exception as exc:  # a request this worker's code cannot rebuild: drop it, loudly
            logger.error("Dropping a frontier request that cannot be read (%s: %s); is every worker running "
                         "the same pixivcrawl version?", type(exc).__name__, exc)
            self.stats.inc_value("pixiv/frontier/unreadable")
            self.frontier.release(lease)
            return None
        self.tracker.taken(lease, request)
        self.stats.inc_value("pixiv/frontier/taken")
        return request

    # -- keeping the frontier alive --------------------------------------------------------------------

    def _tick(self) -> None:
        """See whether Redis is back (during an outage) and send what waits in the outbox; check that the
        frontier is still there; renew this worker's leases, take over expired ones, and wake the engine when
        work is waiting (work another worker queued arrives without the engine being told). A worker that
        cannot reach Redis renews nothing: once Redis is back, expired leases go to whichever worker asks."""
        assert self.frontier is not None
        assert self.tracker is not None
        was_down = self.outage.down
        if not self.frontier.probe():
            return
        if self.frontier.status() == "lost":
            self.outage.lost(self.frontier.name)
            return
        self.frontier.renew(list(self.tracker.held))
        requeued = self.frontier.requeue_expired()
        if requeued:
            self.stats.inc_value("pixiv/frontier/requeued_expired", requeued)
            logger.warning("Took back %d requests whose worker stopped renewing its leases.", requeued)
        if was_down or not self.tracker.held or self.frontier.queued():
            _wake(self.crawler)  # work to take, or (holding nothing) the crawl may be over: the engine looks now

    def _on_idle(self, spider: Spider) -> None:
        """This worker is idle; the crawl is not over while any worker holds a lease or the queue has work, nor
        while Redis cannot say (an outage), nor when the frontier vanished (the worker stops as
        ``frontier_lost``)."""
        if self.frontier is None:
            return
        if self.outage.gave_up:
            raise DontCloseSpider  # closing already, as frontier_lost
        if not self.frontier.probe():
            raise DontCloseSpider
        status = self.frontier.status()
        if status == "lost":
            self.outage.lost(self.frontier.name)
            raise DontCloseSpider  # closing as frontier_lost, not as finished
        size = self.frontier.size()
        if status is None or size is None or not size.empty:
            raise DontCloseSpider


def default_frontier_name(spider: Spider) -> str:
    """The spider's name and a digest of its arguments, leaving out scrapyd's ``_job`` (each host's job has
    its own id)."""
    arguments = {k: v for k, v in (getattr(spider, "arguments", {}) or {}).items() if not k.startswith("_")}
    text = "&".join(f"{k}={arguments[k]}" for k in sorted(arguments))
    return f"{spider.name}:{hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]}"


def _wake(crawler: Crawler) -> None:
    """Ask the engine to pull from the scheduler now rather than at its next 5-second heartbeat."""
    slot = getattr(crawler.engine, "_slot", None)
    nextcall = getattr(slot, "nextcall", None)
    if nextcall is not None:
        nextcall.schedule()
