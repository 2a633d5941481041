"""What the replica does to traffic besides answering it: injected faults, Cloudflare blocks and rate limits.

The server's layer (``pixivcrawl.replica.server``) applies :class:`Blocks` and :class:`Faults` to every request for
a pixiv host before its handler runs; the App API and the web Ajax API count requests per account in
:class:`RateLimits` once they know who is asking; the control API changes the knobs (``fault_*``, ``rate_*``) and the
block rules. What each answer looks like comes from pixiv's and Cloudflare's own: the challenge page of
:func:`cloudflare_page` (pixivpy#140), the HTML 5xx pages, a reset or a body cut in half (protocol notes §5).
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import time
from collections import deque

from aiohttp import web

from .config import ReplicaConfig

#: the faults, in the order their probabilities share the fault die
FAULTS = ("5xx", "reset", "truncate", "slow", "html")
SERVER_ERROR_PAGE = "<html><body>Server Error</body></html>"


class Dropped(Exception):
    """The connection was dropped on purpose (a reset, or a body cut short): there is no response to send."""


class Faults:
    """The fault die (``fault_*`` knobs, seeded with ``fault_seed``): which fault, if any, answers a request."""

    def __init__(self, config: ReplicaConfig) -> None:
        self.config = config
        self._rng = random.Random(config.fault_seed)

    def reseed(self) -> None:
        """Roll the die from ``fault_seed`` again (the faults from now on follow the new seed)."""
        self._rng = random.Random(self.config.fault_seed)

    def pick(self) -> str | None:
        """One of FAULTS with its knob's probability, else None."""
        c = self.config
        r = self._rng.random()
        for name, p in zip(FAULTS, (c.fault_5xx, c.fault_reset, c.fault_truncate, c.fault_slow, c.fault_html),
                           strict=True):
            if r < p:
                return name
            r -= p
        return None

    def server_error(self) -> web.Response:
        """A 500, 502, 503 or 504 with an HTML error page (the ``5xx`` fault)."""
        return web.Response(status=self._rng.choice([500, 502, 503, 504]), text=SERVER_ERROR_PAGE,
                            content_type="text/html")

    def failing_path(self, path: str) -> web.Response | None:
        """The ``fault_paths_status`` HTML error page when ``path`` starts with one of ``fault_paths``, else None."""
        prefixes = self.config.fault_path_prefixes()
        if prefixes and path.startswith(prefixes):
            return web.Response(status=self.config.fault_paths_status, content_type="text/html",
                                text=SERVER_ERROR_PAGE)
        return None


def reset(request: web.BaseRequest) -> None:
    """Drop the connection with a TCP reset (SO_LINGER 0), as a proxy that gives up does."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if transport is not None:
        transport.abort()


async def truncate(request: web.BaseRequest, response: web.Response) -> None:
    """Send ``response``'s status line and headers announcing its whole length, then half its body, and close."""
    body = response.body if isinstance(response.body, bytes) else b""
    head = [f"HTTP/1.1 {response.status} OK", f"Content-Length: {len(body)}",
            f"Content-Type: {response.headers.get('Content-Type', 'application/json')}", "Connection: close"]
    transport = request.transport
    if transport is not None:
        transport.write(("\r\n".join(head) + "\r\n\r\n").encode() + body[: len(body) // 2])
        await asyncio.sleep(0)
        transport.close()


class Blocks:
    """The rules of ``POST /_replica/block``: the next ``times`` requests matching a rule's ``host``, ``path`` and
    ``query`` values (each None: any) get Cloudflare's page with the rule's ``status``."""

    def __init__(self) -> None:
        #: the rules left, as the control API shows them: {"host", "path", "query", "status", "times"}
        self.rules: list[dict] = []

    def add(self, rule: dict) -> None:
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules.clear()

    def take(self, host: str, request: web.BaseRequest) -> int | None:
        """The status of the Cloudflare page to answer ``request`` with, when a rule matches it (one of its
        answers used up), else None."""
        for rule in self.rules:
            if rule["host"] not in (None, host) or rule["path"] not in (None, request.path):
                continue
            if any(request.query.get(key) != value for key, value in rule["query"].items()):
                continue
            rule["times"] -= 1
            if rule["times"] <= 0:
                self.rules.remove(rule)
            return rule["status"]
        return None


class RateLimits:
    """pixiv's per-account rate limit: at most ``rate_limit`` requests per account and API family ("app" or "web")
    in any ``rate_window`` seconds (0: no limit)."""

    def __init__(self, config: ReplicaConfig) -> None:
        self.config = config
        self._windows: dict[tuple[int, str], deque[float]] = {}

    def over_limit(self, account_id: int, family: str) -> bool:
        """Whether this request of ``account_id`` to API ``family`` is over the limit (one that is not is
        counted)."""
        c = self.config
        if not c.rate_limit:
            return False
        now = time.monotonic()
        window = self._windows.setdefault((account_id, family), deque())
        while window and window[0] <= now - c.rate_window:
            window.popleft()
        if len(window) >= c.rate_limit:
            return True
        window.append(now)
        return False


def cloudflare_page(host: str, status: int) -> web.Response:
    """Cloudflare's "Just a moment..." challenge page, as it stands in front of pixiv when it challenges a client
    (pixivpy#140): HTML whatever the endpoint, with Cloudflare's headers."""
    page = (
        "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>"
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">"
        "<meta http-equiv=\"X-UA-Compatible\" content=\"IE=Edge\">"
        "<meta name=\"robots\" content=\"noindex,nofollow\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<meta http-equiv=\"refresh\" content=\"390\"></head><body class=\"no-js\">"
        "<div class=\"main-wrapper\" role=\"main\"><div class=\"main-content\">"
        f"<h1 class=\"zone-name-title h1\">{host}</h1>"
        "<h2 id=\"challenge-running\" class=\"h2\">Checking if the site connection is secure</h2>"
        "<noscript><div id=\"challenge-error-title\"><div class=\"h2\"><span id=\"challenge-error-text\">"
        "Enable JavaScript and cookies to continue</span></div></div></noscript>"
        f"<div id=\"challenge-body-text\" class=\"core-msg spacer\">{host} needs to review the security of "
        "your connection before proceeding.</div></div></div>"
        "<div class=\"footer\" role=\"contentinfo\"><div class=\"footer-inner\"><div class=\"clearfix "
        "diagnostic-wrapper\"><div class=\"ray-id\">Ray ID: <code>0000000000000000</code></div></div>"
        "<div class=\"text-center\" id=\"footer-text\">Performance &amp; security by Cloudflare</div>"
        "</div></div></body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html", charset="UTF-8",
                        headers={"Server": "cloudflare", "cf-mitigated": "challenge",
                                 "Cache-Control": "private, max-age=0, no-store, no-cache, must-revalidate"})
