"""Retries answers that are not what their pixiv endpoint returns — a Cloudflare challenge or another HTML
page, an empty or cut-short body — like a 5xx, whatever their status (200, 403, 503, …); after the last retry
the request is given up with one log line, ``pixiv/errors/blocked``, and a :class:`~pixivcrawl.exceptions.Blocked`
failure for its errback.

What each endpoint returns (:func:`expected_body`: the ``answers`` of the request's endpoint in pixivcrawl.endpoints,
or of its API for a path the catalogue does not list):

- ``json``: the App API (but the novel webview), the web's ``/ajax/`` and ``ranking.php``, and the OAuth token
  endpoint. pixiv's JSON error bodies (the App API's ``{"error": {…}}``, the Ajax ``{"error": true, …}``, the
  token endpoint's ``{"has_error": true, …}``) are JSON: with 400/403/404 they reach the callback as before.
- ``webview``: ``/webview/v2/novel``, an HTML page holding the ``novel: {…}`` object (or a JSON error body); an
  HTML page without that object (a Cloudflare page served with 200) is not it.
- ``media``: the image CDN (``i.pximg.net``, ``s.pximg.net``), image or zip bytes, told by their magic bytes or
  an image/zip Content-Type; its 404 (no such file) is pixiv's answer and passes.

``Request.meta["pixiv_expect_json"]`` overrides the choice (True: JSON; False: nothing is checked), and
``dont_retry`` leaves the answer to whoever sent the request (the token refresh retries on its own,
pixivcrawl.middlewares.auth). Redirects pass.

A server error (a status in ``RETRY_HTTP_CODES``: 500, 502, 503, …) with pixiv's own error page is not a block:
Scrapy's RetryMiddleware retries it, and after its last retry the errback names the status ("HTTP 503 after 5
retries"). The same status from Cloudflare (its ``cf-mitigated`` or ``Server: cloudflare`` header, or a challenge
page title) is a block.

Rate limits are the throttle's (pixivcrawl.middlewares.throttle): a 429, HTML or not — Cloudflare's rate
limiting answers 429 with an HTML page — passes on as a limit (the budget pauses, and the throttle's policy
retries it), so it is neither retried here nor counted twice.
"""

from __future__ import annotations

import html
import logging
import re

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from pixivcrawl.endpoints import api_of, endpoint_of
from pixivcrawl.exceptions import Blocked
from pixivcrawl.middlewares.throttle import is_rate_limited

logger = logging.getLogger(__name__)

#: what an answer that is not as expected is called, per kind of endpoint
EXPECTED = {"json": "JSON", "webview": "the novel webview", "media": "image or zip bytes"}
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"PK\x03\x04")
_MEDIA_TYPES = (b"image/", b"application/zip", b"application/x-zip")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_WEBVIEW_OBJECT = re.compile(rb"novel:\s*\{")


def expected_body(request: Request) -> str | None:
    """What the endpoint of ``request`` answers with: ``"json"``, ``"webview"``, ``"media"``, or None (not
    checked: another host, or a web page)."""
    if "pixiv_expect_json" in request.meta:
        return "json" if request.meta["pixiv_expect_json"] else None
    endpoint = endpoint_of(request)
    if endpoint is not None:
        return endpoint.answers
    api = api_of(request)
    return api.unlisted_answers(urlparse_cached(request).path) if api is not None else None


def looks_like_json(body: bytes) -> bool:
    """A cheap whole-body check: a JSON object or array that is not cut short."""
    text = body.strip()
    return len(text) >= 2 and ((text[:1] == b"{" and text[-1:] == b"}") or (text[:1] == b"[" and text[-1:] == b"]"))


def looks_like_page(response: Response) -> bool:
    """An HTML page: by its Content-Type, or by its first bytes."""
    content_type = response.headers.get(b"Content-Type", b"").lower()
    return content_type.startswith(b"text/html") or response.body[:256].lstrip().startswith(b"<")


