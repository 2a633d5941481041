"""When this worker has finished with a request it took from the shared frontier.

A request's lease is released only once nothing would be lost if the worker died right after:

- its callback (or errback) has run to the end, so the requests it produced are in the shared queue;
- every item it produced has been stored (the SQL pipeline reports each write with the ``items_stored``
  signal), dropped by a pipeline, or failed in one;
- a request replaced by a new one on its way (retry, redirect, token replay, rate-limit wait) is released
  when the replacement is queued;
- a request given up because the worker stops while Redis is away (RedisUnavailable) is not released: it is
  taken again after its lease expires.

A worker that dies holds its leases until they expire; then another worker takes the requests again, and
the upserts make the second write of an item harmless. Item pipelines must return the item object they
were given (pixivcrawl's do), since items are followed by identity.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itemadapter import is_item
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from pixivcrawl.signals import items_stored

from .connection import redis_url
from .outage import BufferedFrontier, RedisUnavailable

logger = logging.getLogger(__name__)

LEASE_META = "pixiv_lease"


@dataclass
class _Lease:
    stage: str = "download"  # download -> scrape -> done
    pending_items: int = 0


class LeaseTracker:
    def __init__(self, crawler: Crawler, frontier: BufferedFrontier, items_wait_for_store: bool) -> None:
        self.frontier = frontier
        self.stats = crawler.stats
        self.held: dict[str, _Lease] = {}
        self._item_lease: dict[int, str] = {}
        crawler.signals.connect(self._item_done, signal=items_stored)
        crawler.signals.connect(self._item_done_signal, signal=signals.item_dropped)
        crawler.signals.connect(self._item_done_signal, signal=signals.item_error)
        if not items_wait_for_store:
            crawler.signals.connect(self._item_done_signal, signal=signals.item_scraped)

    # -- the scheduler's side --------------------------------------------------------------------------

    def taken(self, lease: str, request: Request) -> None:
        self.held[lease] = _Lease()
        request.meta[LEASE_META] = lease
        request.errback = _errback_that_reports(self, lease, request.errback)

    def queued(self, request: Request) -> str | None:
        """A request is being queued: clean it of this worker's lease bookkeeping; returns the lease it
        replaces, if it is a new attempt at a leased request that never reached its callback."""
        if getattr(request.errback, "pixiv_lease", None) is not None:
            request.errback = request.errback.wrapped
        lease = request.meta.pop(LEASE_META, None)
        state = self.held.get(lease) if lease is not None else None
        return lease if state is not None and state.stage == "download" else None

    def replaced(self, lease: str) -> None:
        """The request of ``lease`` was queued again as a new request: the old one is done."""
        self.held.pop(lease, None)
        self.frontier.release(lease)
        self.stats.inc_value("pixiv/frontier/replaced")

    def give_back(self) -> int:
        """The worker stops: requests it has not finished go back to the queue for other workers."""
        leases, self.held = list(self.held), {}
        self._item_lease.clear()
        return self.frontier.give_back(leases)

    # -- the request's way through the worker ----------------------------------------------------------

    def scraping(self, request: Request) -> None:
        lease = request.meta.get(LEASE_META)
        state = self.held.get(lease) if lease is not None else None
        if state is not None and state.stage == "download":
            state.stage = "scrape"

    def produced_item(self, lease: str, item: Any) -> None:
        state = self.held.get(lease)
        if state is not None:
            state.pending_items += 1
            self._item_lease[id(item)] = lease

    def finished(self, lease: str) -> None:
        state = self.held.get(lease)
        if state is not None:
            state.stage = "done"
            self._release_if_done(lease, state)

    def failed(self, lease: str) -> None:
        """The download failed for good: its errback runs now (its output is not followed)."""
        state = self.held.get(lease)
        if state is not None and state.stage == "download":
            self.finished(lease)

    def _item_done_signal(self, item: Any, **_: Any) -> None:
        self._item_done([item])

    def _item_done(self, items: list[Any], **_: Any) -> None:
        for item in items:
            lease = self._item_lease.pop(id(item), None)
            state = self.held.get(lease) if lease is not None else None
            if state is not None:
                state.pending_items -= 1
                self._release_if_done(lease, state)

    def _release_if_done(self, lease: str, state: _Lease) -> None:
        if state.stage == "done" and state.pending_items <= 0:
            del self.held[lease]
            self.frontier.release(lease)
            self.stats.inc_value("pixiv/frontier/done")


def _errback_that_reports(tracker: LeaseTracker, lease: str, errback: Callable | None) -> Callable:
    def errback_reporting_lease(failure):
        if failure.check(RedisUnavailable):
            return None  # given up because the worker stops while Redis is away: neither done nor failed, and its
            # lease is kept, so the request is taken again (given back, or when the lease expires)
        tracker.failed(lease)
        return failure if errback is None else errback(failure)

    errback_reporting_lease.pixiv_lease = lease
    errback_reporting_lease.wrapped = errback
    return errback_reporting_lease


class LeaseSpiderMiddleware:
    """Follows each leased request through its callback: the items it yields, and its end.

    It owns the crawl's :class:`LeaseTracker`, which the Redis scheduler (pixivcrawl.distributed.scheduler) starts
    with :meth:`track` once it has joined its frontier — finding this middleware through the crawler
    (``crawler.get_spider_middleware``) — and stops with :meth:`untrack` when it closes."""

    def __init__(self, crawler: Crawler) -> None:
        if not redis_url(crawler.settings):
            raise NotConfigured("PIXIV_REDIS_URL is not set")
        self.crawler = crawler
        #: the leases this worker holds, while the scheduler is joined to its frontier (None before and after)
        self.tracker: LeaseTracker | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def track(self, frontier: BufferedFrontier, items_wait_for_store: bool) -> LeaseTracker:
        """Start following the leases of requests taken from ``frontier``; ``items_wait_for_store``: a request's
        items are done once stored (the SQL pipeline's ``items_stored``), else once scraped."""
        self.tracker = LeaseTracker(self.crawler, frontier, items_wait_for_store)
        return self.tracker

    def untrack(self) -> None:
        """The scheduler left its frontier: nothing more is followed."""
        self.tracker = None

    def process_spider_input(self, response: Response) -> None:
        tracker = self.tracker
        if tracker is not None and response.request is not None:
            tracker.scraping(response.request)

    async def process_spider_output(self, response: Response, result):
        tracker = self.tracker
        lease = response.request.meta.get(LEASE_META) if tracker is not None and response.request else None
        if lease is None or lease not in tracker.held:
            async for output in result:
                yield output
            return
        try:
            async for output in result:
                if is_item(output):
                    tracker.produced_item(lease, output)
                yield output
        finally:
            tracker.finished(lease)

    def process_spider_exception(self, response: Response, exception: BaseException) -> None:
        tracker = self.tracker
        if tracker is not None and response.request is not None:
            lease = response.request.meta.get(LEASE_META)
            if lease is not None:
                tracker.finished(lease)
