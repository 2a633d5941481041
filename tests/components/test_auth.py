"""PixivAuthMiddleware on hand-made requests and responses: the bearer token and its refresh, the session
cookie, credentials stripped on the way back, and the start-up check of the spider's credentials."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

import pytest
from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.credentials import write_credentials_file
from pixivcrawl.exceptions import NoAccessToken
from pixivcrawl.middlewares.auth import PixivAuthMiddleware
from pixivcrawl.protocol import CLIENT_ID, OAUTH_TOKEN_URL
from pixivcrawl.replica.app_objects import app_error
from pixivcrawl.spiders.ranking import RankingSpider
from tests.captures import load_fixture
from tests.decorators import coroutine_test

from .helpers import (
    FakeEngine,
    isolate,
    json_response,
    make_crawler,
    token_body,
)

REFRESH = "refresh-token-value-1234"
SESSION = "12345_sessionvalue"
APP_URL = "https://app-api.pixiv.net/v1/illust/detail?illust_id=100000000"
WEB_URL = "https://www.pixiv.net/ajax/illust/100000000"
CDN_URL = "https://i.pximg.net/img-original/img/2019/01/03/22/09/13/100000000_p0.jpg"
#: the App API's answer to a bearer it does not accept (pixivcrawl.replica.app_api)
BEARER_REFUSED = app_error("Error occurred at the OAuth process. Please check your Access Token to fix this. "
                           "Error Message: invalid_grant")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


def tokens(prefix: str = "access"):
    """An ``answer`` for FakeEngine: a new access token per call (access-1, access-2, …)."""
    issued = []

    def answer(request: Request) -> Response:
        issued.append(f"{prefix}-{len(issued) + 1}")
        return json_response(request.url, token_body(issued[-1]), request=request)

    return answer


def auth_middleware(answer=None, spidercls=None, spider_kwargs=None, **settings):
    settings.setdefault("PIXIV_REFRESH_TOKEN", REFRESH)
    settings.setdefault("PIXIV_PHPSESSID", SESSION)
    crawler = make_crawler(spidercls, spider_kwargs, **settings) if spidercls else make_crawler(**settings)
    crawler.engine = FakeEngine(answer or tokens())
    return crawler, build_from_crawler(PixivAuthMiddleware, crawler)


# -- the bearer token ------------------------------------------------------------------------------------

@coroutine_test
async def test_app_api_request_gets_the_bearer_of_one_refresh():
    crawler, mw = auth_middleware()
    request = Request(APP_URL)
    assert await mw.process_request(request) is None
    assert request.headers["Authorization"] == b"Bearer access-1"
    (refresh,) = crawler.engine.downloads
    assert refresh.url == OAUTH_TOKEN_URL and refresh.method == "POST"
    form = parse_qs(refresh.body.decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == [REFRESH]
    assert form["client_id"] == [CLIENT_ID]
    assert refresh.meta["pixiv_auth"] is False  # the token request itself carries no credentials
    assert crawler.stats.get_value("pixiv/auth/token_refreshes") == 1


@coroutine_test
async def test_concurrent_requests_share_one_refresh():
    crawler, mw = auth_middleware()
    requests = [Request(f"{APP_URL}&n={n}") for n in range(8)]
    await asyncio.gather(*(mw.process_request(r) for r in requests))
    assert len(crawler.engine.downloads) == 1
    assert {r.headers["Authorization"] for r in requests} == {b"Bearer access-1"}
    assert crawler.stats.get_value("pixiv/auth/token_refreshes") == 1


@coroutine_test
async def test_a_token_is_reused_until_the_refresh_margin():
    lifetime = 3600
    _, mw = auth_middleware(lambda r: json_response(r.url, token_body("long", lifetime), request=r))
    for n in range(3):
        await mw.process_request(Request(f"{APP_URL}&n={n}"))
    assert len(mw.crawler.engine.downloads) == 1


class _Clock:
    """A monotonic clock the test moves by hand (the auth middleware's ``time.monotonic``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.mark.parametrize(("lifetime", "margin", "refreshed_after"), [
    (20, 60, 15),  # the replica's --token-lifetime 20 under the default margin: a quarter of 20 s, not 60 s
    (60, 60, 45),  # a lifetime equal to the margin: still a quarter
    (3600, 60, 3540),  # a long lifetime: the margin as set
    (100, 10, 90),
])
@coroutine_test
async def test_the_refresh_margin_never_exceeds_a_quarter_of_the_token_lifetime(monkeypatch, caplog, lifetime, margin,
                                                                                refreshed_after):
    """A token that lives no longer than PIXIV_AUTH_REFRESH_MARGIN is not refreshed before every request: it is
    used until a quarter of its lifetime is left (min(margin, lifetime / 4) before expiry)."""
    clock = _Clock()
    monkeypatch.setattr("pixivcrawl.middlewares.auth.time", clock)
    crawler, mw = auth_middleware(lambda r: json_response(r.url, token_body("short", lifetime), request=r),
                                  PIXIV_AUTH_REFRESH_MARGIN=margin)
    caplog.set_level(logging.INFO, logger="pixivcrawl.middlewares.auth")
    for n in range(5):  # five requests within the same second: one refresh
        await mw.process_request(Request(f"{APP_URL}&n={n}"))
    assert len(crawler.engine.downloads) == 1
    clock.now += refreshed_after - 0.5
    await mw.process_request(Request(f"{APP_URL}&n=late"))
    assert len(crawler.engine.downloads) == 1
    clock.now += 1
    await mw.process_request(Request(f"{APP_URL}&n=later"))
    assert len(crawler.engine.downloads) == 2
    assert crawler.stats.get_value("pixiv/auth/token_refreshes") == 2
    capped = [r for r in caplog.records if r.name == "pixivcrawl.middlewares.auth"
              and "PIXIV_AUTH_REFRESH_MARGIN" in r.getMessage()]
    assert len(capped) == (1 if margin > lifetime / 4 else 0)  # said once, not at every refresh


