"""``pixivcrawl login``: log in to pixiv in a real browser and store the refresh token (and ``PHPSESSID``).

pixiv's app login is OAuth with PKCE (docs: pixiv-protocol.md §1.4): open the login page with a
``code_challenge``, let a person (or ``--username``/``--password``) log in, catch the ``code`` of the final
redirect to ``pixiv://account/login?code=…`` (or of the ``…/auth/pixiv/callback?code=…`` request before it),
and exchange it with the ``code_verifier`` for a refresh token. The browser is the system's Chromium, driven
by Playwright's async API (the stack scrapy-playwright uses); no browser is downloaded.

With ``--mirror`` (or ``PIXIV_MIRROR``) every browser request for a pixiv host is fetched from a replica
instead, with the pixiv host in ``X-Forwarded-Host``, and requests for any other host are refused, so the
whole flow runs offline. Tokens and cookies are written to the credentials file (mode 0600), never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import aiohttp

from pixivcrawl.protocol import (
    ACCOUNTS_HOST,
    APP_API,
    APP_API_HOST,
    CALLBACK_PATH,
    CALLBACK_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    LOGIN_PATH,
    OAUTH_HOST,
    OAUTH_TOKEN_URL,
    PIXIV_HOSTS,
    WEB,
    s256,
)

#: Hosts a browser login visits: the crawler's hosts plus pixiv's account pages.
BROWSER_HOSTS = PIXIV_HOSTS | {ACCOUNTS_HOST}
#: pixiv's web login; after it the browser lands on www.pixiv.net with a logged-in ``PHPSESSID``.
WEB_LOGIN_URL = f"https://{ACCOUNTS_HOST}/login?" + urlencode(
    {"return_to": f"{WEB}/", "source": "pc", "view_type": "page"})
#: The client the code exchange presents itself as (gallery-dl and PixivUtil2 use the same).
EXCHANGE_USER_AGENT = "PixivAndroidApp/5.0.234 (Android 11; Pixel 5)"
#: A logged-in web session is ``<user id>_<random>``; a visitor's session has no user id.
LOGGED_IN_SESSION = re.compile(r"^\d+_\w+$")
DEFAULT_TIMEOUT = 300.0

_USERNAME_FIELD = "input[autocomplete^='username']"
_PASSWORD_FIELD = "input[autocomplete^='current-password']"  # noqa: S105 - a CSS selector, not a password
_LOGIN_BUTTON = re.compile(r"ログイン|Log ?In|登录|로그인|登入", re.IGNORECASE)
_ALERT = "[role='alert']"


class LoginError(Exception):
    """The login did not produce credentials; the message is one sentence saying why and what to do."""


# -- PKCE ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str


def new_pkce() -> Pkce:
    verifier = secrets.token_urlsafe(32)  # 32 random bytes, URL-safe base64 without padding: 43 characters
    return Pkce(verifier, s256(verifier))


def login_url(challenge: str) -> str:
    query = urlencode({"code_challenge": challenge, "code_challenge_method": "S256", "client": "pixiv-android"})
    return f"{APP_API}{LOGIN_PATH}?{query}"


def code_from_url(url: str) -> str | None:
    """The authorization code in a ``pixiv://…?code=`` deep link or a callback URL, else None."""
    parts = urlsplit(url)
    is_deep_link = parts.scheme == "pixiv"
    is_callback = parts.scheme == "https" and parts.hostname == APP_API_HOST and parts.path == CALLBACK_PATH
    if not (is_deep_link or is_callback):
        return None
    codes = parse_qs(parts.query).get("code")
    return codes[0] if codes and codes[0] else None


