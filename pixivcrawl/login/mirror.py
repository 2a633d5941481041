"""A browser login offline: every request the browser makes for a pixiv host is answered by a replica
(``pixivcrawl login --mirror`` or ``PIXIV_MIRROR``), with the pixiv host in ``X-Forwarded-Host``; requests for any
other host are refused (``blockedbyclient``), and a replica that does not answer is a network error
(``connectionfailed``). Routed with Playwright's ``BrowserContext.route``; fetched with aiohttp."""

from __future__ import annotations

import contextlib
import html
import json
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import aiohttp

from pixivcrawl.protocol import ACCOUNTS_HOST, PIXIV_HOSTS

from .options import LoginError
from .pkce import CodeCatcher

#: Hosts a browser login visits: the crawler's hosts plus pixiv's account pages.
BROWSER_HOSTS = PIXIV_HOSTS | {ACCOUNTS_HOST}

_NAVIGATE_ON = ('<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0;url={attr}"></head>'
                '<body><script>location.replace({url})</script></body></html>')


class Mirror:
    """Answers the browser's requests for pixiv hosts from a replica ``origin`` (an async context manager around
    its HTTP session; :meth:`handle` is the route handler). A redirect to the app's ``pixiv://`` link is shown to
    ``catcher`` where the app would see it. LoginError for an origin that is not ``http(s)://host[:port]``."""

    _DROPPED_REQUEST: ClassVar[set[str]] = {"host", "content-length", "connection"}
    _DROPPED_RESPONSE: ClassVar[set[str]] = {"content-length", "content-encoding", "transfer-encoding", "connection"}

    def __init__(self, origin: str, catcher: CodeCatcher) -> None:
        from pixivcrawl.mirror import parse_mirror  # (lazily: it imports Scrapy, which the replica need not)

        try:
            self.scheme, self.netloc = parse_mirror(origin)
        except ValueError as exc:
            raise LoginError(str(exc).replace("PIXIV_MIRROR", "--mirror (or PIXIV_MIRROR)")) from None
        self.catcher = catcher
        self.session = None

    async def __aenter__(self) -> Mirror:
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
            status, answer, body = await self._fetch(request, target, headers)
        except (TimeoutError, aiohttp.ClientError):  # the replica is down: the browser sees a network error
            await route.abort("connectionfailed")
            return
        location = answer.get("location")
        if 300 <= status < 400 and location and request.is_navigation_request():
            status, answer, body = self._navigate_on(urljoin(request.url, location), answer)
        await route.fulfill(status=status, headers=answer, body=body)

    async def _fetch(self, request, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """The replica's answer to the browser's ``request``: status, headers (lower-case names, repeated ones
        joined by newlines, hop-by-hop ones dropped) and body."""
        async with self.session.request(request.method, target, headers=headers, data=request.post_data_buffer,
                                        allow_redirects=False) as resp:
            body = await resp.read()
            answer: dict[str, str] = {}
            for raw_name, value in resp.headers.items():
                name = raw_name.lower()
                if name in self._DROPPED_RESPONSE:
                    continue
                answer[name] = f"{answer[name]}\n{value}" if name in answer else value
            return resp.status, answer, body

    def _navigate_on(self, target: str, answer: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """A redirect of a navigation, as a page that navigates on to ``target``: Chromium does not route the next
        hop of a redirect it was handed by ``route.fulfill`` (it would go to the real host), but it routes the
        request this page makes."""
        self.catcher.see(target)  # the app's pixiv:// link, seen where the app would see it
        headers = {k: v for k, v in answer.items() if k in ("set-cookie", "cache-control")}
        headers["content-type"] = "text/html; charset=utf-8"
        body = _NAVIGATE_ON.format(url=json.dumps(target).replace("</", "<\\/"), attr=html.escape(target)).encode()
        return 200, headers, body
