"""PixivThrottleMiddleware and its token-bucket Budget on a virtual clock: pacing, pauses, the rate learned
from a limit, pixiv's forms of "slow down" (429, the App API's "Rate Limit" body, Retry-After) and the
wait / skip / stop policies."""

from __future__ import annotations

import asyncio
import types
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.distributed.budget import SharedBudget
from pixivcrawl.middlewares import throttle
from pixivcrawl.middlewares.throttle import (
    Budget,
    PixivThrottleMiddleware,
    budget_for,
    is_rate_limited,
    retry_after,
)
from pixivcrawl.replica.app_objects import app_error
from tests.decorators import coroutine_test

from .helpers import FakeEngine, json_response, make_crawler

APP_URL = "https://app-api.pixiv.net/v1/illust/detail?illust_id=100000000"
WEB_URL = "https://www.pixiv.net/ajax/illust/100000000?lang=en"
CDN_URL = "https://i.pximg.net/img-original/img/2019/01/03/22/09/13/100000000_p0.jpg"


@pytest.fixture
def no_jitter(monkeypatch) -> None:
    monkeypatch.setattr(throttle, "random", types.SimpleNamespace(uniform=lambda low, high: 1.0))


def throttle_middleware(**settings) -> PixivThrottleMiddleware:
    crawler = make_crawler(**settings)
    crawler.engine = FakeEngine(lambda request: Response(request.url))
    return build_from_crawler(PixivThrottleMiddleware, crawler)


def limited_app_response(request: Request, status: int = 403) -> Response:
    """The App API's rate-limit answer (pixivcrawl.replica.app_api)."""
    return json_response(request.url, app_error("Rate Limit"), status=status, request=request)


# -- Budget ---------------------------------------------------------------------------------------------

@coroutine_test
async def test_budget_lets_a_burst_through_then_one_request_per_interval(clock):
    rate, burst, extra = 4.0, 3, 5
    budget = Budget("app", rate, burst)
    for _ in range(burst + extra):
        await budget.acquire()
    assert clock.sleeps == pytest.approx([1 / rate] * extra)


@coroutine_test
async def test_an_idle_budget_refills_up_to_its_burst(clock):
    rate, burst = 2.0, 3
    budget = Budget("web", rate, burst)
    for _ in range(burst):
        await budget.acquire()
    clock.now += 100  # long idle: the bucket holds ``burst`` tokens, not 200
    for _ in range(burst + 1):
        await budget.acquire()
    assert clock.sleeps == pytest.approx([1 / rate])


@coroutine_test
async def test_an_unlimited_budget_never_waits(clock):
    budget = Budget("cdn", 0.0, 1)
    for _ in range(50):
        await budget.acquire()
    assert clock.sleeps == []


@coroutine_test
async def test_a_paused_budget_waits_out_the_pause(clock):
    budget = Budget("app", 0.0, 1)
    pause = 30.0
    rate, added, new_event = await budget.limited(pause, window=60, safety=0.95)
    assert added == pause and rate == 0.0 and new_event
    shorter = await budget.limited(pause / 3, window=60, safety=0.95)
    assert shorter == (0.0, 0.0, True)  # within the running pause: nothing added
    await budget.acquire()
    assert clock.sleeps == [pause]


@coroutine_test
async def test_a_limit_learns_the_rate_pixiv_accepted_in_the_window(clock):
    window, safety, accepted = 60.0, 0.9, 12
    budget = Budget("app", 1.0, 1)
    for _ in range(accepted):
        await budget.succeeded(window)
        clock.now += 1
    rate, *_ = await budget.limited(10, window, safety)
    assert rate == pytest.approx(safety * accepted / window) and budget.rate == rate
    # without successes in the window the rate halves, but never below half what pixiv last accepted
    clock.now += 2 * window
    rate_after, *_ = await budget.limited(10, window, safety)
    assert rate_after == pytest.approx(accepted / window / 2) and rate_after > rate / 2


@coroutine_test
async def test_without_successes_the_rate_halves_down_to_the_floor(clock):
    floor = 0.3
    budget = Budget("web", 2.0, 1, floor=floor)
    rates = []
    for _ in range(4):
        rates.append((await budget.limited(1, 10, 0.95)).rate)
        clock.now += 5
    assert rates == pytest.approx([1.0, 0.5, floor, floor])
    # a floor above the configured rate does not raise it
    slow = Budget("web", 0.1, 1, floor=floor)
    assert (await slow.limited(1, 10, 0.95)).rate == 0.1


