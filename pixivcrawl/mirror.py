"""``PIXIV_MIRROR``: send every request for a pixiv host to a replica origin instead.

The rewrite happens in the download handler, below every middleware: the scheduler, the dupefilter,
download slots, logs, items and the database all keep pixiv's real URLs; only the bytes on the wire go to
the mirror, with the original host name in ``X-Forwarded-Host``. The request itself is not copied for that: the
Twisted agent below Scrapy's (:class:`_MirrorAgent`) is given the mirror's URL and the extra header, and the
response is built under the request's own URL.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _ScrapyAgent,
    _TunnelingAgent,
    logger as http11_logger,
)
from scrapy.crawler import Crawler
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Response
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.web.http_headers import Headers as TxHeaders

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
        """Scrapy's download, sent to the mirror when it is set and the host is pixiv's: Scrapy's
        HTTP11DownloadHandler.download_request (2.19) with :class:`_MirrorAgent` in place of its agent."""
        target = mirrored_url(request.url, *self._mirror) if self._mirror is not None else None
        if target is None:
            return await super().download_request(request)
        agent = _MirrorAgent(
            target, urlparse_cached(request).hostname or "",
            contextFactory=self._contextFactory, bindAddress=self._bind_address, pool=self._pool,
            maxsize=getattr(self._crawler.spider, "download_maxsize", self._default_maxsize),
            warnsize=getattr(self._crawler.spider, "download_warnsize", self._default_warnsize),
            fail_on_dataloss=self._fail_on_dataloss, crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging)
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                self._fail_on_dataloss_warned = True
                http11_logger.warning(get_dataloss_msg(request.url))
            raise


class _MirrorAgent(_ScrapyAgent):
    """Scrapy's agent, whose Twisted agent sends the bytes to ``wire_url`` with an ``X-Forwarded-Host`` header;
    the response carries the request's own URL: no copy of the request, its headers or the response is made for
    the rewrite."""

    def __init__(self, wire_url: str, forwarded_host: str, **kwargs: Any):
        super().__init__(**kwargs)
        self._wire_url = wire_url.encode("ascii")
        self._forwarded_host = [forwarded_host.encode("ascii")]

    def _get_agent(self, request: Request, timeout: float) -> Any:
        return _ToMirror(super()._get_agent(request, timeout), self._wire_url, self._forwarded_host)


class _ToMirror:
    """A Twisted agent's ``request`` with the mirror's URL in place of pixiv's, and the ``X-Forwarded-Host``
    header added to the headers Scrapy built for the wire."""

    def __init__(self, agent: Any, wire_url: bytes, forwarded_host: list[bytes]):
        self._agent, self._wire_url, self._forwarded_host = agent, wire_url, forwarded_host

    def request(self, method: bytes, uri: bytes, headers: TxHeaders, body: Any = None) -> Deferred:
        headers.setRawHeaders(b"X-Forwarded-Host", self._forwarded_host)
        if isinstance(self._agent, _TunnelingAgent):  # what Scrapy's agent does for its own tunnel
            headers.removeHeader(b"Proxy-Authorization")
        return self._agent.request(method, self._wire_url, headers, body)