@coroutine_test
async def test_a_refused_bearer_is_refreshed_and_the_request_retried_once():
    crawler, mw = auth_middleware()
    request = Request(APP_URL)
    await mw.process_request(request)
    refused = json_response(APP_URL, BEARER_REFUSED, status=400, request=request)
    retry = await mw.process_response(request, refused)
    assert isinstance(retry, Request) and retry.url == APP_URL
    assert retry.dont_filter and retry.meta["pixiv_auth_retried"] is True
    assert b"Authorization" not in retry.headers and "_pixiv_token_generation" not in retry.meta
    await mw.process_request(retry)
    assert retry.headers["Authorization"] == b"Bearer access-2"
    assert len(crawler.engine.downloads) == 2
    # refused again: the response goes on (to the spider, which logs it), the request is not retried again
    again = json_response(APP_URL, BEARER_REFUSED, status=400, request=retry)
    assert await mw.process_response(retry, again) is again
    assert crawler.stats.get_value("pixiv/auth/rejected_bearer") == 2
    assert crawler.stats.get_value("pixiv/auth/retried_requests") == 1
    assert crawler.stats.get_value("pixiv/auth/failed_requests") == 1


@coroutine_test
async def test_a_refusal_of_an_older_token_does_not_refresh_a_newer_one():
    crawler, mw = auth_middleware()
    old = Request(APP_URL)
    await mw.process_request(old)
    await mw.process_response(old, json_response(APP_URL, BEARER_REFUSED, status=400, request=old))
    current = Request(f"{APP_URL}&n=1")
    await mw.process_request(current)  # refreshes: access-2
    late = Request(f"{APP_URL}&n=2")
    late.meta["_pixiv_token_generation"] = 1  # sent with access-1, refused after access-2 came
    await mw.process_response(late, json_response(APP_URL, BEARER_REFUSED, status=400, request=late))
    newest = Request(f"{APP_URL}&n=3")
    await mw.process_request(newest)
    assert newest.headers["Authorization"] == b"Bearer access-2"
    assert len(crawler.engine.downloads) == 2