# -- options ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOptions:
    credentials_file: Path
    chromium: str
    headless: bool = False
    timeout: float = DEFAULT_TIMEOUT
    username: str | None = None
    password: str | None = None
    mirror: str | None = None
    cookie: bool = False


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to drive: ``--chromium``, else ``PIXIV_CHROMIUM_PATH``, else ``chromium`` on the PATH."""
    candidate = explicit or os.environ.get("PIXIV_CHROMIUM_PATH") or shutil.which("chromium")
    if not candidate:
        raise LoginError("No Chromium found: install it (Debian: apt-get install chromium) or give its path with "
                         "--chromium or PIXIV_CHROMIUM_PATH.")
    path = shutil.which(candidate) or candidate
    if not os.access(path, os.X_OK):
        raise LoginError(f"Chromium at {candidate} is not an executable file; fix --chromium or PIXIV_CHROMIUM_PATH.")
    return path


# -- the browser session ---------------------------------------------------------------------------------


class _CodeCatcher:
    """Watches the browser's URLs for the authorization code."""

    def __init__(self) -> None:
        self.code: str | None = None

    def see(self, url: str | None) -> None:
        if self.code is None and url:
            self.code = code_from_url(url)


_NAVIGATE_ON = ('<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0;url={attr}"></head>'
                '<body><script>location.replace({url})</script></body></html>')


class _Mirror:
    """Answers the browser's requests for pixiv hosts from a replica origin (``--mirror``)."""

    _DROPPED_REQUEST: ClassVar[set[str]] = {"host", "content-length", "connection"}
    _DROPPED_RESPONSE: ClassVar[set[str]] = {"content-length", "content-encoding", "transfer-encoding", "connection"}

    def __init__(self, origin: str, catcher: _CodeCatcher) -> None:
        from pixivcrawl.mirror import parse_mirror  # (lazily: it imports Scrapy, which the replica need not)

        try:
            self.scheme, self.netloc = parse_mirror(origin)
        except ValueError as exc:
            raise LoginError(str(exc).replace("PIXIV_MIRROR", "--mirror (or PIXIV_MIRROR)")) from None
        self.catcher = catcher
        self.session = None

    async def __aenter__(self) -> _Mirror:
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(),
                                             timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.close()

    async def handle(self, route) -> None:
        from playwright.async_api import Error as PlaywrightError

        with contextlib.suppress(PlaywrightError):  # the browser closed while this request was in flight
            await self._answer(route)

    async def _answer(self, route) -> None:
        from pixivcrawl.mirror import mirrored_url

        request = route.request
        target = mirrored_url(request.url, self.scheme, self.netloc, BROWSER_HOSTS)
        if target is None:
            await route.abort("blockedbyclient")  # offline: nothing but the replica is reachable
            return
        headers = {k: v for k, v in (await request.all_headers()).items()
                   if not k.startswith(":") and k.lower() not in self._DROPPED_REQUEST}
        headers["X-Forwarded-Host"] = urlsplit(request.url).hostname.lower()
        try:
            async with self.session.request(request.method, target, headers=headers, data=request.post_data_buffer,
                                            allow_redirects=False) as resp:
                body = await resp.read()
                answer: dict[str, str] = {}
                for raw_name, value in resp.headers.items():
                    name = raw_name.lower()
                    if name in self._DROPPED_RESPONSE:
                        continue
                    answer[name] = f"{answer[name]}\n{value}" if name in answer else value
                status = resp.status
        except (TimeoutError, aiohttp.ClientError):  # the replica is down: the browser sees a network error
            await route.abort("connectionfailed")
            return
        location = answer.get("location")
        if 300 <= status < 400 and location and request.is_navigation_request():
            # Chromium does not route the next hop of a redirect it was handed by route.fulfill (it would go to
            # the real host), so the redirect becomes a page that navigates on: that request is routed again.
            target = urljoin(request.url, location)
            self.catcher.see(target)  # the app's pixiv:// link, seen where the app would see it
            answer = {k: v for k, v in answer.items() if k in ("set-cookie", "cache-control")}
            answer["content-type"] = "text/html; charset=utf-8"
            status, body = 200, _NAVIGATE_ON.format(url=json.dumps(target).replace("</", "<\\/"),
                                                                attr=html.escape(target)).encode()
        await route.fulfill(status=status, headers=answer, body=body)