@coroutine_test
async def test_successes_older_than_the_window_do_not_count(clock):
    window = 10.0
    budget = Budget("web", 1.0, 1)
    for _ in range(5):
        await budget.succeeded(window)
    clock.now += window + 1
    await budget.succeeded(window)
    rate, *_ = await budget.limited(1, window, 1.0)
    assert rate == pytest.approx(1 / window)
    # and they are forgotten once no late limit can look back to them (two windows)
    for _ in range(5):
        await budget.succeeded(window)
    clock.now += 2 * window + 1
    await budget.succeeded(window)
    assert len(budget.successes) == 1


@coroutine_test
async def test_a_late_limit_counts_the_successes_before_its_request_was_sent(clock):
    """pixiv refused a request when it arrived: the successes in the window before that moment are what pixiv
    accepted, however late the refusal comes back."""
    window = 2.0
    budget = Budget("web", 10.0, 1)
    for _ in range(3):
        await budget.succeeded(window)
        clock.now += 0.5
    clock.now += 1.5  # the refused request was sent 0.5 s after the last success and answered 1.5 s later
    rate, *_ = await budget.limited(1, window, 1.0, age=1.5)
    assert rate == pytest.approx(3 / window)


@coroutine_test
async def test_a_success_counts_from_when_it_was_sent(clock):
    """An answer that comes back late (a busy machine) is counted when its request left, as pixiv counted it."""
    window = 2.0
    budget = Budget("web", 10.0, 1)
    await budget.succeeded(window, age=2.5)  # sent before the window, answered in it
    await budget.succeeded(window, age=0.5)
    await budget.succeeded(window)
    rate, *_ = await budget.limited(1, window, 1.0)
    assert rate == pytest.approx(2 / window)


# -- recognising limits ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "body", "limited"), [
    (429, b"", True),
    (403, app_error("Rate Limit"), True),
    (400, app_error("Rate Limit"), True),
    (200, app_error("Rate Limit"), True),
    (403, app_error("Forbidden"), False),
    (403, b"<html><title>Rate Limit</title></html>", False),
    (403, {"message": "Rate Limit"}, False),
    (200, {"illust": {"title": "Rate Limit"}}, False),
])
def test_pixivs_forms_of_slow_down(status, body, limited):
    response = json_response(APP_URL, body, status=status) if not isinstance(body, bytes) else \
        Response(APP_URL, status=status, body=body)
    assert is_rate_limited(response) is limited


def test_retry_after_in_seconds_or_as_a_date(clock):
    assert retry_after(Response(WEB_URL, headers={"Retry-After": "17"})) == 17.0
    when = datetime.fromtimestamp(clock.time() + 42, tz=UTC)
    assert retry_after(Response(WEB_URL, headers={"Retry-After": format_datetime(when, usegmt=True)})) == \
        pytest.approx(42, abs=1)
    assert retry_after(Response(WEB_URL, headers={"Retry-After": "soon"})) is None
    assert retry_after(Response(WEB_URL)) is None


@pytest.mark.parametrize(("url", "meta", "name"), [
    (APP_URL, {}, "app"), (WEB_URL, {}, "web"), (CDN_URL, {}, "cdn"),
    ("https://s.pximg.net/common/images/limit_unknown_360.png", {}, "cdn"),
    ("https://oauth.secure.pixiv.net/auth/token", {}, None), ("https://example.com/", {}, None),
    (APP_URL, {"pixiv_budget": None}, None), (CDN_URL, {"pixiv_budget": "web"}, "web"),
])
def test_budget_for_each_host(url, meta, name):
    assert budget_for(Request(url, meta=meta)) == name


# -- the middleware -------------------------------------------------------------------------------------

@coroutine_test
async def test_requests_wait_for_their_own_api_budget(clock):
    rate = 2.0
    mw = throttle_middleware(PIXIV_THROTTLE_APP_RATE=rate, PIXIV_THROTTLE_WEB_RATE=rate)
    for url in (APP_URL, WEB_URL):
        for n in range(3):
            await mw.wait_for_budget(Request(f"{url}&n={n}"))
    for n in range(5):
        await mw.wait_for_budget(Request(f"{CDN_URL}?n={n}"))
    await mw.wait_for_budget(Request("https://example.com/"))
    # each API: one request at once, then one per 1 / rate seconds (the web's first request does not wait for
    # the App API's); the CDN and other hosts are not paced
    assert clock.sleeps == pytest.approx([1 / rate] * 4)
    stats = mw.crawler.stats
    assert [stats.get_value(f"pixiv/budget/{api}/requests") for api in ("app", "web", "cdn")] == [3, 3, 5]


