"""RetryBackoffMiddleware on a virtual clock: the wait before a retried request goes out again, its jitter, its
stat, where it sits among the middlewares, the drop when the crawl closes, and NotConfigured when it is off."""

from __future__ import annotations

import logging
import types

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.middlewares import backoff, throttle
from pixivcrawl.middlewares.backoff import RetryBackoffMiddleware
from pixivcrawl.middlewares.throttle import PixivThrottleMiddleware
from tests.decorators import coroutine_test

from .helpers import FakeEngine, make_crawler

APP_URL = "https://app-api.pixiv.net/v1/illust/detail?illust_id=100000000"
WEB_URL = "https://www.pixiv.net/ajax/illust/100000000?lang=en"
DROPPED = "The crawl is closing: requests still waiting for a rate-limit pause or a retry backoff are dropped"


@pytest.fixture
def no_jitter(monkeypatch) -> None:
    monkeypatch.setattr(backoff, "random", types.SimpleNamespace(uniform=lambda low, high: 1.0))


def backoff_middleware(**settings) -> RetryBackoffMiddleware:
    crawler = make_crawler(**settings)
    crawler.engine = FakeEngine(lambda request: Response(request.url))
    return build_from_crawler(RetryBackoffMiddleware, crawler)


def retried(attempt: int, url: str = APP_URL) -> Request:
    """A request as Scrapy's RetryMiddleware resends it for the ``attempt``-th time."""
    return Request(url, meta={"retry_times": attempt}, dont_filter=True)


@pytest.mark.parametrize("attempt", [1, 2, 3, 5])
@coroutine_test
async def test_a_retried_request_backs_off_exponentially(clock, no_jitter, attempt):
    base = 0.5
    mw = backoff_middleware(PIXIV_RETRY_BACKOFF=base)
    assert await mw.process_request(retried(attempt)) is None
    expected = base * 2 ** (attempt - 1)
    assert sum(clock.sleeps) == expected  # in slices: a closing crawl is noticed while it waits
    assert max(clock.sleeps) <= throttle._POLL
    assert mw.crawler.stats.get_value("pixiv/retry/backoff_seconds") == expected


@coroutine_test
async def test_the_stat_sums_every_wait(clock, no_jitter):
    base = 1.0
    mw = backoff_middleware(PIXIV_RETRY_BACKOFF=base)
    for attempt in (1, 2, 3):
        await mw.process_request(retried(attempt))
    assert mw.crawler.stats.get_value("pixiv/retry/backoff_seconds") == base * (1 + 2 + 4) == clock.now - 1000.0


@coroutine_test
async def test_retry_backoff_jitter_stays_within_ten_percent(clock):
    base = 2.0
    mw = backoff_middleware(PIXIV_RETRY_BACKOFF=base)
    waits = []
    for _ in range(30):
        started = clock.now
        await mw.process_request(retried(1))
        waits.append(clock.now - started)
    assert all(base * 0.9 <= s <= base * 1.1 for s in waits) and len(set(waits)) > 1
    assert mw.crawler.stats.get_value("pixiv/retry/backoff_seconds") == pytest.approx(sum(waits), abs=0.02)


@coroutine_test
async def test_a_first_try_goes_at_once(clock):
    mw = backoff_middleware(PIXIV_RETRY_BACKOFF=5)
    for request in (Request(APP_URL), Request(WEB_URL, meta={"retry_times": 0})):
        assert await mw.process_request(request) is None
    assert clock.sleeps == []
    assert mw.crawler.stats.get_value("pixiv/retry/backoff_seconds") is None


@coroutine_test
async def test_a_retry_backoff_ends_when_the_spider_closes(clock, caplog):
    mw = backoff_middleware(PIXIV_RETRY_BACKOFF=10)
    mw.crawler.engine._slot = types.SimpleNamespace(closing=object())  # close_spider began
    with caplog.at_level(logging.INFO):
        for attempt in (3, 4):
            with pytest.raises(IgnoreRequest, match="closing"):
                await mw.process_request(retried(attempt))
    assert clock.sleeps == []
    assert mw.crawler.stats.get_value("pixiv/ratelimit/dropped_at_close") == 2
    assert [r.getMessage() for r in caplog.records if DROPPED in r.getMessage()] == [
        f"{DROPPED} (a resumed job fetches them)."]  # one line for all


@coroutine_test
async def test_a_long_backoff_is_dropped_within_a_poll_of_a_sigterm(clock):
    mw = backoff_middleware(PIXIV_RETRY_BACKOFF=600)
    stop_at = clock.now + 3

    class StoppingEngine(FakeEngine):
        @property
        def running(self) -> bool:
            return clock.now < stop_at

    mw.crawler.engine.__class__ = StoppingEngine
    with pytest.raises(IgnoreRequest, match="closing"):
        await mw.process_request(retried(1))
    assert 3 <= sum(clock.sleeps) <= 3 + throttle._POLL
    assert mw.crawler.stats.get_value("pixiv/ratelimit/dropped_at_close") == 1


@coroutine_test
async def test_a_pause_and_a_backoff_dropped_at_close_log_one_line(clock, caplog):
    """The throttle's pauses and the retry backoff drop their requests with one sentence per crawl."""
    mw = backoff_middleware(PIXIV_RETRY_BACKOFF=10, PIXIV_THROTTLE_BACKOFF_BASE=600)
    throttled = build_from_crawler(PixivThrottleMiddleware, mw.crawler)
    limited = Request(WEB_URL)
    await throttled.process_response(limited, Response(WEB_URL, status=429, request=limited))
    mw.crawler.engine._slot = types.SimpleNamespace(closing=object())
    with caplog.at_level(logging.INFO):
        with pytest.raises(IgnoreRequest, match="closing"):
            await throttled.wait_for_budget(limited)
        with pytest.raises(IgnoreRequest, match="closing"):
            await mw.process_request(retried(1))
    assert mw.crawler.stats.get_value("pixiv/ratelimit/dropped_at_close") == 2
    assert len([r for r in caplog.records if DROPPED in r.getMessage()]) == 1


@pytest.mark.parametrize("off", [0, "0", 0.0])
def test_a_zero_backoff_switches_the_middleware_off(clock, off):
    crawler = make_crawler(PIXIV_RETRY_BACKOFF=off)
    with pytest.raises(NotConfigured):
        build_from_crawler(RetryBackoffMiddleware, crawler)


def test_it_waits_where_the_throttle_did(clock):
    """Enabled after the headers and before auth adds the credentials, in the throttle's old place (540) on the
    way out: before Retry (550), which only sees responses."""
    order = make_crawler().settings.getdict("DOWNLOADER_MIDDLEWARES")
    mine = order["pixivcrawl.middlewares.backoff.RetryBackoffMiddleware"]
    assert order["pixivcrawl.middlewares.headers.PixivHeadersMiddleware"] < mine
    assert order["pixivcrawl.middlewares.throttle.PixivThrottleMiddleware"] <= mine < 550
    assert mine < order["pixivcrawl.middlewares.auth.PixivAuthMiddleware"]