async def _fill_form(page, username: str, password: str, timeout: float) -> None:  # noqa: ASYNC109 - Playwright's per-call timeout, passed on to it
    """Type the username and password into pixiv's login form and submit it."""
    from playwright.async_api import Error as PlaywrightError

    try:
        await page.wait_for_selector(_USERNAME_FIELD, state="visible", timeout=timeout * 1000)
        await page.fill(_USERNAME_FIELD, username)
        await page.fill(_PASSWORD_FIELD, password)
        button = page.locator("button", has_text=_LOGIN_BUTTON).first
        if await button.count():
            await button.click()
        else:
            await page.press(_PASSWORD_FIELD, "Enter")
    except PlaywrightError:
        raise LoginError("pixiv's login form did not appear or changed; log in by hand without --headless.") from None


async def _rejection(page) -> str | None:
    """The error the login form shows (wrong password and the like), if any."""
    from playwright.async_api import Error as PlaywrightError

    try:
        alert = page.locator(_ALERT).first
        if await alert.count() and await alert.is_visible():
            return " ".join((await alert.inner_text()).split()) or "the login was refused"
    except PlaywrightError:  # the page is navigating
        return None
    return None


async def _wait_for(check, page, options: LoginOptions, what: str):
    """Poll ``check()`` until it returns a value; fail on timeout, a closed window or (headless) a refused login."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.timeout
    while True:
        value = await check()
        if value:
            return value
        if page.is_closed():
            raise LoginError(f"The browser window was closed before the {what} arrived; run pixivcrawl login again.")
        if options.headless:
            refused = await _rejection(page)
            if refused:
                raise LoginError(f"pixiv refused the login ({refused}); check the username and password.")
        if loop.time() >= deadline:
            raise LoginError(f"No {what} within {options.timeout:g} s; log in faster or raise --timeout.")
        await asyncio.sleep(0.2)


async def _goto(page, url: str, catcher: _CodeCatcher | None = None) -> None:
    from playwright.async_api import Error as PlaywrightError

    try:
        await page.goto(url)
    except PlaywrightError as exc:
        if catcher is not None and catcher.code:
            return  # a redirect that ends in the app's pixiv:// link aborts the navigation: the success case
        first_line = str(exc).strip().splitlines()[0]
        raise LoginError(f"Could not open {url.split('?', maxsplit=1)[0]} ({first_line}).") from None


async def exchange_code(code: str, verifier: str, mirror: str | None = None) -> dict[str, str]:
    """POST the authorization_code grant; the refresh token pixiv answers with."""
    url, headers = OAUTH_TOKEN_URL, {"User-Agent": EXCHANGE_USER_AGENT}
    if mirror:
        from pixivcrawl.mirror import mirrored_url, parse_mirror

        url = mirrored_url(OAUTH_TOKEN_URL, *parse_mirror(mirror))
        headers["X-Forwarded-Host"] = OAUTH_HOST
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code, "code_verifier": verifier,
            "grant_type": "authorization_code", "include_policy": "true", "redirect_uri": CALLBACK_URL}
    try:
        async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
                    session.post(url, data=form, headers=headers) as resp):
            status = resp.status
            try:
                data = await resp.json(content_type=None)
            except ValueError:
                data = None
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise LoginError(f"The token endpoint could not be reached ({type(exc).__name__}); try again.") from None
    data = data if isinstance(data, dict) else {}
    token = data.get("refresh_token") or (data.get("response") or {}).get("refresh_token")
    if status != 200 or not token:
        message = ((data.get("errors") or {}).get("system") or {}).get("message")
        raise LoginError(f"pixiv refused the login code (HTTP {status}: {message or 'no message'}); run pixivcrawl "
                         f"login again, the code expires about 30 seconds after logging in.")
    return {"refresh_token": token}


async def _web_session(context, page, options: LoginOptions) -> str:
    """The logged-in ``PHPSESSID`` of www.pixiv.net, logging in to the web site if it asks."""

    async def session_cookie() -> str | None:
        for cookie in await context.cookies(f"{WEB}/"):
            if cookie["name"] == "PHPSESSID" and LOGGED_IN_SESSION.match(cookie["value"]):
                return cookie["value"]
        return None

    await _goto(page, WEB_LOGIN_URL)
    if not await session_cookie() and options.username and options.password:
        await _fill_form(page, options.username, options.password, 30)
    return await _wait_for(session_cookie, page, options, "logged-in PHPSESSID cookie")


async def browser_login(options: LoginOptions) -> dict[str, str]:
    """Run the browser login; the credentials to store (``refresh_token``, and ``phpsessid`` with ``cookie``)."""
    from playwright.async_api import async_playwright

    if options.headless and not (options.username and options.password):
        raise LoginError("--headless needs --username and --password (or PIXIV_USERNAME and PIXIV_PASSWORD): nobody "
                         "can type into a browser without a window.")
    pkce = new_pkce()
    catcher = _CodeCatcher()
    async with contextlib.AsyncExitStack() as stack:
        mirror = await stack.enter_async_context(_Mirror(options.mirror, catcher)) if options.mirror else None
        playwright = await stack.enter_async_context(async_playwright())
        browser = await _launch(playwright, options)
        stack.push_async_callback(browser.close)
        context = await browser.new_context()
        if mirror is not None:
            await context.route("**/*", mirror.handle)
            # on the way out, requests still in flight (the page after the pixiv:// link) are dropped quietly
            stack.push_async_callback(context.unroute_all, behavior="ignoreErrors")
        context.on("request", lambda request: catcher.see(request.url))
        context.on("response", lambda response: catcher.see(response.headers.get("location")))
        page = await context.new_page()
        await _goto(page, login_url(pkce.challenge), catcher)
        if options.username and options.password:
            await _fill_form(page, options.username, options.password, 30)
        elif not options.headless:
            print(f"Log in to pixiv in the browser window (waiting up to {options.timeout:g} s)...",
                  file=sys.stderr, flush=True)

        async def code() -> str | None:
            return catcher.code

        found = await _wait_for(code, page, options, "login code")
        values = await exchange_code(found, pkce.verifier, options.mirror)
        if options.cookie:
            values["phpsessid"] = await _web_session(context, page, options)
        return values


async def _launch(playwright, options: LoginOptions):
    from playwright.async_api import Error as PlaywrightError

    try:
        return await playwright.chromium.launch(executable_path=options.chromium, headless=options.headless)
    except PlaywrightError as exc:
        if not options.headless and "DISPLAY" in str(exc):
            raise LoginError("Chromium cannot open a window here (no display); use --headless with --username "
                             "and --password, or run pixivcrawl login where a display is available.") from None
        first_line = str(exc).strip().splitlines()[0]
        raise LoginError(f"Chromium at {options.chromium} did not start ({first_line}).") from None


def run(options: LoginOptions) -> dict[str, str]:
    """Log in and write the credentials file; what was written (names only, never values)."""
    from pixivcrawl.credentials import CredentialsError, write_credentials_file

    values = asyncio.run(browser_login(options))
    try:
        write_credentials_file(options.credentials_file, **values)
    except (OSError, CredentialsError) as exc:
        raise LoginError(f"Could not write the credentials file {options.credentials_file} ({exc}).") from None
    return values


def main(args) -> int:
    """``pixivcrawl login`` with parsed arguments; the exit status."""
    from scrapy.settings import BaseSettings

    from pixivcrawl.credentials import credentials_file

    try:
        options = LoginOptions(
            credentials_file=credentials_file(BaseSettings({"PIXIV_CREDENTIALS_FILE": args.credentials_file})),
            chromium=find_chromium(args.chromium),
            headless=args.headless,
            timeout=args.timeout,
            username=args.username or os.environ.get("PIXIV_USERNAME") or None,
            password=args.password or os.environ.get("PIXIV_PASSWORD") or None,
            mirror=args.mirror or os.environ.get("PIXIV_MIRROR") or None,
            cookie=args.cookie,
        )
        written = run(options)
    except LoginError as exc:
        print(f"pixivcrawl login: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pixivcrawl login: interrupted; nothing was written.", file=sys.stderr)
        return 130
    names = {"refresh_token": "refresh token", "phpsessid": "PHPSESSID cookie"}
    what = " and ".join(names[k] for k in ("refresh_token", "phpsessid") if k in written)
    print(f"{what} written to {options.credentials_file} (mode 0600)")
    return 0