@coroutine_test
async def test_a_rejected_refresh_token_stops_the_crawl():
    rejection = {"has_error": True, "errors": {"system": {"message": "Invalid refresh token", "code": 1508}},
                 "error": "invalid_grant"}
    crawler, mw = auth_middleware(lambda r: json_response(r.url, rejection, status=400, request=r))
    with pytest.raises(IgnoreRequest, match="rejected the refresh token"):
        await mw.process_request(Request(APP_URL))
    await asyncio.sleep(0)  # the close is scheduled as a task
    assert crawler.engine.closed == ["auth_failed"]
    assert crawler.stats.get_value("pixiv/auth/refresh_token_rejected") == 1
    with pytest.raises(IgnoreRequest):  # later requests are refused without asking pixiv again
        await mw.process_request(Request(f"{APP_URL}&n=1"))
    assert len(crawler.engine.downloads) == 1


#: Cloudflare's challenge in front of pixiv (trimmed), as pixivpy#140 met it on the token endpoint
CLOUDFLARE = (b"<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body>"
              b"<h2>Checking if the site connection is secure</h2></body></html>")


#: the token endpoint's refusal of the client (not of the refresh token: tried again, as pixiv's other answers)
INVALID_CLIENT = (b'{"has_error": true, "errors": {"system": {"message": "Invalid client", "code": 1508}}, '
                  b'"error": "invalid_client"}')
TIMEOUT = "Getting https://oauth.secure.pixiv.net/auth/token took longer than 180.0 seconds."


def in_turn(*answers):
    """An ``answer`` for FakeEngine: each call gives the next of ``answers`` — a (status, body) pair, an exception to
    raise (a reset, a timeout), or ``"token"`` for a new access token; the last one is repeated."""
    given = []

    def answer(request: Request) -> Response:
        item = answers[min(len(given), len(answers) - 1)]
        given.append(item)
        if isinstance(item, Exception):
            raise item
        if item == "token":
            return json_response(request.url, token_body(f"access-{len(given)}"), request=request)
        status, body = item
        return Response(request.url, status=status, body=body, request=request,
                        headers={"Content-Type": "text/html" if body.startswith(b"<") else "application/json"})

    return answer


@coroutine_test
async def test_a_refresh_that_fails_for_a_while_is_retried_and_the_waiting_requests_go_out():
    """A Cloudflare page (403 and 200), a 503 page, a reset, a timeout and a body that is not JSON, then the token:
    every request that waited for it gets it, none is dropped."""
    from twisted.internet.error import ConnectionLost

    crawler, mw = auth_middleware(in_turn((403, CLOUDFLARE), (200, CLOUDFLARE), (503, b"<html>error</html>"),
                                          ConnectionLost("reset by peer"), TimeoutError("took too long"),
                                          (200, b"not json"), "token"),
                                  RETRY_TIMES=6, PIXIV_RETRY_BACKOFF=0.001)
    requests = [Request(f"{APP_URL}&n={n}") for n in range(5)]
    await asyncio.gather(*(mw.process_request(r) for r in requests))
    assert {r.headers["Authorization"] for r in requests} == {b"Bearer access-7"}
    refreshes = crawler.engine.downloads
    assert len(refreshes) == 7 and {r.url for r in refreshes} == {OAUTH_TOKEN_URL}
    assert all(r.meta["dont_retry"] for r in refreshes)  # retried here, not by Scrapy's RetryMiddleware
    stats = crawler.stats
    assert stats.get_value("pixiv/auth/token_errors") == 6 and stats.get_value("pixiv/auth/token_retries") == 6
    assert stats.get_value("pixiv/auth/token_refreshes") == 1
    backoff = 0.001 * (2 ** 6 - 1)  # 1, 2, 4, … ms before the six retries (±10%)
    assert 0.85 * backoff <= stats.get_value("pixiv/retry/backoff_seconds") <= 1.15 * backoff
    assert crawler.engine.closed == [] and stats.get_value("pixiv/errors/blocked") is None


