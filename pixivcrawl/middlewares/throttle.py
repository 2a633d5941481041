"""Per-account, per-API request budgets that stay inside pixiv's limits, and back off when pixiv says so.

Budgets (token buckets): ``app`` (app-api.pixiv.net), ``web`` (www.pixiv.net) and ``cdn`` (i.pximg.net,
s.pximg.net), each ``PIXIV_THROTTLE_APP_RATE`` / ``PIXIV_THROTTLE_WEB_RATE`` / ``PIXIV_THROTTLE_CDN_RATE``
requests per second (0: unlimited; default one per second for the APIs, unlimited for the CDN) with a burst of
``PIXIV_THROTTLE_BURST``. A request waits for its budget just before it is sent: in the download handler
(pixivcrawl.mirror), after its download slot let it go, so that a pause holds every request not yet on the wire.
With ``PIXIV_REDIS_URL`` the budgets live in Redis, shared by every worker using the same account
(pixivcrawl.distributed.budget).

"Slow down" is recognised in every form pixiv uses: HTTP 429, the App API's ``Rate Limit`` error body
(whatever its status, 403 included). A limit answer to a request sent before the current limit event began
belongs to that event (requests in flight are refused together): it is counted in ``pixiv/ratelimit/hits`` and
retried, nothing more. Any other starts a new event (``pixiv/ratelimit/events``): the whole budget pauses — for
``Retry-After`` when pixiv sends it, else ``PIXIV_THROTTLE_BACKOFF_BASE`` seconds doubling with each consecutive
event (plus up to 20% jitter, never less, since pixiv's window must clear; at most ``PIXIV_THROTTLE_BACKOFF_MAX``)
— and its rate drops to what pixiv accepted: the requests sent in the ``PIXIV_THROTTLE_WINDOW`` seconds before the
refused one that succeeded, times ``PIXIV_THROTTLE_SAFETY`` (none: half the rate), never below
``PIXIV_THROTTLE_FLOOR`` or half the rate pixiv last accepted. After ``PIXIV_THROTTLE_RECOVERY`` seconds without
an event the rate climbs by ``PIXIV_THROTTLE_INCREASE`` × the rate accepted at the event, once per such quiet
spell, back up to the configured rate. ``PIXIV_THROTTLE_POLICY`` decides what happens to the refused request:
``wait`` (default: retried after the pause), ``skip`` (dropped, counted) or ``stop`` (retried like ``wait``, but
the spider closes with reason ``rate_limited`` after ``PIXIV_THROTTLE_STOP_AFTER`` consecutive events). A request
waiting out a pause is dropped when the crawl closes (SIGTERM, SIGINT, CloseSpider), so a pause never holds up a
shutdown (:func:`wait_unless_closing`, which the retry backoff of pixivcrawl.middlewares.backoff uses too).

Stats: ``pixiv/ratelimit/hits``, ``pixiv/ratelimit/events``, ``pixiv/ratelimit/increases``,
``pixiv/ratelimit/paused_seconds``, ``pixiv/ratelimit/dropped_at_close``, ``pixiv/budget/<api>/requests``,
``pixiv/budget/<api>/rate``. ``Request.meta["pixiv_budget"]`` picks a budget (``None``: none).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime

import orjson
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from pixivcrawl.distributed.budget import Limit, shared_budgets
from pixivcrawl.endpoints import api_of, endpoint_of
from pixivcrawl.exceptions import GivenUp

logger = logging.getLogger(__name__)

POLICIES = ("wait", "skip", "stop")
#: seconds between looks at whether the crawl is closing while a request waits out a pause or a backoff
_POLL = 0.5
#: Request.meta key: the download handler already told the budget about this answer (value: was it a limit)
_ANSWERED = "_pixiv_budget_answered"


def budget_for(request: Request) -> str | None:
    """The budget ``request`` waits for: ``meta["pixiv_budget"]`` when set (None: none), else its endpoint's
    ``budget``, else its API's (pixivcrawl.endpoints), else None (not a pixiv API)."""
    if "pixiv_budget" in request.meta:
        return request.meta["pixiv_budget"]
    endpoint = endpoint_of(request)
    if endpoint is not None:
        return endpoint.budget
    api = api_of(request)
    return api.budget if api is not None else None


