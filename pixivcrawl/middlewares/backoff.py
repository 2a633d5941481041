"""Retried requests wait before they go out again.

Scrapy's RetryMiddleware resends a request at once; pixiv's servers and Cloudflare are kinder to a client that
waits. A request retried for the n-th time (``Request.meta["retry_times"]``: 5xx, resets, timeouts, truncated or
non-JSON bodies) waits ``PIXIV_RETRY_BACKOFF`` × 2^(n-1) seconds, ±10% jitter, in ``process_request``, before
the download handler waits for its budget (pixivcrawl.middlewares.throttle). A request still waiting when the
crawl closes (SIGTERM, SIGINT, CloseSpider) is dropped, as one waiting out a rate-limit pause is
(``pixiv/ratelimit/dropped_at_close``, pixivcrawl.middlewares.throttle.wait_unless_closing).

``PIXIV_RETRY_BACKOFF`` 0 switches the wait off (NotConfigured). Stat: ``pixiv/retry/backoff_seconds`` (the
seconds waited, summed).
"""

from __future__ import annotations

import random

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from pixivcrawl.middlewares.throttle import wait_unless_closing


class RetryBackoffMiddleware:
    """Waits before a retried request goes out again (see the module's docstring). Enabled at 545 in
    ``DOWNLOADER_MIDDLEWARES``: after the headers (520), before the auth middleware (950) adds the credentials,
    so the access token is taken after the wait."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.base = crawler.settings.getfloat("PIXIV_RETRY_BACKOFF", 1.0)
        if self.base <= 0:
            raise NotConfigured  # switched off on purpose: no warning

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        """Wait ``PIXIV_RETRY_BACKOFF`` × 2^(n-1) seconds (±10%) when ``request`` is the n-th retry; GivenUp (an
        IgnoreRequest) when the crawl closes meanwhile."""
        attempt = request.meta.get("retry_times", 0)
        if not attempt:
            return
        pause = self.base * 2 ** (attempt - 1) * random.uniform(0.9, 1.1)
        self.crawler.stats.inc_value("pixiv/retry/backoff_seconds", round(pause, 3))
        await wait_unless_closing(self.crawler, pause)