@pytest.mark.parametrize(("answer", "reason", "cause"), [
    ((403, CLOUDFLARE), "blocked", "HTTP 403 «Just a moment...»"),
    ((200, CLOUDFLARE), "blocked", "HTTP 200 «Just a moment...»"),
    ((200, b"not json"), "blocked", "HTTP 200, 8 bytes that are not JSON"),
    ((503, b'{"has_error": true}'), "auth_unavailable", "HTTP 503"),
    ((503, b"<html><body>Server Error</body></html>"), "auth_unavailable",
     "HTTP 503, a page without a title (38 bytes)"),
    ((503, CLOUDFLARE), "blocked", "HTTP 503 «Just a moment...»"),
    ((200, b"{}"), "auth_unavailable", "HTTP 200 without an access token"),
    ((400, INVALID_CLIENT), "auth_unavailable", "HTTP 400 (Invalid client)"),
    (TimeoutError(TIMEOUT), "auth_unavailable", f"TimeoutError: {TIMEOUT}"),
])
@coroutine_test
async def test_a_whole_round_of_failed_refreshes_stops_the_crawl_in_one_sentence(answer, reason, cause, caplog):
    crawler, mw = auth_middleware(in_turn(answer), RETRY_TIMES=2, PIXIV_RETRY_BACKOFF=0.001)
    requests = [Request(f"{APP_URL}&n={n}") for n in range(4)]
    with caplog.at_level(logging.DEBUG):
        results = await asyncio.gather(*(mw.process_request(r) for r in requests), return_exceptions=True)
    assert all(isinstance(r, NoAccessToken) for r in results)  # the waiting requests fail with the crawl
    await asyncio.sleep(0)  # the close is scheduled as a task
    assert crawler.engine.closed == [reason]
    assert len(crawler.engine.downloads) == 3  # RETRY_TIMES retries after the first try, one round for everyone
    if isinstance(answer, Exception):  # no answer at all: pixiv could not be reached
        sentence = f"Could not reach pixiv: its token endpoint did not answer 3 tries ({cause}); stopping the crawl."
    else:
        sentence = (f"Could not get an access token from pixiv's token endpoint: {cause} after 3 tries; "
                    "stopping the crawl.")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [sentence]
    assert crawler.stats.get_value("pixiv/errors/blocked") == (1 if reason == "blocked" else None)
    assert crawler.stats.get_value("pixiv/auth/token_errors") == 3
    assert crawler.stats.get_value("pixiv/errors/no_access_token") == 4
    with pytest.raises(NoAccessToken):  # later requests fail at once, pixiv is not asked again
        await mw.process_request(Request(f"{APP_URL}&n=9"))
    assert len(crawler.engine.downloads) == 3
    assert crawler.stats.get_value("pixiv/errors/no_access_token") == 5
    assert REFRESH not in caplog.text and REFRESH not in f"{crawler.stats.get_stats()}"


@coroutine_test
async def test_the_refusal_in_its_older_shape_stops_the_crawl_at_once(caplog):
    """pixiv's captured refusal has no top-level ``error`` (pixivpy#12): its code 1508 says it."""
    capture = load_fixture("app-api/oauth_auth_token/everpcpc__error_invalid_refresh_token.json")
    crawler, mw = auth_middleware(lambda r: json_response(r.url, capture, status=400, request=r))
    with caplog.at_level(logging.ERROR), pytest.raises(NoAccessToken, match="rejected the refresh token"):
        await mw.process_request(Request(APP_URL))
    await asyncio.sleep(0)
    assert crawler.engine.closed == ["auth_failed"] and len(crawler.engine.downloads) == 1
    sentence = ("pixiv rejected the refresh token (Invalid refresh token): get a new one with `pixivcrawl login` "
                "and set PIXIV_REFRESH_TOKEN.")
    assert [r.getMessage() for r in caplog.records] == [sentence]