def is_rate_limited(response: Response) -> bool:
    """pixiv's ways of saying "slow down": 429, or the App API's "Rate Limit" error body."""
    if response.status == 429:
        return True
    if b"Rate Limit" not in response.body[:400]:
        return False
    try:
        error = orjson.loads(response.body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("message") == "Rate Limit"


def retry_after(response: Response) -> float | None:
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class Budget:
    """A token bucket of this process that can be paused as a whole (pixivcrawl.distributed.budget has the
    same interface, shared by workers in Redis).

    ``rate`` is the configured rate (requests/s, 0: unlimited) until pixiv refuses a request; then it is the
    learned one. ``floor`` (requests/s) is the least a limit can lower it to (and half the rate pixiv last
    accepted); after ``recovery`` seconds without a limit it climbs by ``increase`` × the rate pixiv accepted at that
    limit, once per ``recovery`` seconds, back up to the configured rate (``recovery`` 0: never)."""

    def __init__(self, name: str, rate: float, burst: float, *, floor: float = 0.0, increase: float = 0.0,
                 recovery: float = 0.0) -> None:
        self.name = name
        self.configured = rate
        self.rate = rate  # requests per second; 0 = unlimited
        self.burst = max(1.0, burst)
        self.floor = floor
        self.increase = increase
        self.recovery = recovery
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.paused_until = 0.0
        self.event_at = -math.inf  # when the current limit event began (its pause started)
        self.accepted_rate = 0.0  # the last rate pixiv accepted (requests/s): a limit event's count, or a quiet run
        self.changed = -math.inf  # when the rate last changed (a limit event or a step up)
        self.step = 0.0  # requests/s added after each quiet spell: ``increase`` × the rate accepted at the last event
        self.consecutive_limits = 0  # limit events without a success in between
        self.successes: deque[float] = deque()

    def take(self) -> float:
        """Take a token if the budget lets a request go now (returns 0), else the seconds to wait first."""
        now = time.monotonic()
        if now < self.paused_until:
            return self.paused_until - now
        if self.rate <= 0:
            return 0.0
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    async def acquire(self, sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        """Wait until the budget lets a request go (``sleep``: how to wait, default asyncio.sleep)."""
        while (wait := self.take()) > 0:
            await (sleep or asyncio.sleep)(wait)

    async def succeeded(self, window: float, age: float = 0.0) -> float | None:
        """A request sent ``age`` seconds ago was accepted. Successes are counted by when they were sent, which is
        close to when pixiv counted them; the answer can come back much later on a busy machine, and counting
        it then would learn a rate above pixiv's limit. Returns the new rate when this success ended a quiet
        spell of ``recovery`` seconds and the rate stepped up, else None."""
        now = time.monotonic()
        sent = now - age
        self.successes.append(sent)
        while self.successes and self.successes[0] < now - 2 * window:  # kept longer: a late limit looks back
            self.successes.popleft()
        if sent >= self.event_at:  # an answer to a request sent before the limit event does not end it
            self.consecutive_limits = 0
        if (self.recovery <= 0 or self.step <= 0 or now - self.changed < self.recovery
                or now < self.paused_until or self.rate <= 0 or self.rate == self.configured):
            return None
        self.accepted_rate = max(self.accepted_rate, self.rate)  # it ran a quiet spell: pixiv accepts it
        raised = self.rate + self.step
        self.rate = raised if self.configured <= 0 else min(self.configured, raised)
        self.changed = now
        return self.rate

    async def limited(self, pause: float, window: float, safety: float, age: float = 0.0) -> Limit:
        """A rate limit on a request sent ``age`` seconds ago.

        A request sent before the current limit event began belongs to that event: nothing changes. Otherwise
        it is a new event: the rate becomes ``safety`` × what pixiv accepted in the ``window`` seconds before the
        request was sent (what pixiv counted when it refused), or half the rate when nothing was accepted — never
        below ``floor`` or half the rate pixiv last accepted, never above the rate before — and the budget pauses
        ``pause`` seconds."""
        now = time.monotonic()
        sent = now - age
        if sent < self.event_at:
            return Limit(self.rate, 0.0, False)
        accepted = sum(1 for t in self.successes if t >= sent - window)
        before = self.rate
        if accepted:
            self.accepted_rate = accepted / window
            learned = safety * self.accepted_rate
        else:
            learned = before / 2  # unlimited (0) stays unlimited: nothing to learn from
        if learned > 0:
            learned = max(learned, self.floor, self.accepted_rate / 2)
            self.rate = learned if before <= 0 else min(before, learned)
            self.tokens = min(self.tokens, 1.0)
        self.step = self.increase * (self.accepted_rate or self.rate)
        self.event_at = self.changed = now
        self.consecutive_limits += 1
        added = max(0.0, now + pause - max(now, self.paused_until))
        self.paused_until = max(self.paused_until, now + pause)
        return Limit(self.rate, added, True)


class PixivThrottleMiddleware:
    """The budgets of a crawl and what pixiv's rate limits teach them (see the module's docstring). It has no
    ``process_request``: the download handler (pixivcrawl.mirror) calls :meth:`wait_for_budget` when a request
    goes on the wire and :meth:`answered` when its answer arrives; :meth:`process_response` (at 540, after Retry)
    applies ``PIXIV_THROTTLE_POLICY`` to a refused request. Bad values raise ValueError naming the setting."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        burst = s.getfloat("PIXIV_THROTTLE_BURST", 1.0)
        rates = {"app": (_rate(s.get("PIXIV_THROTTLE_APP_RATE"), 1.0), burst),
                 "web": (_rate(s.get("PIXIV_THROTTLE_WEB_RATE"), 1.0), burst),
                 "cdn": (_rate(s.get("PIXIV_THROTTLE_CDN_RATE"), 0.0),
                         max(burst, s.getint("PIXIV_CDN_CONCURRENCY", 8)))}
        self.window = s.getfloat("PIXIV_THROTTLE_WINDOW", 60.0)
        self.safety = s.getfloat("PIXIV_THROTTLE_SAFETY", 0.95)
        recovery = s.get("PIXIV_THROTTLE_RECOVERY")
        rules = {"floor": _rate(s.get("PIXIV_THROTTLE_FLOOR"), 0.05),
                 "increase": s.getfloat("PIXIV_THROTTLE_INCREASE", 0.05),
                 "recovery": 10 * self.window if recovery in (None, "") else float(recovery)}
        if rules["increase"] < 0 or rules["recovery"] < 0:
            raise ValueError("PIXIV_THROTTLE_INCREASE and PIXIV_THROTTLE_RECOVERY are 0 (off) or more, not "
                             f"{rules['increase']} and {rules['recovery']}")
        self.budgets = shared_budgets(s, rates, rules, crawler) or {
            name: Budget(name, *rate, **rules) for name, rate in rates.items()}
        self.policy = s.get("PIXIV_THROTTLE_POLICY", "wait")
        if self.policy not in POLICIES:
            raise ValueError(f"PIXIV_THROTTLE_POLICY must be one of {', '.join(POLICIES)}, not {self.policy!r}")
        self.stop_after = s.getint("PIXIV_THROTTLE_STOP_AFTER", 3)
        self.backoff_base = s.getfloat("PIXIV_THROTTLE_BACKOFF_BASE", 60.0)
        self.backoff_max = s.getfloat("PIXIV_THROTTLE_BACKOFF_MAX", 900.0)
        self._sleep = functools.partial(wait_unless_closing, crawler)
        self._stopping = False
        self._closing: asyncio.Task | None = None  # the close_spider task, kept so it is not collected mid-run

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    async def wait_for_budget(self, request: Request) -> None:
        """Wait until ``request``'s budget lets it go. Called by the download handler just before the request is
        sent, after it left its download slot's queue: a pause holds every request that is not on the wire yet.

        Raises IgnoreRequest once the crawl is stopping for rate limits (nothing more goes to pixiv), and when the
        crawl closes (SIGTERM, SIGINT, CloseSpider) while the request waits: a pause never holds up a shutdown."""
        name = budget_for(request)
        if name is None:
            return
        await self.budgets[name].acquire(self._sleep)
        if self._stopping:
            raise IgnoreRequest("rate limited (stopping)")
        self.stats.inc_value(f"pixiv/budget/{name}/requests")

    async def answered(self, request: Request, response: Response, age: float) -> None:
        """Called by the download handler as soon as an answer arrives (``age``: seconds since the request was
        sent), before the download slot lets its next request go: the budget learns of a success or a rate limit
        at once, so a limit pauses it before another request can leave. process_response then decides what
        happens to a refused request."""
        name = budget_for(request)
        if name is not None:
            request.meta[_ANSWERED] = await self._account(self.budgets[name], response, age)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        name = budget_for(request)
        if name is None:
            return response
        budget = self.budgets[name]
        limited = request.meta.pop(_ANSWERED, None)
        if limited is None:  # not downloaded through pixivcrawl's handler: the budget learns of it only now
            limited = await self._account(budget, response)
        if not limited:
            return response
        return self._refused(request, budget)

    async def _account(self, budget, response: Response, age: float = 0.0) -> bool:
        """Record ``response`` (to a request sent ``age`` seconds ago) in ``budget``: a success (which may step
        the rate up after a quiet spell), or a rate limit (a new limit event pauses the budget and lowers its rate;
        an answer to a request sent before the current event began only counts as a hit). Returns whether it
        was a rate limit."""
        if not is_rate_limited(response):
            if 200 <= response.status < 400:
                raised = await budget.succeeded(self.window, age)
                if raised is not None:
                    self.stats.inc_value("pixiv/ratelimit/increases")
                    self.stats.set_value(f"pixiv/budget/{budget.name}/rate", round(raised, 3))
                    logger.info("No rate limit on the %s API for %.0f s: %.2f requests/s.", budget.name,
                                budget.recovery, raised)
            return False
        self.stats.inc_value("pixiv/ratelimit/hits")
        self.stats.inc_value(f"pixiv/ratelimit/hits/{budget.name}")
        announced = retry_after(response)
        pause = announced if announced is not None else min(
            self.backoff_max, self.backoff_base * 2 ** budget.consecutive_limits * random.uniform(1.0, 1.2))
        limit = await budget.limited(pause, self.window, self.safety, age)
        if not limit.new_event:  # sent before the current event's pause began: that event's, already paid for
            return True
        self.stats.inc_value("pixiv/ratelimit/events")
        self.stats.inc_value(f"pixiv/ratelimit/events/{budget.name}")
        self.stats.set_value(f"pixiv/budget/{budget.name}/rate", round(limit.rate, 3))
        if limit.added > 0:
            self.stats.inc_value("pixiv/ratelimit/paused_seconds", round(limit.added, 3))
        logger.warning("pixiv rate limit on the %s API (HTTP %s): pausing it %.1f s, then %.2f requests/s.",
                       budget.name, response.status, pause, limit.rate)
        return True

    def _refused(self, request: Request, budget) -> Request:
        """What PIXIV_THROTTLE_POLICY does with a request pixiv refused for rate limits: a retry request, or
        IgnoreRequest."""
        if self.policy == "stop" and budget.consecutive_limits >= self.stop_after and not self._stopping:
            self._stopping = True
            logger.error("Stopping: pixiv refused %d requests in a row for rate limits (PIXIV_THROTTLE_POLICY=stop).",
                         budget.consecutive_limits)
            self._closing = asyncio.get_running_loop().create_task(
                self.crawler.engine.close_spider_async(reason="rate_limited"))
            raise IgnoreRequest("rate limited")
        if self.policy in ("wait", "stop") and not self._stopping:  # "stop" waits until its limit of limits
            retry = request.replace(dont_filter=True)
            retry.meta["pixiv_ratelimit_retries"] = request.meta.get("pixiv_ratelimit_retries", 0) + 1
            return retry
        self.stats.inc_value("pixiv/ratelimit/skipped_requests")
        raise IgnoreRequest(f"rate limited ({self.policy})")


def crawl_closing(crawler: Crawler) -> bool:
    """Whether the crawl is closing: the engine stopped (SIGTERM, SIGINT) or its spider is closing."""
    engine = crawler.engine
    if engine is None:
        return False
    slot = getattr(engine, "_slot", None)  # Scrapy 2.19 has no signal for "closing began"
    return getattr(engine, "running", True) is False or getattr(slot, "closing", None) is not None


async def wait_unless_closing(crawler: Crawler, seconds: float) -> None:
    """Sleep ``seconds`` (a rate-limit pause, or a retry backoff of pixivcrawl.middlewares.backoff), looking every
    ``_POLL`` seconds whether the crawl is closing; then raise GivenUp (an IgnoreRequest): the request is dropped
    (a resumed job walks its listings again) and the engine can close. Each drop counts in
    ``pixiv/ratelimit/dropped_at_close``; the first of a crawl logs one WARNING line for all."""
    end = time.monotonic() + seconds
    while True:
        if crawl_closing(crawler):
            first = not crawler.stats.get_value("pixiv/ratelimit/dropped_at_close")
            crawler.stats.inc_value("pixiv/ratelimit/dropped_at_close")
            if first:
                logger.warning("The crawl is closing: requests still waiting for a rate-limit pause or a retry "
                               "backoff are dropped (a resumed job fetches them).")
            raise GivenUp("the crawl is closing")
        left = end - time.monotonic()
        if left <= 0:
            return
        await asyncio.sleep(min(left, _POLL))


def _rate(value, default: float) -> float:
    if value in (None, ""):
        return default
    rate = float(value)
    if rate < 0:
        raise ValueError(f"request rates are 0 (unlimited) or more per second, not {rate}")
    return rate
