"""Retries API answers whose body is cut short or is not JSON (an HTML error page, a truncated chunked
body), as Scrapy's RetryMiddleware does for 5xx; after the last retry the response goes to the spider,
which logs it as bad JSON and goes on.

Applies to App API responses (but the novel webview, which is HTML) and to the web's ``/ajax/`` and
``ranking.php``; ``Request.meta["pixiv_expect_json"]`` overrides the choice. Image CDN answers that are
HTML pages instead of image bytes are retried the same way.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from pixivcrawl.hosts import APP_API_HOST, CDN_HOSTS, WEB_HOST


def expects_json(request: Request) -> bool:
    if "pixiv_expect_json" in request.meta:
        return bool(request.meta["pixiv_expect_json"])
    parts = urlparse_cached(request)
    if parts.hostname == APP_API_HOST:
        return not parts.path.startswith("/webview/")
    if parts.hostname == WEB_HOST:
        return parts.path.startswith("/ajax/") or parts.path == "/ranking.php"
    return False


def looks_like_json(body: bytes) -> bool:
    """A cheap whole-body check: a JSON object or array that is not cut short."""
    text = body.strip()
    return len(text) >= 2 and ((text[:1] == b"{" and text[-1:] == b"}") or (text[:1] == b"[" and text[-1:] == b"]"))


class PixivBodyCheckMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 200 or not self._bad(request, response):
            return response
        retry = get_retry_request(request, spider=self.crawler.spider, reason="pixiv_bad_body")
        return retry or response

    @staticmethod
    def _bad(request: Request, response: Response) -> bool:
        if urlparse_cached(request).hostname in CDN_HOSTS:
            return response.headers.get(b"Content-Type", b"").startswith(b"text/html")
        return expects_json(request) and not looks_like_json(response.body)