@coroutine_test
async def test_the_accounts_user_id_comes_with_its_token():
    crawler, mw = auth_middleware()
    assert await mw.account_user_id() == 11  # token_body's user.id, "11"
    await mw.process_request(Request(APP_URL))
    assert await mw.account_user_id() == 11
    assert len(crawler.engine.downloads) == 1  # one token request: the id came with the token the request got


@pytest.mark.parametrize(("user", "expected"), [
    ({"id": 12345678}, 12345678), ({"id": " 7 "}, 7), ({"id": "0"}, None), ({"id": "abc"}, None),
    ({"id": True}, None), ({}, None), (None, None),
])
@coroutine_test
async def test_the_accounts_user_id_is_a_pixiv_id_or_none(user, expected):
    def answer(request: Request) -> Response:
        body = token_body("access-1")
        body["response"]["user"] = user
        return json_response(request.url, body, request=request)

    _, mw = auth_middleware(answer)
    assert await mw.account_user_id() == expected


@coroutine_test
async def test_no_user_id_without_a_refresh_token_nor_when_pixiv_refuses_it():
    crawler, mw = auth_middleware(PIXIV_REFRESH_TOKEN="")
    assert await mw.account_user_id() is None and crawler.engine.downloads == []
    rejection = {"has_error": True, "error": "invalid_grant"}
    crawler, mw = auth_middleware(lambda r: json_response(r.url, rejection, status=400, request=r))
    with pytest.raises(NoAccessToken):
        await mw.account_user_id()
    await asyncio.sleep(0)  # the close is scheduled as a task
    assert crawler.engine.closed == ["auth_failed"]


# -- the web session and other hosts -----------------------------------------------------------------------

@coroutine_test
async def test_web_requests_get_the_session_cookie_and_keep_their_own():
    crawler, mw = auth_middleware()
    plain = Request(WEB_URL)
    await mw.process_request(plain)
    assert plain.headers["Cookie"] == f"PHPSESSID={SESSION}".encode()
    assert b"Authorization" not in plain.headers
    with_cookie = Request(WEB_URL, headers={"Cookie": "lang=en"})
    await mw.process_request(with_cookie)
    assert with_cookie.headers["Cookie"] == f"lang=en; PHPSESSID={SESSION}".encode()
    assert crawler.engine.downloads == []  # the web needs no token


@pytest.mark.parametrize(("url", "meta"), [(CDN_URL, {}), ("https://example.com/x", {}),
                                           (APP_URL, {"pixiv_auth": False}), (WEB_URL, {"pixiv_auth": False})])
@coroutine_test
async def test_requests_that_get_no_credentials(url, meta):
    crawler, mw = auth_middleware()
    request = Request(url, meta=meta)
    await mw.process_request(request)
    assert b"Authorization" not in request.headers and b"Cookie" not in request.headers
    assert crawler.engine.downloads == []


@coroutine_test
async def test_credentials_are_stripped_when_the_response_or_the_error_comes_back():
    _, mw = auth_middleware()
    app, web = Request(APP_URL), Request(WEB_URL)
    for request in (app, web):
        await mw.process_request(request)
    ok = Response(APP_URL, body=b"{}", request=app)
    assert await mw.process_response(app, ok) is ok
    assert mw.process_exception(web, TimeoutError()) is None
    assert b"Authorization" not in app.headers and b"Cookie" not in web.headers
    # a Cookie the middleware did not add is not its to remove
    own = Request(WEB_URL, headers={"Cookie": "lang=en"}, meta={"pixiv_auth": False})
    await mw.process_request(own)
    await mw.process_response(own, Response(WEB_URL, request=own))
    assert own.headers["Cookie"] == b"lang=en"


@coroutine_test
async def test_an_app_api_error_that_is_not_about_oauth_is_left_alone():
    crawler, mw = auth_middleware()
    request = Request(APP_URL)
    await mw.process_request(request)
    not_found = json_response(APP_URL, app_error("", "Specified end-point doesn't exist"), status=400,
                              request=request)
    assert await mw.process_response(request, not_found) is not_found
    assert crawler.stats.get_value("pixiv/auth/rejected_bearer") is None


# -- the start-up check ----------------------------------------------------------------------------------

