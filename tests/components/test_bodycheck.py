"""PixivBodyCheckMiddleware: an answer that is not what its endpoint returns (JSON, the novel webview, image or
zip bytes) is retried through Scrapy's get_retry_request whatever its status, and after the last retry given up
as Blocked with one log line and ``pixiv/errors/blocked``; pixiv's JSON errors, the webview, images and rate
limits pass."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.exceptions import Blocked
from pixivcrawl.middlewares.bodycheck import PixivBodyCheckMiddleware, describe, expected_body, page_title
from pixivcrawl.replica.app_objects import app_error, illust_obj
from pixivcrawl.replica.images import ImageFactory
from tests.captures import load_fixture

from .helpers import json_response, make_crawler, world

APP_URL = "https://app-api.pixiv.net/v1/illust/detail?illust_id=100000000"
AJAX_URL = "https://www.pixiv.net/ajax/illust/100000000?lang=en"
RANKING_URL = "https://www.pixiv.net/ranking.php?mode=daily&format=json&p=1"
TOKEN_URL = "https://oauth.secure.pixiv.net/auth/token"
WEBVIEW_URL = "https://app-api.pixiv.net/webview/v2/novel?id=19713880&viewer_version=20221031_ai"
CDN_URL = "https://i.pximg.net/img-original/img/2019/01/03/22/09/13/100000000_p0.jpg"
STATIC_URL = "https://s.pximg.net/common/images/no_profile.png"
EVERY_HOST = [APP_URL, AJAX_URL, RANKING_URL, TOKEN_URL, WEBVIEW_URL, CDN_URL, STATIC_URL]
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


def webview_page() -> bytes:
    """A novel webview page around a real captured ``novel`` object, as pixiv embeds it."""
    obj = load_fixture("app-api/webview_v2_novel/pixko__19713880.novel.json")
    return ("<!DOCTYPE html>\n<html><head><title>pixiv novel</title></head><body><script>\n"
            "Object.defineProperty(window, 'pixiv', {\n  value: {\n    novel: " + json.dumps(obj, ensure_ascii=False)
            + ",\n    isOwnWork: false,\n  },\n});\n</script></body></html>").encode()


def ugoira_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("000000.jpg", ImageFactory.small(1, "frame"))
    return buffer.getvalue()


@pytest.mark.parametrize(("url", "body"), [
    (APP_URL, CLOUDFLARE),
    (AJAX_URL, CLOUDFLARE),
    (RANKING_URL, CLOUDFLARE),
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


@pytest.mark.parametrize("status", [200, 403, 503])
@pytest.mark.parametrize("url", EVERY_HOST)
def test_a_cloudflare_page_is_retried_on_every_host_whatever_its_status(mw, url, status):
    request = Request(url)
    response = HtmlResponse(url, status=status, body=CLOUDFLARE, request=request,
                            headers={"Content-Type": "text/html; charset=UTF-8", "Server": "cloudflare"})
    retry = mw.process_response(request, response)
    assert isinstance(retry, Request) and retry.url == url and retry.meta["retry_times"] == 1
    assert mw.crawler.stats.get_value("retry/reason_count/pixiv_bad_body") == 1


def test_after_the_last_retry_one_line_says_who_blocked_it(mw, caplog):
    limit = mw.crawler.settings.getint("RETRY_TIMES")
    request = Request(APP_URL)
    for attempt in range(1, limit + 1):
        request = mw.process_response(request, HtmlResponse(APP_URL, status=403, body=CLOUDFLARE, request=request))
        assert request.meta["retry_times"] == attempt
    last = HtmlResponse(APP_URL, status=403, body=CLOUDFLARE, request=request)
    with caplog.at_level(logging.DEBUG), pytest.raises(Blocked) as raised:
        mw.process_response(request, last)
    sentence = f"pixiv or Cloudflare blocked {APP_URL}: HTTP 403 «Just a moment...» after {limit + 1} tries"
    assert str(raised.value) == sentence
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in errors] == [sentence]  # Scrapy's own give-up line is kept at DEBUG
    stats = mw.crawler.stats
    assert stats.get_value("pixiv/errors/blocked") == 1
    assert stats.get_value("retry/max_reached") == 1 and stats.get_value("retry/count") == limit


def test_max_retry_times_in_meta_is_honoured(mw):
    request = Request(AJAX_URL, meta={"max_retry_times": 0})
    with pytest.raises(Blocked, match=r"HTTP 200 «Just a moment\.\.\.» after 1 tries"):
        mw.process_response(request, HtmlResponse(AJAX_URL, body=CLOUDFLARE, request=request))


@pytest.mark.parametrize(("url", "status", "body", "headers"), [
    (APP_URL, 200, None, {}),  # whole JSON
    (APP_URL, 404, json.dumps(app_error("", "Specified end-point doesn't exist")).encode(), {}),
    (APP_URL, 400, json.dumps(app_error("", "Invalid mode")).encode(), {}),
    (APP_URL, 403, json.dumps(app_error("Rate Limit")).encode(), {}),  # the throttle's
    (AJAX_URL, 403, json.dumps(load_fixture("web/ajax_error/pixivutil2__unknown_error.json")).encode(), {}),
    (AJAX_URL, 404, json.dumps(load_fixture("web/ajax_error/pixivutil2__unknown_error.json")).encode(), {}),
    (RANKING_URL, 200, json.dumps(load_fixture("ajax/ranking_format_json_mode_weekly_content_illust_p_1.json"))
     .encode(), {}),
    (TOKEN_URL, 400, json.dumps(load_fixture("app-api/oauth_auth_token/everpcpc__error_invalid_refresh_token.json"))
     .encode(), {}),
    (TOKEN_URL, 200, json.dumps(load_fixture("app-api/oauth_auth_token/everpcpc__refresh_token.json")).encode(), {}),
    (WEBVIEW_URL, 200, webview_page(), {"Content-Type": "text/html; charset=utf-8"}),  # the webview is HTML
    (WEBVIEW_URL, 404, json.dumps(app_error("", "該当作品は削除されたか、存在しない作品IDです。")).encode(), {}),
    (CDN_URL, 200, ImageFactory.small(1, "page"), {"Content-Type": "image/jpeg"}),
    (CDN_URL, 200, ImageFactory.small(1, "page", fmt="png"), {"Content-Type": "image/png"}),
    (CDN_URL, 200, ImageFactory.small(1, "page"), {}),  # no Content-Type: told by its magic bytes
    ("https://i.pximg.net/img-zip-ugoira/img/2019/01/03/22/09/13/100000000_ugoira1920x1080.zip", 200, ugoira_zip(),
     {"Content-Type": "application/zip"}),
    (STATIC_URL, 200, ImageFactory.small(1, "no_profile", fmt="png"), {"Content-Type": "image/png"}),
    (CDN_URL, 404, b"<html><head><title>404 Not Found</title></head></html>", {"Content-Type": "text/html"}),
    ("https://www.pixiv.net/artworks/100000000", 200, CLOUDFLARE, {}),  # a page, not the Ajax API
    ("https://example.com/x", 200, b"not json", {}),
    (APP_URL, 302, b"<html>moved</html>", {"Location": APP_URL}),  # a redirect the redirect middleware left
])
def test_what_the_endpoint_returns_passes(mw, url, status, body, headers):
    request = Request(url)
    response = Response(url, status=status, body=good_json() if body is None else body, request=request,
                        headers=headers)
    assert mw.process_response(request, response) is response
    assert mw.crawler.stats.get_value("retry/count") is None


def test_json_with_surrounding_whitespace_passes(mw):
    request = Request(APP_URL)
    response = Response(APP_URL, body=b"\n  " + good_json() + b"\r\n", request=request)
    assert mw.process_response(request, response) is response


@pytest.mark.parametrize(("url", "body", "headers"), [
    (WEBVIEW_URL, b"<!DOCTYPE html><html><head><title>pixiv</title></head><body></body></html>", {}),
    (CDN_URL, b"\x00\x01 not an image", {"Content-Type": "application/octet-stream"}),
    (CDN_URL, CLOUDFLARE, {"Content-Type": "image/jpeg"}),  # a page, whatever its Content-Type says
    (CDN_URL, b"", {}),
])
def test_a_webview_without_its_novel_and_a_cdn_answer_without_an_image_are_retried(mw, url, body, headers):
    request = Request(url)
    response = Response(url, body=body, request=request, headers=headers)
    assert isinstance(mw.process_response(request, response), Request)


@pytest.mark.parametrize("url", EVERY_HOST)
def test_a_429_page_is_a_rate_limit_left_to_the_throttle(mw, url):
    """Cloudflare's rate limiting answers 429 with an HTML page: the throttle pauses the budget and retries it (its
    policy); the body check neither retries it nor counts it."""
    request = Request(url)
    response = HtmlResponse(url, status=429, body=CLOUDFLARE, request=request)
    assert mw.process_response(request, response) is response
    assert mw.crawler.stats.get_value("retry/count") is None


def test_dont_retry_leaves_the_answer_to_the_sender(mw):
    request = Request(TOKEN_URL, method="POST", meta={"dont_retry": True})
    response = HtmlResponse(TOKEN_URL, status=403, body=CLOUDFLARE, request=request)
    assert mw.process_response(request, response) is response


@pytest.mark.parametrize(("url", "expect", "retried"), [
    ("https://example.com/api", True, True),
    (APP_URL, False, False),
])
def test_meta_decides_whether_json_is_expected(mw, url, expect, retried):
    request = Request(url, meta={"pixiv_expect_json": expect})
    response = HtmlResponse(url, body=CLOUDFLARE, request=request)
    assert isinstance(mw.process_response(request, response), Request) is retried


@pytest.mark.parametrize(("url", "kind"), [(APP_URL, "json"), (AJAX_URL, "json"), (RANKING_URL, "json"),
                                           (TOKEN_URL, "json"), (WEBVIEW_URL, "webview"), (CDN_URL, "media"),
                                           (STATIC_URL, "media"), ("https://www.pixiv.net/artworks/1", None)])
def test_expected_body_by_endpoint(url, kind):
    assert expected_body(Request(url)) == kind


@pytest.mark.parametrize(("body", "headers", "said"), [
    (CLOUDFLARE, {}, "HTTP 403 «Just a moment...»"),
    (b"<html><head>\n<TITLE>\n  Attention Required! &amp;nbsp;| Cloudflare\n</TITLE>", {},
     "HTTP 403 «Attention Required! &nbsp;| Cloudflare»"),
    (b"<html><body>Server Error</body></html>", {}, "HTTP 403, a page without a title (38 bytes)"),
    (b"cut {", {"Content-Type": "application/json"}, "HTTP 403, 5 bytes that are not JSON"),
])
def test_describe_gives_the_status_and_the_title_never_the_body(body, headers, said):
    assert describe("json", Response(APP_URL, status=403, body=body, headers=headers)) == said


def test_page_title_is_short():
    assert page_title(b"<title>" + b"x" * 500 + b"</title>") == "x" * 120
    assert page_title(b"<html><body>no title</body></html>") is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_pixivs_own_server_error_is_left_to_scrapys_retry(mw, status):
    """A 5xx with pixiv's own error page is a server error: RetryMiddleware retries it and the errback names the
    status; it is not counted as blocked."""
    request = Request(APP_URL)
    response = HtmlResponse(APP_URL, status=status, body=b"<html><body>Server Error</body></html>")
    assert mw.process_response(request, response) is response
    assert mw.crawler.stats.get_value("pixiv/errors/blocked") is None


@pytest.mark.parametrize("headers", [{"cf-mitigated": "challenge"}, {"Server": "cloudflare"}, {}])
def test_a_server_error_from_cloudflare_is_a_block(mw, headers):
    """The same 503 from Cloudflare (its header, or its challenge page's title) is retried here as a block."""
    request = Request(APP_URL)
    body = CLOUDFLARE if not headers else b"<html><body>Server Error</body></html>"
    retry = mw.process_response(request, HtmlResponse(APP_URL, status=503, body=body, headers=headers))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
