"""PixivHeadersMiddleware: the iOS app's headers and client hash for the App API and OAuth, a browser for the
web, a pixiv Referer for the image CDN."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.middlewares.headers import APP_USER_AGENT, WEB_USER_AGENT, PixivHeadersMiddleware
from pixivcrawl.protocol import HASH_SECRET, OAUTH_TOKEN_URL

from .helpers import make_crawler

APP_URL = "https://app-api.pixiv.net/v1/illust/detail?illust_id=100000000"
WEB_URL = "https://www.pixiv.net/ajax/illust/100000000?lang=en"
CDN_URL = "https://i.pximg.net/img-original/img/2019/01/03/22/09/13/100000000_p0.jpg"
STATIC_URL = "https://s.pximg.net/common/images/limit_unknown_360.png"


def headers_middleware(**settings) -> PixivHeadersMiddleware:
    return build_from_crawler(PixivHeadersMiddleware, make_crawler(**settings))


def header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    return value.decode() if value is not None else None


@pytest.mark.parametrize("url", [APP_URL, OAUTH_TOKEN_URL])
def test_app_api_and_oauth_requests_look_like_the_ios_app(url):
    request = Request(url)
    before = datetime.now(UTC).replace(microsecond=0)
    headers_middleware().process_request(request)
    after = datetime.now(UTC)
    assert header(request, "User-Agent") == APP_USER_AGENT
    assert header(request, "App-OS") == "ios"
    assert header(request, "App-OS-Version") and header(request, "App-Version")
    assert header(request, "Accept-Language") == "en-us"
    assert header(request, "Referer") == "https://app-api.pixiv.net/"
    stamp = header(request, "X-Client-Time")
    assert before <= datetime.fromisoformat(stamp) <= after and stamp.endswith("+00:00")
    assert header(request, "X-Client-Hash") == hashlib.md5((stamp + HASH_SECRET).encode()).hexdigest()


def test_app_user_agent_and_language_come_from_settings():
    request = Request(APP_URL)
    headers_middleware(PIXIV_HEADERS_APP_USER_AGENT="PixivIOSApp/8.0.0 (iOS 17.0; iPhone15,2)",
                       PIXIV_HEADERS_ACCEPT_LANGUAGE="ja").process_request(request)
    assert header(request, "User-Agent") == "PixivIOSApp/8.0.0 (iOS 17.0; iPhone15,2)"
    assert header(request, "Accept-Language") == "ja"


def test_headers_a_spider_set_are_kept_but_the_client_hash_is_fresh():
    request = Request(APP_URL, headers={"Accept-Language": "zh-cn", "Referer": "https://example.com/",
                                        "X-Client-Time": "2000-01-01T00:00:00+00:00", "X-Client-Hash": "0" * 32})
    headers_middleware().process_request(request)
    assert header(request, "Accept-Language") == "zh-cn" and header(request, "Referer") == "https://example.com/"
    stamp = header(request, "X-Client-Time")
    assert stamp != "2000-01-01T00:00:00+00:00"
    assert header(request, "X-Client-Hash") == hashlib.md5((stamp + HASH_SECRET).encode()).hexdigest()


def test_web_requests_look_like_a_browser():
    request = Request(WEB_URL)
    headers_middleware().process_request(request)
    assert header(request, "User-Agent") == WEB_USER_AGENT
    assert header(request, "Referer") == "https://www.pixiv.net/"
    assert header(request, "Accept") == "application/json"
    assert request.headers.get("X-Client-Hash") is None and request.headers.get("App-OS") is None


@pytest.mark.parametrize("url", [CDN_URL, STATIC_URL])
def test_image_cdn_requests_get_a_pixiv_referer_only(url):
    request = Request(url)
    headers_middleware().process_request(request)
    assert header(request, "Referer") == "https://www.pixiv.net/"
    assert request.headers.get("User-Agent") is None and request.headers.get("X-Client-Hash") is None


def test_other_hosts_are_left_alone():
    request = Request("https://example.com/x")
    headers_middleware().process_request(request)
    assert dict(request.headers) == {}


def test_the_user_agent_wins_over_scrapys_default_in_pixivcrawls_order():
    """UserAgentMiddleware (500) runs before PixivHeadersMiddleware (520) on the way out."""
    crawler = make_crawler()
    order = crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert order["scrapy.downloadermiddlewares.useragent.UserAgentMiddleware"] < \
        order["pixivcrawl.middlewares.headers.PixivHeadersMiddleware"]
    default = build_from_crawler(UserAgentMiddleware, crawler)
    default.spider_opened(crawler.spider)
    mw = build_from_crawler(PixivHeadersMiddleware, crawler)
    app, web = Request(APP_URL), Request(WEB_URL)
    for request in (app, web):
        default.process_request(request)
        mw.process_request(request)
    assert header(app, "User-Agent") == APP_USER_AGENT and header(web, "User-Agent") == WEB_USER_AGENT


def test_the_client_time_follows_the_clock_second_by_second(monkeypatch):
    """The stamp and hash are computed once per second of the clock, and a new second gets its own."""
    import pixivcrawl.middlewares.headers as headers_module

    now = [1_700_000_000.2]
    monkeypatch.setattr(headers_module.time, "time", lambda: now[0])
    stamps = []
    for t in (1_700_000_000.2, 1_700_000_000.9, 1_700_000_001.0, 1_700_000_000.5):
        now[0] = t
        request = Request(APP_URL)
        headers_middleware().process_request(request)
        stamp = header(request, "X-Client-Time")
        assert header(request, "X-Client-Hash") == hashlib.md5((stamp + HASH_SECRET).encode()).hexdigest()
        stamps.append(stamp)
    assert stamps == ["2023-11-14T22:13:20+00:00", "2023-11-14T22:13:20+00:00", "2023-11-14T22:13:21+00:00",
                      "2023-11-14T22:13:20+00:00"]