def is_media(response: Response) -> bool:
    """Image or zip bytes: their magic bytes (JPEG, PNG, GIF, WebP, zip), or an image/zip Content-Type on a
    body that is not a page."""
    body = response.body
    if body.startswith(_MAGIC) or (body[:4] == b"RIFF" and body[8:12] == b"WEBP"):
        return True
    content_type = response.headers.get(b"Content-Type", b"").lower()
    return content_type.startswith(_MEDIA_TYPES) and not looks_like_page(response)


def as_expected(kind: str, response: Response) -> bool:
    """Whether ``response`` is what an endpoint of ``kind`` (see :func:`expected_body`) answers with."""
    if 300 <= response.status < 400:
        return True
    if kind == "json":
        return looks_like_json(response.body)
    if kind == "webview":
        return looks_like_json(response.body) or (
            response.status == 200 and _WEBVIEW_OBJECT.search(response.body) is not None)
    if kind == "media":
        return response.status == 404 or (200 <= response.status < 300 and is_media(response))
    return True


_CLOUDFLARE_TITLES = ("just a moment", "attention required", "access denied", "checking your browser")


def from_cloudflare(response: Response) -> bool:
    """A page Cloudflare answered in pixiv's stead: its ``cf-mitigated`` header, ``Server: cloudflare``, or the
    title of one of its challenge or block pages."""
    if response.headers.get(b"cf-mitigated") or response.headers.get(b"Server", b"").lower().startswith(b"cloudflare"):
        return True
    title = (page_title(response.body) or "").lower()
    return title.startswith(_CLOUDFLARE_TITLES)


def page_title(body: bytes) -> str | None:
    """The ``<title>`` of an HTML page (whitespace collapsed, at most 120 characters), or None."""
    match = _TITLE.search(body[:16384])
    if match is None:
        return None
    title = " ".join(html.unescape(match.group(1).decode("utf-8", "replace")).split())
    return title[:120] or None


def describe(kind: str, response: Response) -> str:
    """A short account of an unexpected answer for a log line: its status and its page's title, never the body
    (``HTTP 403 «Just a moment...»``, ``HTTP 200, 17 bytes that are not JSON``)."""
    title = page_title(response.body)
    if title is not None:
        return f"HTTP {response.status} «{title}»"
    if looks_like_page(response):
        return f"HTTP {response.status}, a page without a title ({len(response.body)} bytes)"
    return f"HTTP {response.status}, {len(response.body)} bytes that are not {EXPECTED[kind]}"


class PixivBodyCheckMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        #: server errors Scrapy's RetryMiddleware retries itself (unless Cloudflare sent them)
        self.server_errors = frozenset(crawler.settings.getlist("RETRY_HTTP_CODES", ()))

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """``response``, a retry of ``request``, or — after the last retry — :class:`Blocked`."""
        kind = expected_body(request)
        if kind is None or request.meta.get("dont_retry") or is_rate_limited(response):
            return response
        if as_expected(kind, response):
            return response
        if int(response.status) in self.server_errors and not from_cloudflare(response):
            return response  # pixiv's own server error: RetryMiddleware's, named by its status when given up
        # Scrapy's retry (RETRY_TIMES, retry/* stats; pixivcrawl.middlewares.backoff waits PIXIV_RETRY_BACKOFF × 2^(n-1)
        # before it goes out); giving up is logged below, once, so Scrapy's own give-up line is kept at DEBUG
        retry = get_retry_request(request, spider=self.crawler.spider, reason="pixiv_bad_body",
                                  give_up_log_level=logging.DEBUG)
        if retry is not None:
            return retry
        tries = request.meta.get("retry_times", 0) + 1
        message = f"pixiv or Cloudflare blocked {request.url}: {describe(kind, response)} after {tries} tries"
        logger.error("%s", message)
        self.crawler.stats.inc_value("pixiv/errors/blocked")
        raise Blocked(message)