def test_the_budget_is_not_waited_for_before_the_download_slot(clock):
    """process_request runs before a request waits in its download slot: the throttle has none, the budget is
    waited for by the download handler (wait_for_budget) when the request goes on the wire (the retry backoff
    is pixivcrawl.middlewares.backoff's)."""
    mw = throttle_middleware()
    assert not hasattr(mw, "process_request")
    assert mw.crawler.stats.get_value("pixiv/budget/app/requests") is None


@coroutine_test
async def test_once_stopping_for_rate_limits_no_request_goes_out(clock, no_jitter):
    mw = throttle_middleware(PIXIV_THROTTLE_POLICY="stop", PIXIV_THROTTLE_STOP_AFTER=1, PIXIV_THROTTLE_BACKOFF_BASE=1)
    request = Request(WEB_URL)
    with pytest.raises(IgnoreRequest):
        await mw.process_response(request, Response(WEB_URL, status=429, request=request))
    with pytest.raises(IgnoreRequest, match="stopping"):
        await mw.wait_for_budget(Request(APP_URL))
    assert mw.crawler.stats.get_value("pixiv/budget/app/requests") is None
    await asyncio.sleep(0)  # the close runs as a task of its own
    assert mw.crawler.engine.closed == ["rate_limited"]


@coroutine_test
async def test_429_pauses_the_budget_and_the_request_is_retried(clock, no_jitter):
    base = 60.0
    mw = throttle_middleware(PIXIV_THROTTLE_BACKOFF_BASE=base)
    request = Request(WEB_URL, meta={"pixiv_ratelimit_retries": 2})
    retry = await mw.process_response(request, Response(WEB_URL, status=429, request=request))
    assert isinstance(retry, Request) and retry.url == WEB_URL and retry.dont_filter
    assert retry.meta["pixiv_ratelimit_retries"] == 3
    stats = mw.crawler.stats
    assert stats.get_value("pixiv/ratelimit/hits") == 1 and stats.get_value("pixiv/ratelimit/hits/web") == 1
    assert stats.get_value("pixiv/ratelimit/paused_seconds") == base
    assert stats.get_value("pixiv/budget/web/rate") == mw.budgets["web"].rate
    await mw.wait_for_budget(retry)
    assert sum(clock.sleeps) == pytest.approx(base)  # the retry waits for the pause
    await mw.wait_for_budget(Request(APP_URL))  # the other API is not paused
    assert sum(clock.sleeps) == pytest.approx(base)


@coroutine_test
async def test_app_api_rate_limit_body_on_403_is_a_limit(clock, no_jitter):
    mw = throttle_middleware()
    request = Request(APP_URL)
    retry = await mw.process_response(request, limited_app_response(request, 403))
    assert isinstance(retry, Request) and retry.meta["pixiv_ratelimit_retries"] == 1
    assert mw.crawler.stats.get_value("pixiv/ratelimit/hits/app") == 1
    # an App API 403 that is not about rate limits goes on to the spider
    other = json_response(APP_URL, app_error("Forbidden"), status=403, request=request)
    assert await mw.process_response(request, other) is other
    assert mw.crawler.stats.get_value("pixiv/ratelimit/hits") == 1


@coroutine_test
async def test_retry_after_decides_the_pause(clock):
    announced = 7
    mw = throttle_middleware(PIXIV_THROTTLE_BACKOFF_BASE=600)
    request = Request(WEB_URL)
    await mw.process_response(request, Response(WEB_URL, status=429, request=request,
                                                headers={"Retry-After": str(announced)}))
    assert mw.crawler.stats.get_value("pixiv/ratelimit/paused_seconds") == announced
    await mw.wait_for_budget(request)
    assert sum(clock.sleeps) == pytest.approx(announced)


@coroutine_test
async def test_consecutive_limits_double_the_pause_up_to_the_maximum(clock, no_jitter):
    base, cap = 10.0, 35.0
    mw = throttle_middleware(PIXIV_THROTTLE_BACKOFF_BASE=base, PIXIV_THROTTLE_BACKOFF_MAX=cap)
    pauses = []
    for _ in range(4):
        request = Request(WEB_URL)
        await mw.process_response(request, Response(WEB_URL, status=429, request=request))
        pauses.append(mw.budgets["web"].paused_until - clock.now)
    assert pauses == [base, 2 * base, min(cap, 4 * base), min(cap, 8 * base)]
    # a success ends the run of limits: the next pause is the base again
    ok = Request(WEB_URL)
    await mw.process_response(ok, Response(WEB_URL, status=200, request=ok))
    clock.now += cap
    await mw.process_response(ok, Response(WEB_URL, status=429, request=ok))
    assert mw.budgets["web"].paused_until - clock.now == base


