"""The browser driver of ``pixivcrawl login``: the system's Chromium through Playwright's async API opens pixiv's
app login page, fills its form (``--username``/``--password``) or waits for a person, catches the authorization
code, exchanges it (pixivcrawl.login.pkce), optionally logs in to the web site for its ``PHPSESSID``
(``--cookie``), and writes the credentials file (mode 0600). Offline with a replica: pixivcrawl.login.mirror."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from urllib.parse import urlencode

from pixivcrawl.protocol import ACCOUNTS_HOST, WEB

from .mirror import Mirror
from .options import LoginError, LoginOptions
from .pkce import CodeCatcher, exchange_code, login_url, new_pkce

#: pixiv's web login; after it the browser lands on www.pixiv.net with a logged-in ``PHPSESSID``.
WEB_LOGIN_URL = f"https://{ACCOUNTS_HOST}/login?" + urlencode(
    {"return_to": f"{WEB}/", "source": "pc", "view_type": "page"})
#: A logged-in web session is ``<user id>_<random>``; a visitor's session has no user id.
LOGGED_IN_SESSION = re.compile(r"^\d+_\w+$")

_USERNAME_FIELD = "input[autocomplete^='username']"
_PASSWORD_FIELD = "input[autocomplete^='current-password']"  # noqa: S105 - a CSS selector, not a password
_LOGIN_BUTTON = re.compile(r"ログイン|Log ?In|登录|로그인|登入", re.IGNORECASE)
_ALERT = "[role='alert']"


def run(options: LoginOptions) -> dict[str, str]:
    """Log in and write the credentials file; what was written (names only, never values)."""
    from pixivcrawl.credentials import CredentialsError, write_credentials_file

    values = asyncio.run(browser_login(options))
    try:
        write_credentials_file(options.credentials_file, **values)
    except (OSError, CredentialsError) as exc:
        raise LoginError(f"Could not write the credentials file {options.credentials_file} ({exc}).") from None
    return values


async def browser_login(options: LoginOptions) -> dict[str, str]:
    """Run the browser login; the credentials to store (``refresh_token``, and ``phpsessid`` with ``cookie``)."""
    from playwright.async_api import async_playwright

    if options.headless and not (options.username and options.password):
        raise LoginError("--headless needs --username and --password (or PIXIV_USERNAME and PIXIV_PASSWORD): nobody "
                         "can type into a browser without a window.")
    pkce = new_pkce()
    catcher = CodeCatcher()
    async with contextlib.AsyncExitStack() as stack:
        mirror = await stack.enter_async_context(Mirror(options.mirror, catcher)) if options.mirror else None
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
            # a page of its own (the same cookies): the app login's redirects may still be landing on ``page``,
            # and a navigation of that page would interrupt the web login's
            values["phpsessid"] = await _web_session(context, await context.new_page(), options)
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


async def _goto(page, url: str, catcher: CodeCatcher | None = None) -> None:
    from playwright.async_api import Error as PlaywrightError

    try:
        await page.goto(url)
    except PlaywrightError as exc:
        if catcher is not None and catcher.code:
            return  # a redirect that ends in the app's pixiv:// link aborts the navigation: the success case
        first_line = str(exc).strip().splitlines()[0]
        raise LoginError(f"Could not open {url.split('?', maxsplit=1)[0]} ({first_line}).") from None


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