def _open(crawler) -> CloseSpider | None:
    """Send spider_opened as the engine does; the CloseSpider a handler raised, if any."""
    for _, result in crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider,
                                                    dont_log=CloseSpider):
        if hasattr(result, "value") and isinstance(result.value, CloseSpider):
            return result.value
    return None


@pytest.mark.parametrize(("spidercls", "kwargs", "missing", "setting"), [
    (None, None, "refresh_token", "PIXIV_REFRESH_TOKEN"),
    (RankingSpider, {"mode": "daily_r18"}, "phpsessid", "PIXIV_PHPSESSID"),
])
def test_a_missing_credential_closes_the_spider_with_one_sentence(spidercls, kwargs, missing, setting, caplog):
    crawler, _ = auth_middleware(spidercls=spidercls, spider_kwargs=kwargs, **{setting: ""})
    with caplog.at_level(logging.ERROR, logger="pixivcrawl.middlewares.auth"):
        closed = _open(crawler)
    assert closed is not None and closed.reason == "missing_credentials"
    assert crawler.stats.get_value("pixiv/auth/missing_credential") == missing
    (record,) = [r for r in caplog.records if r.name == "pixivcrawl.middlewares.auth"]
    sentence = record.getMessage()
    assert f"needs a pixiv {missing.replace('_', ' ')}" in sentence and setting in sentence
    assert sentence.count(". ") == 0 and sentence.endswith(".")  # one sentence


def test_a_spider_that_needs_nothing_opens_without_credentials():
    crawler, _ = auth_middleware(spidercls=RankingSpider, spider_kwargs={"mode": "daily"},
                                 PIXIV_REFRESH_TOKEN="", PIXIV_PHPSESSID="")
    assert _open(crawler) is None
    assert crawler.stats.get_value("pixiv/auth/missing_credential") is None


def test_a_credentials_file_others_can_read_is_refused_at_start(tmp_path, caplog):
    path = tmp_path / "credentials.json"
    write_credentials_file(path, refresh_token="from-file")
    path.chmod(0o644)
    crawler, _ = auth_middleware(PIXIV_REFRESH_TOKEN="", PIXIV_PHPSESSID="", PIXIV_CREDENTIALS_FILE=str(path))
    with caplog.at_level(logging.ERROR, logger="pixivcrawl.middlewares.auth"):
        closed = _open(crawler)
    assert closed is not None and closed.reason == "missing_credentials"
    assert crawler.stats.get_value("pixiv/auth/credentials_error") == 1
    assert f"chmod 600 {path}" in caplog.text and "0644" in caplog.text


@coroutine_test
async def test_a_private_credentials_file_is_used(tmp_path):
    path = tmp_path / "credentials.json"
    write_credentials_file(path, refresh_token="from-file", phpsessid="PHPSESSID=77_file; other=1")
    crawler, mw = auth_middleware(PIXIV_REFRESH_TOKEN="", PIXIV_PHPSESSID="", PIXIV_CREDENTIALS_FILE=str(path))
    assert _open(crawler) is None
    app, web = Request(APP_URL), Request(WEB_URL)
    await mw.process_request(app)
    await mw.process_request(web)
    assert parse_qs(crawler.engine.downloads[0].body.decode())["refresh_token"] == ["from-file"]
    assert web.headers["Cookie"] == b"PHPSESSID=77_file"


@coroutine_test
async def test_credentials_never_show_in_logs_stats_or_the_middleware(caplog):
    rejection = {"has_error": True, "error": "invalid_grant"}
    crawler, mw = auth_middleware(lambda r: json_response(r.url, rejection, status=400, request=r))
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(IgnoreRequest):
            await mw.process_request(Request(APP_URL))
        await mw.process_request(Request(WEB_URL))
    shown = f"{caplog.text} {crawler.stats.get_stats()} {mw.credentials} {mw.credentials!r} {vars(mw)}"
    assert REFRESH not in shown and SESSION not in shown
    assert "Secret('***')" in f"{mw.credentials}"