@coroutine_test
async def test_skip_policy_drops_the_refused_request(clock):
    mw = throttle_middleware(PIXIV_THROTTLE_POLICY="skip")
    request = Request(APP_URL)
    with pytest.raises(IgnoreRequest, match="rate limited"):
        await mw.process_response(request, limited_app_response(request))
    assert mw.crawler.stats.get_value("pixiv/ratelimit/skipped_requests") == 1
    assert mw.crawler.engine.closed == []


@coroutine_test
async def test_stop_policy_retries_then_closes_the_spider(clock):
    stop_after = 3
    mw = throttle_middleware(PIXIV_THROTTLE_POLICY="stop", PIXIV_THROTTLE_STOP_AFTER=stop_after)
    outcomes = []
    for _ in range(stop_after + 1):
        request = Request(APP_URL)
        try:
            outcomes.append(type(await mw.process_response(request, limited_app_response(request))).__name__)
        except IgnoreRequest:
            outcomes.append("IgnoreRequest")
    assert outcomes == ["Request"] * (stop_after - 1) + ["IgnoreRequest", "IgnoreRequest"]
    await asyncio.sleep(0)  # the close is scheduled as a task
    assert mw.crawler.engine.closed == ["rate_limited"]  # once
    assert mw.crawler.stats.get_value("pixiv/ratelimit/hits") == stop_after + 1


@coroutine_test
async def test_successful_responses_are_counted_in_the_window(clock):
    mw = throttle_middleware()
    for status in (200, 301, 404, 500):
        request = Request(APP_URL)
        response = Response(APP_URL, status=status, request=request)
        assert await mw.process_response(request, response) is response
    assert len(mw.budgets["app"].successes) == 2  # 2xx and 3xx


@pytest.mark.parametrize(("settings", "message"), [
    ({"PIXIV_THROTTLE_POLICY": "pause"}, "PIXIV_THROTTLE_POLICY must be one of wait, skip, stop"),
    ({"PIXIV_THROTTLE_APP_RATE": -1}, "request rates are 0 .unlimited. or more"),
])
def test_bad_settings_are_refused(settings, message, clock):
    with pytest.raises(ValueError, match=message):
        throttle_middleware(**settings)


def test_with_redis_the_budgets_are_shared_and_named_by_a_digest(clock):
    token, session = "refresh-secret-1", "55_session-secret"
    mw = throttle_middleware(PIXIV_REDIS_URL="redis://127.0.0.1:1/0", PIXIV_REDIS_PREFIX="t",
                             PIXIV_REFRESH_TOKEN=token, PIXIV_PHPSESSID=session)
    assert {name: type(b) for name, b in mw.budgets.items()} == dict.fromkeys(("app", "web", "cdn"), SharedBudget)
    keys = {name: b.key for name, b in mw.budgets.items()}
    assert keys["cdn"] == "t:budget:cdn:all"
    assert keys["app"].startswith("t:budget:app:") and keys["web"].startswith("t:budget:web:")
    assert not any(token in k or session in k for k in keys.values())


# -- limit events, floor, recovery, shutdown ------------------------------------------------------------

@coroutine_test
async def test_answers_to_requests_sent_before_the_pause_belong_to_its_event(clock, no_jitter):
    """Eight requests in flight are refused together: one limit event (one pause, one lower rate), eight hits. A
    request sent after the pause that is refused again is a new event: the pause doubles, and the rate is learned
    from the successes still in the window (the history is not cleared), not halved."""
    base, window, safety, accepted = 5.0, 10.0, 0.9, 20
    mw = throttle_middleware(PIXIV_THROTTLE_BACKOFF_BASE=base, PIXIV_THROTTLE_WINDOW=window,
                             PIXIV_THROTTLE_SAFETY=safety, PIXIV_THROTTLE_WEB_RATE=50)
    for _ in range(accepted):
        ok = Request(WEB_URL)
        await mw.answered(ok, Response(WEB_URL, status=200, request=ok), 0.1)
        clock.now += 0.1
    in_flight = [Request(f"{WEB_URL}&n={n}") for n in range(8)]
    for n, request in enumerate(in_flight):  # answered one after another, all sent before the first came back
        clock.now += 0.01
        await mw.answered(request, Response(WEB_URL, status=429, request=request), 0.2 + 0.01 * n)
    stats, budget = mw.crawler.stats, mw.budgets["web"]
    assert stats.get_value("pixiv/ratelimit/hits") == 8 and stats.get_value("pixiv/ratelimit/events") == 1
    assert stats.get_value("pixiv/ratelimit/events/web") == 1
    assert stats.get_value("pixiv/ratelimit/paused_seconds") == base
    learned = safety * accepted / window
    assert budget.rate == pytest.approx(learned) and budget.consecutive_limits == 1
    for request in in_flight:  # each is retried after the one pause
        assert isinstance(await mw.process_response(request, Response(WEB_URL, status=429, request=request)),
                          Request)
    await mw.wait_for_budget(in_flight[0])
    resumed = clock.now
    again = Request(WEB_URL)
    await mw.answered(again, Response(WEB_URL, status=429, request=again), 0.05)
    assert stats.get_value("pixiv/ratelimit/events") == 2 and stats.get_value("pixiv/ratelimit/hits") == 9
    assert budget.paused_until - clock.now == pytest.approx(2 * base)
    assert budget.rate == pytest.approx(learned)  # the same 20 successes are still in the window
    assert clock.now - resumed < window


