"""OAuth bearer auth for the App API and cookie auth for the web Ajax API.

- App API (``app-api.pixiv.net``): the refresh token is exchanged at ``/auth/token`` for an access token,
  which is refreshed ``PIXIV_AUTH_REFRESH_MARGIN`` seconds before it expires — never earlier than
  ``TOKEN_MARGIN_SHARE`` of the lifetime pixiv gave it before expiry, so a short-lived token is still used for
  most of its life rather than refreshed before every request — and again when pixiv answers with its OAuth
  error; the refused request is then retried once. Concurrent requests share one refresh.
  A refresh that fails for a reason that may pass (5xx, reset, timeout, an HTML page or another body that is
  not the token JSON, whatever its status) is tried again ``RETRY_TIMES`` times with ``PIXIV_RETRY_BACKOFF``
  backoff while the requests that need the token wait; only pixiv's refusal of the refresh token
  (``invalid_grant``, code 1508) stops the crawl at once (``auth_failed``). A whole round of failed tries stops
  it too, in one sentence, with reason ``blocked`` (the last answer was a page) or ``auth_unavailable`` ("Could not
  reach pixiv: …" when the last try got no answer: refused, reset, timed out). The requests waiting for that round, and
  every later one, fail at once (``pixiv/errors/no_access_token``).
- Web (``www.pixiv.net``): the ``PHPSESSID`` cookie is added.

Which credential a request gets is its API's ``credential`` (pixivcrawl.endpoints.api_of: ``"bearer"`` for the
App API, ``"cookie"`` for the web, none for OAuth and the CDN); the token refresh is the catalogue's
``oauth_token`` endpoint.

Credentials are added as the very last step before the download and removed from the request as soon
as the response (or error) comes back, so they never reach the scheduler, JOBDIR, logs, stats or items.

Spiders declare what they need in ``pixiv_credentials`` (``"refresh_token"``, ``"phpsessid"``); a spider
whose credential is missing is closed at start (reason ``missing_credentials``) with one sentence saying
what to set. ``Request.meta["pixiv_auth"] = False`` sends a request without credentials.

A spider that needs the account's own pixiv user id (``bookmarks`` without ``user_id``) asks
:meth:`PixivAuthMiddleware.account_user_id`: the token endpoint's answer names the account (``user.id``), so
the id comes with the first token and never needs a request of its own; the token itself is never handed out.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import NoReturn
from urllib.parse import urlencode

import orjson
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from pixivcrawl.credentials import Credentials, CredentialsError, load_credentials
from pixivcrawl.endpoints import OAUTH_TOKEN, api_of
from pixivcrawl.exceptions import NoAccessToken
from pixivcrawl.middlewares.bodycheck import describe, from_cloudflare
from pixivcrawl.middlewares.throttle import retry_after
from pixivcrawl.protocol import CLIENT_ID, CLIENT_SECRET

logger = logging.getLogger(__name__)

#: the most of an access token's lifetime (``expires_in``) the refresh margin may take: a token is refreshed no
#: earlier than min(PIXIV_AUTH_REFRESH_MARGIN, lifetime × TOKEN_MARGIN_SHARE) seconds before it expires
TOKEN_MARGIN_SHARE = 0.25

_HOW_TO = {
    "refresh_token": "set PIXIV_REFRESH_TOKEN (environment or -s) or run `pixivcrawl login`",
    "phpsessid": "set PIXIV_PHPSESSID (environment or -s) or run `pixivcrawl login --cookie`",
}


class PixivAuthMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.margin = crawler.settings.getfloat("PIXIV_AUTH_REFRESH_MARGIN", 60.0)
        self._credentials_error: CredentialsError | None = None
        try:
            self.credentials = load_credentials(crawler.settings)
        except CredentialsError as exc:
            self._credentials_error = exc
            self.credentials = Credentials()
        self._token: str | None = None
        self._refresh_at = 0.0  # monotonic time from which the current token is refreshed before use
        self._margin_capped = False  # the capped margin was logged once
        self._generation = 0
        self._lock: asyncio.Lock | None = None
        self._given_up: str | None = None  # why no token can be had (the crawl is stopping)
        self._user_id: int | None = None  # the account's pixiv user id, from the token answer's user.id
        self._closing: asyncio.Task | None = None  # the close_spider task, kept so it is not collected mid-run
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    # -- start-up check ------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        needed = tuple(getattr(spider, "pixiv_credentials", ()))
        if not needed:
            return
        if self._credentials_error is not None:
            logger.error("%s", self._credentials_error)
            self.crawler.stats.set_value("pixiv/auth/credentials_error", 1)
            raise CloseSpider("missing_credentials")
        for name in needed:
            if getattr(self.credentials, name) is None:
                logger.error("The %s spider needs a pixiv %s: %s.", spider.name, name.replace("_", " "),
                             _HOW_TO[name])
                self.crawler.stats.set_value("pixiv/auth/missing_credential", name)
                raise CloseSpider("missing_credentials")

    # -- requests ------------------------------------------------------------------------------------

    async def process_request(self, request: Request) -> None:
        try:
            await self.authorize(request)
        except NoAccessToken:  # the crawl is stopping: the request is lost for want of a token
            self.crawler.stats.inc_value("pixiv/errors/no_access_token")
            raise

    async def authorize(self, request: Request) -> None:
        """Put the credentials on ``request``: the current access token for the App API, the ``PHPSESSID``
        cookie for the web. Called by process_request, and again by the download handler (pixivcrawl.mirror)
        just before the request goes on the wire: a request can wait for its slot and its budget longer than an
        access token lives, so the token is replaced by the one current at that moment (refreshed if needed)."""
        if request.meta.get("pixiv_auth") is False:
            return
        credential = _credential(request)
        if credential == "bearer" and self.credentials.refresh_token is not None:
            token, generation = await self._access_token()
            request.headers["Authorization"] = f"Bearer {token}"
            request.meta["_pixiv_token_generation"] = generation
        elif (credential == "cookie" and self.credentials.phpsessid is not None
              and not request.meta.get("_pixiv_cookie")):
            session = f"PHPSESSID={self.credentials.phpsessid.reveal()}"
            existing = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{existing.decode()}; {session}" if existing else session
            request.meta["_pixiv_cookie"] = True

    def _strip(self, request: Request) -> None:
        request.headers.pop("Authorization", None)
        if request.meta.pop("_pixiv_cookie", False):
            request.headers.pop("Cookie", None)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        self._strip(request)
        if response.status not in (400, 401) or _credential(request) != "bearer":  # OAuth replay: App API only
            return response
        if b"OAuth" not in response.body[:2048]:
            return response
        self.crawler.stats.inc_value("pixiv/auth/rejected_bearer")
        generation = request.meta.get("_pixiv_token_generation")
        if generation == self._generation:
            self._token = None  # make the next request refresh, once
        if request.meta.get("pixiv_auth_retried"):
            logger.error("pixiv refused a fresh access token for %s; giving up on this request", request.url)
            self.crawler.stats.inc_value("pixiv/auth/failed_requests")
            return response
        self.crawler.stats.inc_value("pixiv/auth/retried_requests")
        retry = request.replace(dont_filter=True)
        retry.meta["pixiv_auth_retried"] = True
        retry.meta.pop("_pixiv_token_generation", None)
        return retry

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._strip(request)

    # -- tokens --------------------------------------------------------------------------------------

    async def account_user_id(self) -> int | None:
        """The pixiv user id of the account whose refresh token this crawl uses: the ``user.id`` of the token
        endpoint's answer (``POST /auth/token``; pixiv sends it as a string), fetching a token first when none is
        current. None without a refresh token, or when the answer names no user. Raises NoAccessToken when no
        token can be had (pixiv refused the refresh token, or could not be reached: the crawl is stopping)."""
        if self.credentials.refresh_token is None:
            return None
        await self._access_token()
        return self._user_id

    async def _access_token(self) -> tuple[str, int]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._valid():
            return self._token, self._generation  # type: ignore[return-value]
        async with self._lock:
            if not self._valid():  # another request may have refreshed while we waited
                await self._refresh()
            return self._token, self._generation  # type: ignore[return-value]

    def _valid(self) -> bool:
        return self._token is not None and time.monotonic() < self._refresh_at

    def _refresh_margin(self, lifetime: float) -> float:
        """Seconds before expiry at which a token that lives ``lifetime`` seconds is refreshed:
        ``PIXIV_AUTH_REFRESH_MARGIN``, but no more than ``TOKEN_MARGIN_SHARE`` of ``lifetime``."""
        cap = lifetime * TOKEN_MARGIN_SHARE
        if self.margin <= cap:
            return self.margin
        if not self._margin_capped:
            self._margin_capped = True
            logger.info("pixiv's access tokens live %g s, no more than PIXIV_AUTH_REFRESH_MARGIN (%g s) allows for: "
                        "each is refreshed %g s before it expires", lifetime, self.margin, cap)
        return cap

    async def _refresh(self) -> None:
        """Get a new access token from pixiv's token endpoint (``POST /auth/token``, refresh-token grant).

        A failure that may pass — a 5xx, a reset, a timeout, an HTML page or another body that is not the token
        JSON, whatever its status — is tried again, ``RETRY_TIMES`` times after the first try, waiting
        ``PIXIV_RETRY_BACKOFF`` × 2^(n-1) seconds (±10%) before the n-th retry (longer when a 429 says so in
        ``Retry-After``); the requests waiting for the token wait meanwhile, and go out once it comes. Raises
        NoAccessToken, and closes the spider, when pixiv refuses the refresh token (reason ``auth_failed``) or a
        whole round of tries fails (reason ``blocked`` when the last answer was a blocked page, else
        ``auth_unavailable``), each logged in one sentence ("Could not reach pixiv: …" when the last try got no
        answer); later calls raise it at once."""
        if self._given_up is not None:
            raise NoAccessToken(self._given_up)
        tries = 1 + max(0, self.crawler.settings.getint("RETRY_TIMES", 5))
        backoff = self.crawler.settings.getfloat("PIXIV_RETRY_BACKOFF", 1.0)
        stats = self.crawler.stats
        cause, blocked, wait, answered = "", False, 0.0, False
        for attempt in range(1, tries + 1):
            if attempt > 1:
                pause = max(wait, backoff * 2 ** (attempt - 2) * random.uniform(0.9, 1.1))
                stats.inc_value("pixiv/auth/token_retries")
                stats.inc_value("pixiv/retry/backoff_seconds", round(pause, 3))
                await asyncio.sleep(pause)
            started = time.monotonic()
            try:
                response = await self.crawler.engine.download_async(self._token_request())
            except Exception as exc:  # a reset, a timeout, a refused connection: tried again
                cause, blocked, wait, answered = f"{type(exc).__name__}: {exc}"[:300], False, 0.0, False
                stats.inc_value("pixiv/auth/token_errors")
                continue
            outcome = self._token_answer(response, started)
            if outcome is None:
                return
            (cause, blocked), answered = outcome, True
            wait = (retry_after(response) or 0.0) if response.status == 429 else 0.0
            stats.inc_value("pixiv/auth/token_errors")
        reason = "blocked" if blocked else "auth_unavailable"
        if blocked:
            stats.inc_value("pixiv/errors/blocked")
        if not answered:  # the last try was refused, reset or timed out: no answer at all
            self._stop(f"Could not reach pixiv: its token endpoint did not answer {tries} tries ({cause}); "
                       "stopping the crawl.", reason)
        self._stop(f"Could not get an access token from pixiv's token endpoint: {cause} after {tries} tries; "
                   "stopping the crawl.", reason)

    def _token_request(self) -> Request:
        assert self.credentials.refresh_token is not None
        form = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": self.credentials.refresh_token.reveal(),
            "include_policy": "true",
            "get_secure_url": "1",
        }
        # dont_retry: _refresh retries it (Scrapy's RetryMiddleware and the body check leave it alone)
        return OAUTH_TOKEN.request(
            body=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            meta={"pixiv_auth": False, "handle_httpstatus_all": True, "dont_retry": True},
            dont_filter=True,
        )

    def _token_answer(self, response: Response, started: float) -> tuple[str, bool] | None:
        """Take the token from the token endpoint's answer (None), or say why there is none: (cause, whether the
        answer was a blocked page). Raises NoAccessToken when pixiv refused the refresh token."""
        try:
            data = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            data = None
        token_data = data.get("response", data) if isinstance(data, dict) else None
        if response.status == 200 and isinstance(token_data, dict) and token_data.get("access_token"):
            self._token = str(token_data["access_token"])
            self._user_id = _user_id(token_data.get("user")) or self._user_id
            lifetime = _lifetime(token_data.get("expires_in"))
            self._refresh_at = started + lifetime - self._refresh_margin(lifetime)
            self._generation += 1
            self.crawler.stats.inc_value("pixiv/auth/token_refreshes")
            return None
        if not isinstance(data, dict):  # a page: Cloudflare's is a block, pixiv's own 5xx page a server error
            return describe("json", response), response.status < 500 or from_cloudflare(response)
        message = _token_error(data)
        # pixiv's refusal: "error": "invalid_grant"; its older shape has no "error", only code 1508
        if 400 <= response.status < 500 and (data.get("error") == "invalid_grant" or (
                "error" not in data and data.get("has_error") and _token_error_code(data) == _REFUSED_REFRESH_TOKEN)):
            self.crawler.stats.set_value("pixiv/auth/refresh_token_rejected", 1)
            self._stop(f"pixiv rejected the refresh token ({data.get('error') or message or 'rejected'}): get a "
                       "new one with `pixivcrawl login` and set PIXIV_REFRESH_TOKEN.", "auth_failed",
                       exception="pixiv rejected the refresh token")
        if response.status == 200:
            return "HTTP 200 without an access token", False
        return f"HTTP {response.status}" + (f" ({message})" if message else ""), False

    def _stop(self, sentence: str, reason: str, exception: str | None = None) -> NoReturn:
        """Log ``sentence``, close the spider with ``reason``, and raise NoAccessToken (now and for every later
        request that needs a token)."""
        self._given_up = exception or sentence
        logger.error("%s", sentence)
        self._closing = asyncio.get_running_loop().create_task(self.crawler.engine.close_spider_async(reason=reason))
        raise NoAccessToken(self._given_up)


def _credential(request: Request) -> str | None:
    """The credential ``request``'s API takes: ``"bearer"``, ``"cookie"`` or None."""
    api = api_of(request)
    return api.credential if api is not None else None


