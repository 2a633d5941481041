"""``PIXIV_MIRROR``: send every request for a pixiv host to a replica origin instead.

The rewrite happens in the download handler, below every middleware: the scheduler, the dupefilter,
download slots, logs, items and the database all keep pixiv's real URLs; only the bytes on the wire go to
the mirror, with the original host name in ``X-Forwarded-Host``.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from .middlewares.auth import PixivAuthMiddleware
from .middlewares.throttle import PixivThrottleMiddleware
from .protocol import PIXIV_HOSTS


def parse_mirror(origin: str) -> tuple[str, str]:
    """Validate a mirror origin (``http://host:port``) and return (scheme, netloc)."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") or parts.query:
        raise ValueError(f"PIXIV_MIRROR must be an origin like http://127.0.0.1:8321, not {origin!r}")
    return parts.scheme, parts.netloc


def mirrored_url(url: str, scheme: str, netloc: str, hosts: frozenset[str] = PIXIV_HOSTS) -> str | None:
    """The URL to fetch instead of ``url``, or None when ``url`` is not on one of ``hosts``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in hosts:
        return None
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


_M = TypeVar("_M")


class MirrorDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler: waits for each request's budget, puts the current credentials on it, and
    redirects pixiv hosts to ``PIXIV_MIRROR`` when it is set."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.crawler = crawler
        self._components: dict[type, Any] = {}
        origin = crawler.settings.get("PIXIV_MIRROR") or ""
        self._mirror = parse_mirror(origin) if origin else None
        if self._mirror is not None:
            # every pixiv host is one host:port here: keep as many idle connections as requests may be in
            # flight, or connections beyond CONCURRENT_REQUESTS_PER_DOMAIN are opened and closed per request
            self._pool.maxPersistentPerHost = max(self._pool.maxPersistentPerHost,
                                                  crawler.settings.getint("CONCURRENT_REQUESTS"))

    def _component(self, cls: type[_M]) -> _M | None:
        """The crawl's downloader middleware of class ``cls`` (None when it is switched off, or outside a
        crawl)."""
        if cls not in self._components:
            try:
                self._components[cls] = self.crawler.get_downloader_middleware(cls)
            except RuntimeError:  # no engine yet: a handler used outside a crawl has no budgets or credentials
                return None
        return self._components[cls]

    async def download_request(self, request: Request) -> Response:
        throttle = self._component(PixivThrottleMiddleware)
        if throttle is not None:
            await throttle.wait_for_budget(request)
        auth = self._component(PixivAuthMiddleware)
        if auth is not None:  # the token current now, not the one current when the request entered its slot
            await auth.authorize(request)
        sent = time.monotonic()
        response = await self._download(request)
        if throttle is not None:
            await throttle.answered(request, response, time.monotonic() - sent)
        return response

    async def _download(self, request: Request) -> Response:
        """Scrapy's download, sent to the mirror when it is set and the host is pixiv's."""
        target = mirrored_url(request.url, *self._mirror) if self._mirror is not None else None
        if target is None:
            return await super().download_request(request)
        headers = request.headers.copy()
        headers["X-Forwarded-Host"] = urlparse_cached(request).hostname
        response = await super().download_request(request.replace(url=target, headers=headers))
        return response.replace(url=request.url)