@coroutine_test
async def test_the_rate_climbs_back_after_a_quiet_spell(clock):
    """After a limit, every PIXIV_THROTTLE_RECOVERY seconds without one the rate steps up by PIXIV_THROTTLE_INCREASE ×
    the rate pixiv accepted, up to the configured rate and no further; a new limit starts the quiet spell again."""
    window, recovery, increase, configured = 10.0, 30.0, 0.25, 3.0
    mw = throttle_middleware(PIXIV_THROTTLE_WINDOW=window, PIXIV_THROTTLE_RECOVERY=recovery,
                             PIXIV_THROTTLE_INCREASE=increase, PIXIV_THROTTLE_APP_RATE=configured,
                             PIXIV_THROTTLE_BACKOFF_BASE=1)
    budget = mw.budgets["app"]

    async def succeed_for(seconds: float) -> None:
        end = clock.now + seconds
        while clock.now < end:
            ok = Request(APP_URL)
            await mw.answered(ok, Response(APP_URL, status=200, request=ok), 0.0)
            clock.now += 0.5

    await succeed_for(window)  # 20 accepted in the window: 2 requests/s
    refused = Request(APP_URL)
    await mw.answered(refused, limited_app_response(refused), 0.0)
    learned = budget.rate
    assert learned == pytest.approx(0.95 * 2.0)
    await succeed_for(recovery - 1)
    assert budget.rate == learned  # not quiet long enough yet
    await succeed_for(2)
    step = increase * 2.0
    assert budget.rate == pytest.approx(learned + step)
    assert mw.crawler.stats.get_value("pixiv/ratelimit/increases") == 1
    assert mw.crawler.stats.get_value("pixiv/budget/app/rate") == pytest.approx(learned + step, abs=1e-3)
    await succeed_for(3 * recovery)
    assert budget.rate == configured  # climbed back, capped at the configured rate
    assert mw.crawler.stats.get_value("pixiv/ratelimit/increases") == 3  # 1.9 + 0.5 + 0.5, then 3.0


@coroutine_test
async def test_a_pause_ends_when_the_crawl_closes(clock):
    """SIGTERM during a 10-minute pause: the engine stops running, the waiting request is dropped within a poll
    and the engine can close."""
    mw = throttle_middleware(PIXIV_THROTTLE_BACKOFF_BASE=600)
    request = Request(WEB_URL)
    await mw.process_response(request, Response(WEB_URL, status=429, request=request))
    stop_at = clock.now + 3

    class StoppingEngine(type(mw.crawler.engine)):
        @property
        def running(self) -> bool:
            return clock.now < stop_at

    mw.crawler.engine.__class__ = StoppingEngine
    with pytest.raises(IgnoreRequest, match="closing"):
        await mw.wait_for_budget(request)
    assert 3 <= sum(clock.sleeps) <= 3 + throttle._POLL
    assert mw.crawler.stats.get_value("pixiv/ratelimit/dropped_at_close") == 1


@pytest.mark.parametrize(("settings", "message"), [
    ({"PIXIV_THROTTLE_FLOOR": -1}, "request rates are 0"),
    ({"PIXIV_THROTTLE_INCREASE": -0.1}, "PIXIV_THROTTLE_INCREASE and PIXIV_THROTTLE_RECOVERY are 0 .off. or more"),
])
def test_bad_recovery_settings_are_refused(settings, message, clock):
    with pytest.raises(ValueError, match=message):
        throttle_middleware(**settings)
