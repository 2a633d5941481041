"""PixivBodyCheckMiddleware: an answer that is not the JSON (or image) that was asked for is retried through
Scrapy's get_retry_request, and counted in Scrapy's retry stats."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.middlewares.bodycheck import PixivBodyCheckMiddleware
from pixivcrawl.replica.app_objects import illust_obj

from .helpers import json_response, make_crawler, world

APP_URL = "https://app-api.pixiv.net/v1/illust/detail?illust_id=100000000"
AJAX_URL = "https://www.pixiv.net/ajax/illust/100000000?lang=en"
CDN_URL = "https://i.pximg.net/img-original/img/2019/01/03/22/09/13/100000000_p0.jpg"
#: what Cloudflare sends in front of pixiv when it challenges a client (trimmed)
CLOUDFLARE = (b"<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>"
              b"<meta http-equiv=\"refresh\" content=\"390\"></head><body><div id=\"cf-wrapper\">"
              b"<span data-translate=\"checking_browser\">Checking your browser before accessing pixiv.net.</span>"
              b"</div></body></html>")


@pytest.fixture
def mw():
    return build_from_crawler(PixivBodyCheckMiddleware, make_crawler())


def good_json() -> bytes:
    return json_response(APP_URL, {"illust": illust_obj(world(), 100000000, detail=True)}).body


@pytest.mark.parametrize(("url", "body"), [
    (APP_URL, CLOUDFLARE),
    (AJAX_URL, CLOUDFLARE),
    ("https://www.pixiv.net/ranking.php?mode=daily&format=json&p=1", CLOUDFLARE),
    (APP_URL, b""),
    (APP_URL, b"   "),
    (APP_URL, b"{\"illust\": {\"id\": 100000000, \"title\": \"cut sh"),  # a truncated chunked body
    (APP_URL, b"[1, 2"),
])
def test_a_body_that_is_not_whole_json_is_retried(mw, url, body):
    request = Request(url)
    response = HtmlResponse(url, body=body, request=request)
    retry = mw.process_response(request, response)
    assert isinstance(retry, Request) and retry.url == url
    assert retry.meta["retry_times"] == 1 and retry.dont_filter
    stats = mw.crawler.stats
    assert stats.get_value("retry/count") == 1
    assert stats.get_value("retry/reason_count/pixiv_bad_body") == 1


def test_a_retried_request_counts_its_attempts_up_to_retry_times(mw):
    limit = mw.crawler.settings.getint("RETRY_TIMES")
    request = Request(APP_URL)
    for attempt in range(1, limit + 1):
        request = mw.process_response(request, HtmlResponse(APP_URL, body=CLOUDFLARE, request=request))
        assert request.meta["retry_times"] == attempt
    last = HtmlResponse(APP_URL, body=CLOUDFLARE, request=request)
    assert mw.process_response(request, last) is last  # given up: the spider logs it as bad JSON
    assert mw.crawler.stats.get_value("retry/max_reached") == 1
    assert mw.crawler.stats.get_value("retry/count") == limit


@pytest.mark.parametrize(("url", "body"), [
    (APP_URL, None),  # whole JSON
    ("https://app-api.pixiv.net/webview/v2/novel?id=1", CLOUDFLARE),  # the novel webview is HTML
    ("https://www.pixiv.net/artworks/100000000", CLOUDFLARE),  # a page, not the Ajax API
    ("https://example.com/x", b"not json"),
])
def test_expected_bodies_pass(mw, url, body):
    request = Request(url)
    response = Response(url, body=good_json() if body is None else body, request=request)
    assert mw.process_response(request, response) is response
    assert mw.crawler.stats.get_value("retry/count") is None


def test_json_with_surrounding_whitespace_passes(mw):
    request = Request(APP_URL)
    response = Response(APP_URL, body=b"\n  " + good_json() + b"\r\n", request=request)
    assert mw.process_response(request, response) is response


@pytest.mark.parametrize("status", [403, 404, 500, 503])
def test_error_statuses_are_left_to_the_retry_middleware_and_the_spider(mw, status):
    request = Request(APP_URL)
    response = HtmlResponse(APP_URL, status=status, body=CLOUDFLARE, request=request)
    assert mw.process_response(request, response) is response


@pytest.mark.parametrize(("url", "expect", "retried"), [
    ("https://example.com/api", True, True),
    (APP_URL, False, False),
])
def test_meta_decides_whether_json_is_expected(mw, url, expect, retried):
    request = Request(url, meta={"pixiv_expect_json": expect})
    response = HtmlResponse(url, body=CLOUDFLARE, request=request)
    assert isinstance(mw.process_response(request, response), Request) is retried


@pytest.mark.parametrize(("content_type", "retried"), [(b"text/html; charset=UTF-8", True), (b"image/jpeg", False),
                                                       (b"image/png", False)])
def test_an_html_page_from_the_image_cdn_is_retried(mw, content_type, retried):
    request = Request(CDN_URL)
    response = Response(CDN_URL, body=CLOUDFLARE if retried else b"\xff\xd8\xff\xe0", request=request,
                        headers={"Content-Type": content_type})
    result = mw.process_response(request, response)
    assert (result is not response) is retried
    assert mw.crawler.stats.get_value("retry/reason_count/pixiv_bad_body") == (1 if retried else None)