def _lifetime(expires_in: object) -> float:
    """The access token's lifetime in seconds, from the token endpoint's ``expires_in`` (3600 when it is missing
    or not a positive number)."""
    try:
        lifetime = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 3600.0
    return lifetime if 0 < lifetime < float("inf") else 3600.0


def _user_id(user: object) -> int | None:
    """The account's user id from the token answer's ``user`` object (``{"id": "12345678", "name": …}``: a string
    of digits, an integer in some clients' re-serialisations), or None."""
    value = user.get("id") if isinstance(user, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return int(text) if text.isdecimal() and int(text) > 0 else None


#: errors.system.code of the token endpoint's refusals (every report shows 1508; its older answers had no "error")
_REFUSED_REFRESH_TOKEN = 1508


def _token_error_code(data: dict) -> object:
    errors = data.get("errors")
    system = errors.get("system") if isinstance(errors, dict) else None
    return system.get("code") if isinstance(system, dict) else None


def _token_error(data: dict) -> str | None:
    """pixiv's words in a token endpoint error (``errors.system.message``, else ``error``), at most 200
    characters; never the request's own values."""
    errors = data.get("errors")
    system = errors.get("system") if isinstance(errors, dict) else None
    message = system.get("message") if isinstance(system, dict) else None
    text = message if isinstance(message, str) and message else data.get("error")
    return str(text)[:200] if isinstance(text, str | int) and text != "" else None
