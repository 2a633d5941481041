"""The headers pixiv's servers expect from each kind of client: the iOS app for the App API and OAuth, a
browser for the web Ajax API, and a pixiv Referer for the image CDN (which answers 403 without one). Which one a
request gets is its API's ``client`` (pixivcrawl.endpoints.api_of)."""

from __future__ import annotations

import functools
import hashlib
import time
from datetime import UTC, datetime

from scrapy import Request
from scrapy.crawler import Crawler

from pixivcrawl.endpoints import api_of
from pixivcrawl.protocol import HASH_SECRET

APP_USER_AGENT = "PixivIOSApp/7.19.1 (iOS 16.7.2; iPhone12,8)"
WEB_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def client_time_and_hash(now: datetime | None = None) -> tuple[str, str]:
    """``X-Client-Time`` and ``X-Client-Hash`` as pixiv's own app computes them (``now``: the current time)."""
    if now is None:  # the stamp has whole seconds: computed once per second, not once per request
        return _at_second(int(time.time()))
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return stamp, hashlib.md5((stamp + HASH_SECRET).encode(), usedforsecurity=False).hexdigest()


@functools.lru_cache(maxsize=1)
def _at_second(second: int) -> tuple[str, str]:
    """:func:`client_time_and_hash` of the second ``second`` (seconds since the epoch), kept until the next one."""
    return client_time_and_hash(datetime.fromtimestamp(second, UTC))


class PixivHeadersMiddleware:
    """Sets the client headers of each request's API; a header already on the request (set by a spider) is kept."""

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.app_user_agent = settings.get("PIXIV_HEADERS_APP_USER_AGENT") or APP_USER_AGENT
        self.web_user_agent = settings.get("PIXIV_HEADERS_WEB_USER_AGENT") or WEB_USER_AGENT
        self.accept_language = settings.get("PIXIV_HEADERS_ACCEPT_LANGUAGE") or "en-us"

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        api = api_of(request)
        client = api.client if api is not None else None
        headers = request.headers
        if client == "app":
            stamp, digest = client_time_and_hash()
            headers["User-Agent"] = self.app_user_agent
            headers.setdefault("App-OS", "ios")
            headers.setdefault("App-OS-Version", "16.7.2")
            headers.setdefault("App-Version", "7.19.1")
            headers.setdefault("Accept-Language", self.accept_language)
            headers.setdefault("Referer", "https://app-api.pixiv.net/")
            headers["X-Client-Time"] = stamp
            headers["X-Client-Hash"] = digest
        elif client == "browser":
            headers["User-Agent"] = self.web_user_agent
            headers.setdefault("Referer", "https://www.pixiv.net/")
            headers.setdefault("Accept", "application/json")
        elif client == "referer":
            headers.setdefault("Referer", "https://www.pixiv.net/")
