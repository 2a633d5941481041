"""A Scrapy scheduler whose queue, dupefilter and in-flight requests live in Redis, shared by every worker of
a crawl (``SCHEDULER`` is set to it when ``PIXIV_REDIS_URL`` is set; see pixivcrawl.addon).

Workers of one crawl name the same frontier: ``PIXIV_FRONTIER``, by default the spider's name and a digest
of its arguments, so that ``scrapy crawl search -a word=…`` started on several hosts is one crawl. The first
worker's start requests seed it; the others' are the same requests, which the dupefilter drops.

A worker closes when the whole frontier is done: nothing queued and no lease held by any worker (a dead
worker's leases expire after ``PIXIV_LEASE_SECONDS`` and their requests are taken again). The last worker
out deletes the finished frontier, so a later run of the same job starts afresh; a crawl stopped before the
end (Ctrl-C, a kill) leaves its frontier, and the next run of the same job continues it.

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
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.request import request_from_dict

from .connection import key_prefix, redis_url, worker_name
from .frontier import Frontier
from .leases import TRACKERS, LeaseTracker

logger = logging.getLogger(__name__)

STORE_PIPELINE = "pixivcrawl.pipelines.sql.SQLStoragePipeline"


class RedisScheduler(BaseScheduler):
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.url = redis_url(settings)
        if not self.url:
            raise ValueError("RedisScheduler needs PIXIV_REDIS_URL (redis://host:6379/0)")
        self.lease_seconds = settings.getfloat("PIXIV_LEASE_SECONDS", 60.0)
        self.tick_seconds = min(1.0, self.lease_seconds / 4)
        self.worker = worker_name()
        self.fingerprinter = crawler.request_fingerprinter
        self.frontier: Frontier | None = None
        self.tracker: LeaseTracker | None = None
        self.spider: Spider | None = None
        self._ticker = None
        crawler.signals.connect(self._on_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        return cls(crawler)

    def open(self, spider: Spider) -> None:
        self.spider = spider
        settings = self.crawler.settings
        name = settings.get("PIXIV_FRONTIER") or default_frontier_name(spider)
        client = redis.Redis.from_url(self.url, socket_timeout=30, socket_connect_timeout=10,
                                      health_check_interval=30)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise RuntimeError(f"Cannot reach Redis at PIXIV_REDIS_URL ({type(exc).__name__}); "
                               "start it or correct the URL.") from None
        self.frontier = Frontier(client, key_prefix(settings), name, self.worker, self.lease_seconds)
        stores = settings.getwithbase("ITEM_PIPELINES")
        waits = bool(settings.get("DATABASE_URL")) and any(
            str(path) == STORE_PIPELINE and order is not None for path, order in stores.items())
        self.tracker = TRACKERS[self.crawler] = LeaseTracker(self.crawler, self.frontier, waits)
        size = self.frontier.size()
        logger.info("Worker %s joins frontier %r (%d queued, %d in flight at other workers).",
                    self.worker, name, size.queued, size.leased)
        self.stats.set_value("pixiv/frontier/name", name)
        self._ticker = create_looping_call(self._tick)
        self._ticker.start(self.tick_seconds, now=False)

    def close(self, reason: str) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        if self.frontier is None or self.tracker is None:
            return
        given = self.tracker.give_back()
        if given:
            self.stats.inc_value("pixiv/frontier/given_back", given)
            logger.info("Gave %d unfinished requests back to the frontier.", given)
        if reason == "finished" and self.frontier.delete_if_finished():
            logger.info("Frontier %r is finished and was removed from Redis.", self.frontier.name)
        TRACKERS.pop(self.crawler, None)

    # -- the engine's calls ----------------------------------------------------------------------------

    def has_pending_requests(self) -> bool:
        return self.frontier is not None and self.frontier.queued() > 0

    def enqueue_request(self, request: Request) -> bool:
        assert self.frontier is not None
        assert self.tracker is not None
        replaces = self.tracker.queued(request)
        fingerprint = None if request.dont_filter else self.fingerprinter.fingerprint(request).hex()
        payload = pickle.dumps(request.to_dict(spider=self.spider), protocol=4)
        lease = self.frontier.push(payload, request.priority, fingerprint)
        if replaces is not None:
            self.tracker.replaced(replaces)
        if lease is None:
            self.stats.inc_value("pixiv/frontier/duplicates")
            return False  # the engine sends request_dropped
        self.stats.inc_value("pixiv/frontier/queued")
        return True

    def next_request(self) -> Request | None:
        assert self.frontier is not None
        assert self.tracker is not None
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
        """Renew this worker's leases, take over expired ones, and wake the engine when work is waiting
        (work another worker queued arrives without the engine being told)."""
        assert self.frontier is not None
        assert self.tracker is not None
        try:
            self.frontier.renew(list(self.tracker.held))
            requeued = self.frontier.requeue_expired()
            if requeued:
                self.stats.inc_value("pixiv/frontier/requeued_expired", requeued)
                logger.warning("Took back %d requests whose worker stopped renewing its leases.", requeued)
            if self.frontier.queued():
                _wake(self.crawler)
        except redis.RedisError as exc:
            logger.warning("Redis is not answering (%s); retrying in %.1f s.", type(exc).__name__,
                           self.tick_seconds)

    def _on_idle(self, spider: Spider) -> None:
        """This worker is idle; the crawl is not over while any worker holds a lease or the queue has work."""
        if self.frontier is None:
            return
        size = self.frontier.size()
        if not size.empty:
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
