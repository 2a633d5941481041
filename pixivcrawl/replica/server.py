"""The pixiv replica's HTTP server (aiohttp low-level server, one catch-all handler).

A request is routed by the pixiv host it was meant for: the ``X-Forwarded-Host`` header that
``PIXIV_MIRROR`` adds, else the ``Host`` header. Paths under ``/_replica/`` are the control API used by
tests and the demo (request log, live knobs, world summary, re-uploads, hidden works, Cloudflare blocks), on
any host.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache, partial
from pathlib import Path
from urllib.parse import urlencode

import orjson
from aiohttp import web

from pixivcrawl.hosts import (
    APP_API_HOST,
    CLIENT_ID,
    CLIENT_SECRET,
    IMAGE_HOST,
    OAUTH_HOST,
    STATIC_HOST,
    WEB_HOST,
)

from . import app_objects as ao
from .accounts import TokenStore, replica_account
from .images import ImageFactory
from .login import LoginPages
from .rankings import APP_MODES, NOVEL_APP_MODES
from .responses import json_response as _json, oauth_error
from .web_api import WebApi
from .world import World

logger = logging.getLogger(__name__)

APP_PAGE_SIZE = 30
PIXIV_REFERER = re.compile(r"^https?://([a-z0-9-]+\.)*pixiv\.net(/|$)")
DELETED_WORK_MESSAGE = "該当作品は削除されたか、存在しない作品IDです。"


class ControlError(ValueError):
    """A control request (or a command-line value) the replica refuses: its message is one sentence for the user."""


def show(raw: object) -> str:
    """A value as the JSON it came in (shortened), for error messages."""
    try:
        text = orjson.dumps(raw).decode()
    except TypeError:
        text = str(raw)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Knob:
    """How a knob's value is checked: ``what`` it takes (for messages), ``check`` turning a JSON value into the
    stored one (ValueError/TypeError when it is not such a value), ``numeric`` when a command-line text is a number."""

    what: str
    check: Callable[[object], object]
    numeric: bool = True


def _number(raw: object, whole: bool) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or (isinstance(raw, float) and not math.isfinite(raw)):
        raise TypeError(raw)
    if whole:
        if raw != int(raw):
            raise ValueError(raw)
        return int(raw)
    return float(raw)


def _ranged(whole: bool, low: float | None = None, high: float | None = None, above: bool = False):
    def check(raw: object) -> int | float:
        value = _number(raw, whole)
        if low is not None and (value <= low if above else value < low):
            raise ValueError(raw)
        if high is not None and value > high:
            raise ValueError(raw)
        return value
    return check


def _items(raw: object) -> list[str]:
    """A list of strings, or one comma-separated string, as its non-blank items."""
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise TypeError(raw)
    return [item.strip() for item in raw if item.strip()]


def _hosts(raw: object) -> tuple[str, ...]:
    hosts = tuple(item.lower() for item in _items(raw))
    if any("/" in host or " " in host for host in hosts):
        raise ValueError(raw)
    return hosts


def _paths(raw: object) -> str:
    paths = _items(raw)
    if any(not path.startswith("/") for path in paths):
        raise ValueError(raw)
    return ",".join(paths)


def _delays(raw: object) -> tuple[int, ...]:
    if isinstance(raw, str):
        try:
            raw = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise ValueError(raw) from None
    if not isinstance(raw, list):
        raise TypeError(raw)
    delays = tuple(_number(delay, whole=True) for delay in raw)
    if any(delay < 0 for delay in delays):
        raise ValueError(raw)
    return delays


def _text(raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError(raw)
    return raw


_PROBABILITY = Knob("a probability from 0 to 1", _ranged(False, 0, 1))
_STATUS = Knob("an HTTP status from 100 to 599", _ranged(True, 100, 599))

#: every field of ReplicaConfig and the values it takes (the same on the command line and in POST /_replica/config)
KNOBS: dict[str, Knob] = {
    "seed": Knob("a whole number", _ranged(True)),
    "works": Knob("a whole number of at least 10", _ranged(True, 10)),
    "accounts": Knob("a whole number of at least 1", _ranged(True, 1)),
    "token_lifetime": Knob("seconds above 0", _ranged(False, 0, above=True)),
    "rate_limit": Knob("a whole number of requests of at least 0 (0: no limit)", _ranged(True, 0)),
    "rate_window": Knob("seconds above 0", _ranged(False, 0, above=True)),
    "app_limit_status": _STATUS,
    "retry_after": Knob("whole seconds of at least 0 (0: no header)", _ranged(True, 0)),
    "fault_5xx": _PROBABILITY,
    "fault_reset": _PROBABILITY,
    "fault_truncate": _PROBABILITY,
    "fault_slow": _PROBABILITY,
    "fault_html": _PROBABILITY,
    "fault_html_status": _STATUS,
    "slow_seconds": Knob("seconds of at least 0", _ranged(False, 0)),
    "fault_seed": Knob("a whole number", _ranged(True)),
    "search_page_cap": Knob("a whole number of at least 1", _ranged(True, 1)),
    "app_sanity_limit": Knob("a whole number (pixiv's sanity levels are 2, 4 and 6)", _ranged(True)),
    "fault_hosts": Knob("a list of host names or one comma-separated string of them", _hosts, numeric=False),
    "fault_paths": Knob("a list of path prefixes starting with / or one comma-separated string of them", _paths,
                        numeric=False),
    "fault_paths_status": _STATUS,
    "log_limit": Knob("a whole number of at least 1", _ranged(True, 1)),
    "image_cache": Knob("a folder name", _text, numeric=False),
    "ugoira_delays": Knob("a list of whole ms of at least 0 or one comma-separated string of them", _delays,
                          numeric=False),
}
#: the knobs fixed when the replica starts (command-line flags only)
FIXED_KNOBS = ("seed", "works", "accounts", "image_cache", "log_limit")


def check_knob(name: str, raw: object) -> object:
    """The value knob ``name`` stores for ``raw`` (a JSON value); ControlError saying what it takes when bad."""
    knob = KNOBS[name]
    try:
        return knob.check(raw)
    except (TypeError, ValueError):
        raise ControlError(f"{name} takes {knob.what}, not {show(raw)}") from None


#: what each control endpoint that changes the replica takes (for its 400 answers)
CONTROL_SHAPES = {
    "config": 'a JSON object of knobs, e.g. {"fault_5xx": 0.1}',
    "hide": '{"illusts": {id: how}, "novels": {id: how}}',
    "reupload": '{"ids": [id, ...], "add_page": true or false}',
    "account": '{"account": k, "app_sanity_limit": n or null}',
    "block": '{"host": ..., "path": ..., "query": {name: value}, "status": 403, "times": 1} or {"clear": true}',
}



@dataclass
class ReplicaConfig:
    """Every knob of the replica (the values each takes: KNOBS). All but FIXED_KNOBS can be changed while it runs
    (``POST /_replica/config``)."""

    seed: int = 1
    works: int = 2000
    accounts: int = 3
    token_lifetime: float = 3600.0
    #: requests per account and API family (app / web) allowed in ``rate_window`` seconds; 0 = no limit
    rate_limit: int = 0
    rate_window: float = 60.0
    #: HTTP status of the App API's "Rate Limit" error (pixiv's is not pinned down; 400 and 403 are reported)
    app_limit_status: int = 403
    #: seconds to announce in Retry-After on 429s; 0 = no header
    retry_after: int = 0
    fault_5xx: float = 0.0
    fault_reset: float = 0.0
    fault_truncate: float = 0.0
    fault_slow: float = 0.0
    #: an answer with Cloudflare's challenge page ("Just a moment...") instead of the JSON or image bytes
    fault_html: float = 0.0
    #: HTTP status of that page (Cloudflare sends its challenge with 403, its older one with 503; 200, 429 also seen)
    fault_html_status: int = 200
    slow_seconds: float = 2.0
    fault_seed: int = 0
    #: deepest search page pixiv serves (lastPage never exceeds it)
    search_page_cap: int = 1000
    #: highest sanity_level the App API shows an account (2, 4 or 6); works above it are limit_sanity_level
    #: placeholders there, while the web shows them. Per account: POST /_replica/account
    app_sanity_limit: int = 6
    #: hosts the faults apply to
    fault_hosts: tuple[str, ...] = (APP_API_HOST, WEB_HOST, IMAGE_HOST)
    #: comma-separated path prefixes (``/v1/ugoira/metadata,/webview/v2/novel``) answered with
    #: ``fault_paths_status`` and an HTML error page every time, on any host: requests that fail for good
    fault_paths: str = ""
    fault_paths_status: int = 503
    log_limit: int = 1_000_000
    #: a folder where rendered images are kept across replica runs (empty: in memory only)
    image_cache: str = ""
    #: frame delays (ms) of every ugoira: its metadata's frames and its zip's images (empty: each work's own)
    ugoira_delays: tuple[int, ...] = ()

    def checked(self, values: object) -> dict:
        """The knob values ``values`` (the JSON of ``POST /_replica/config``) would set, checked all at once:
        ControlError naming every bad or unknown knob, so that a bad request changes nothing."""
        if not isinstance(values, dict):
            raise ControlError(f'config expects a JSON object of knobs, e.g. {{"fault_5xx": 0.1}}, not {show(values)}')
        problems = []
        if unknown := sorted(set(values) - set(KNOBS)):
            problems.append(f"no knob named {', '.join(unknown)} (the knobs: "
                            f"{', '.join(k for k in KNOBS if k not in FIXED_KNOBS)})")
        if fixed := [k for k in FIXED_KNOBS if k in values]:
            problems.append(f"{', '.join(fixed)} cannot change while the replica runs (command-line flags)")
        checked = {}
        for name, raw in values.items():
            if name in KNOBS and name not in FIXED_KNOBS:
                try:
                    checked[name] = check_knob(name, raw)
                except ControlError as exc:
                    problems.append(str(exc))
        if problems:
            raise ControlError("; ".join(problems))
        return checked

    def update(self, values: object) -> None:
        """Set the knobs ``values`` names, all or none (ControlError, see :meth:`checked`)."""
        for name, value in self.checked(values).items():
            setattr(self, name, value)


class _Fault(Exception):
    pass


class Replica:
    def __init__(self, config: ReplicaConfig) -> None:
        self.config = config
        self.world = World(seed=config.seed, works=config.works)
        self.images = ImageFactory(self.world, Path(config.image_cache) if config.image_cache else None)
        self.tokens = TokenStore([replica_account(k) for k in range(config.accounts)], config.token_lifetime)
        self.log: deque[dict] = deque(maxlen=config.log_limit)
        self.log_total = 0
        self.started = time.monotonic()
        self._windows: dict[tuple[int, str], deque[float]] = {}
        self._fault_rng = random.Random(config.fault_seed)
        #: rules of POST /_replica/block: the next ``times`` matching requests get Cloudflare's page
        self.blocks: list[dict] = []
        # objects are deterministic per id: build each once (they are never mutated after building); the
        # account asking sees them through its App API sanity limit (_illust/_novel, set by app_api)
        self._illust_cache = lru_cache(maxsize=200_000)(partial(ao.illust_obj, self.world))
        self._novel_cache = lru_cache(maxsize=50_000)(partial(ao.novel_obj, self.world))
        self._sanity_limit = config.app_sanity_limit
        self.web = WebApi(self)
        self.login = LoginPages(self)
        self._app_routes = {
            "/v1/illust/ranking": self.app_illust_ranking,
            "/v1/novel/ranking": self.app_novel_ranking,
            "/v1/illust/detail": self.app_illust_detail,
            "/v1/ugoira/metadata": self.app_ugoira_metadata,
            "/v1/illust/series": self.app_illust_series,
            "/v1/illust-series/illust": self.app_illust_series_illust,
            "/v2/novel/series": self.app_novel_series,
            "/v2/novel/detail": self.app_novel_detail,
            "/webview/v2/novel": self.app_webview_novel,
        }

    # -- plumbing ---------------------------------------------------------------------------------------

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path.startswith("/_replica/"):
            return await self.control(request)
        host = (request.headers.get("X-Forwarded-Host") or request.host or "").split(":")[0].lower()
        entry = {
            "t": round(time.monotonic() - self.started, 4),
            "host": host,
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "referer": request.headers.get("Referer"),
            "auth": "bearer" if "Authorization" in request.headers else (
                "cookie" if "PHPSESSID" in request.cookies else None),
            "account": None,
            "status": None,
            "fault": None,
        }
        try:
            response = await self.dispatch(host, request, entry)
        except _Fault:
            response = None
        entry["status"] = response.status if response is not None else None
        self.log.append(entry)
        self.log_total += 1
        if response is None:
            raise asyncio.CancelledError  # connection already dropped on purpose
        return response

    async def dispatch(self, host: str, request: web.BaseRequest, entry: dict) -> web.StreamResponse:
        blocked = self._take_block(host, request)
        if blocked is not None:
            entry["fault"] = "blocked"
            return cloudflare_page(host, blocked)
        prefixes = tuple(p.strip() for p in self.config.fault_paths.split(",") if p.strip())
        if prefixes and request.path.startswith(prefixes):
            entry["fault"] = "path"
            return web.Response(status=self.config.fault_paths_status, content_type="text/html",
                                text="<html><body>Server Error</body></html>")
        if host in self.config.fault_hosts:
            fault = self._pick_fault()
            if fault:
                entry["fault"] = fault
                if fault == "slow":
                    await asyncio.sleep(self.config.slow_seconds)
                elif fault == "5xx":
                    return web.Response(status=self._fault_rng.choice([500, 502, 503, 504]),
                                        text="<html><body>Server Error</body></html>", content_type="text/html")
                elif fault == "html":
                    return cloudflare_page(host, self.config.fault_html_status)
                elif fault == "reset":
                    self._reset(request)
                    raise _Fault
                elif fault == "truncate":
                    entry["status"] = 200
                    response = await self.route(host, request, entry)
                    await self._truncate(request, response)
                    raise _Fault
        return await self.route(host, request, entry)

    async def route(self, host: str, request: web.BaseRequest, entry: dict) -> web.StreamResponse:
        if host == OAUTH_HOST:
            if request.path == "/auth/token" and request.method == "POST":
                return await self.oauth_token(request, entry)
            return _json({"error": "not_found"}, 404)
        if self.login.serves(host, request.path):
            return await self.login.handle(host, request, entry)
        if host == APP_API_HOST:
            return await self.app_api(request, entry)
        if host == IMAGE_HOST:
            return self.cdn(request, entry)
        if host == STATIC_HOST:
            return self.static(request, entry)
        if host == WEB_HOST:
            return await self.web.handle(request, entry)
        return web.Response(status=421, text=f"the replica does not serve host {host!r}")

    def _take_block(self, host: str, request: web.BaseRequest) -> int | None:
        """The status of the Cloudflare page to answer ``request`` with, when a rule of ``POST /_replica/block``
        matches it (and has answers left), else None."""
        for rule in self.blocks:
            if rule["host"] not in (None, host) or rule["path"] not in (None, request.path):
                continue
            if any(request.query.get(key) != value for key, value in rule["query"].items()):
                continue
            rule["times"] -= 1
            if rule["times"] <= 0:
                self.blocks.remove(rule)
            return rule["status"]
        return None

    def _block_rule(self, payload: dict) -> dict:
        """A rule of ``POST /_replica/block`` from its JSON object, every field checked (ControlError when bad)."""
        problems = []
        if unknown := sorted(set(payload) - {"host", "path", "query", "status", "times"}):
            problems.append(f"no field named {', '.join(unknown)}")
        host, path, query = payload.get("host"), payload.get("path"), payload.get("query") or {}
        if host is not None and (not isinstance(host, str) or not host.strip()):
            problems.append(f"host takes a host name or null, not {show(host)}")
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            problems.append(f"path takes a path starting with / or null, not {show(path)}")
        if not isinstance(query, dict) or any(isinstance(v, bool) or not isinstance(v, str | int)
                                              for v in query.values()):
            problems.append(f"query takes an object of parameter names and values, not {show(query)}")
        rule = {"host": host.strip().lower() if isinstance(host, str) else None, "path": path,
                "query": {str(k): str(v) for k, v in query.items()} if isinstance(query, dict) else {}}
        for name, default, knob in (("status", 403, KNOBS["fault_html_status"]),
                                    ("times", 1, Knob("a whole number of at least 1", _ranged(True, 1)))):
            try:
                rule[name] = knob.check(payload.get(name, default))
            except (TypeError, ValueError):
                problems.append(f"{name} takes {knob.what}, not {show(payload.get(name))}")
        if problems:
            raise ControlError("; ".join(problems))
        return rule

    def _pick_fault(self) -> str | None:
        c = self.config
        r = self._fault_rng.random()
        for name, p in (("5xx", c.fault_5xx), ("reset", c.fault_reset), ("truncate", c.fault_truncate),
                        ("slow", c.fault_slow), ("html", c.fault_html)):
            if r < p:
                return name
            r -= p
        return None

    @staticmethod
    def _reset(request: web.BaseRequest) -> None:
        transport = request.transport
        sock = transport.get_extra_info("socket") if transport else None
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if transport is not None:
            transport.abort()

    @staticmethod
    async def _truncate(request: web.BaseRequest, response: web.Response) -> None:
        body = response.body if isinstance(response.body, bytes) else b""
        head = [f"HTTP/1.1 {response.status} OK", f"Content-Length: {len(body)}",
                f"Content-Type: {response.headers.get('Content-Type', 'application/json')}", "Connection: close"]
        transport = request.transport
        if transport is not None:
            transport.write(("\r\n".join(head) + "\r\n\r\n").encode() + body[: len(body) // 2])
            await asyncio.sleep(0)
            transport.close()

    def _over_limit(self, account_id: int, family: str) -> bool:
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

    # -- OAuth -------------------------------------------------------------------------------------------

    async def oauth_token(self, request: web.BaseRequest, entry: dict) -> web.Response:
        form = await request.post()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return oauth_error("Invalid client", "invalid_client")
        grant = form.get("grant_type")
        entry["grant"] = grant
        if grant == "authorization_code":
            return self.login.exchange(form, entry)
        if grant != "refresh_token":
            return oauth_error("Invalid grant_type parameter or parameter missing")
        account = self.tokens.account_for_refresh(str(form.get("refresh_token", "")))
        if account is None:
            return oauth_error("Invalid refresh token")
        entry["account"] = account.user_id
        return _json(self.token_response(account))

    def token_response(self, account) -> dict:
        """A new access token for ``account``, in pixiv's token response shape (fields at top level and
        under ``response``)."""
        access, expires_in = self.tokens.issue(account)
        name, acct = self.world.user_name(account.user_id)
        token = {
            "access_token": access,
            "expires_in": expires_in,
            "token_type": "bearer",
            "scope": "",
            "refresh_token": account.refresh_token,
            "user": {
                "profile_image_urls": {
                    "px_16x16": "https://s.pximg.net/common/images/no_profile_ss.png",
                    "px_50x50": "https://s.pximg.net/common/images/no_profile_s.png",
                    "px_170x170": "https://s.pximg.net/common/images/no_profile.png",
                },
                "id": str(account.user_id),
                "name": name,
                "account": acct,
                "mail_address": f"{acct}@example.invalid",
                "is_premium": False,
                "x_restrict": account.x_restrict,
                "is_mail_authorized": True,
                "require_policy_agreement": False,
            },
        }
        return {**token, "response": token}

    # -- App API -----------------------------------------------------------------------------------------

    async def app_api(self, request: web.BaseRequest, entry: dict) -> web.Response:
        account, problem = self.tokens.check_bearer(request.headers.get("Authorization"))
        if account is None:
            return _json(ao.app_error(
                "Error occurred at the OAuth process. Please check your Access Token to fix this. "
                f"Error Message: {problem}"), 400)
        entry["account"] = account.user_id
        self._sanity_limit = self.tokens.app_sanity_limit(account, self.config.app_sanity_limit)
        if self._over_limit(account.user_id, "app"):
            entry["limited"] = True
            return _json(ao.app_error("Rate Limit"), self.config.app_limit_status)
        handler = self._app_routes.get(request.path)
        if handler is None:
            return _json(ao.app_error("", "Specified end-point doesn't exist"), 404)
        return handler(request.query)

    def _illust(self, wid: int, **kwargs) -> dict:
        obj = self._illust_cache(wid, **kwargs)
        return ao.for_viewer(obj, obj["sanity_level"], self._sanity_limit)

    def _novel(self, nid: int) -> dict:
        return ao.for_viewer(self._novel_cache(nid), ao.novel_sanity_level(self.world, nid), self._sanity_limit,
                             ao.novel_as_placeholder)

    def _int_arg(self, query, name: str) -> int | None:
        try:
            return int(query.get(name, ""))
        except ValueError:
            return None

    def _work_or_404(self, query):
        wid = self._int_arg(query, "illust_id")
        work = self.world.work(wid) if wid is not None else None
        if work is None:
            return None, _json(ao.app_error("", DELETED_WORK_MESSAGE), 404)
        return work, None

    def app_illust_detail(self, query) -> web.Response:
        work, error = self._work_or_404(query)
        if error:
            return error
        return _json({"illust": self._illust(work.id, detail=True)})

    def app_ugoira_metadata(self, query) -> web.Response:
        work, error = self._work_or_404(query)
        if error:
            return error
        if work.type != "ugoira":
            return _json(ao.app_error("", "This work is not an ugoira."), 400)
        if refused := ao.refusal(self.world, "illust", work.id):
            return _json(refused, 404)
        return _json(ao.ugoira_metadata(self.world, work.id, self.config.ugoira_delays))

    def _series_or_404(self, query, name: str, table: dict):
        sid = self._int_arg(query, name)
        series = table.get(sid) if sid is not None else None
        if series is None:
            return None, _json(ao.app_error("", "該当シリーズは削除されたか、存在しないシリーズIDです。"), 404)
        return series, None

    def _app_page(self, ids: list[int], query, path: str, cursor: str) -> tuple[list[int], str | None]:
        """One App API page of ``ids`` at the ``cursor`` query value, and the next page's URL."""
        start = max(0, self._int_arg(query, cursor) or 0)
        if start + APP_PAGE_SIZE >= len(ids):
            return ids[start:], None
        return ids[start: start + APP_PAGE_SIZE], _next_url(path, query, cursor, start + APP_PAGE_SIZE)

    def app_illust_series(self, query) -> web.Response:
        series, error = self._series_or_404(query, "illust_series_id", self.world.illust_series)
        if error:
            return error
        page, next_url = self._app_page(series.member_ids[::-1], query, "/v1/illust/series", "offset")
        return _json({
            "illust_series_detail": ao.illust_series_detail(self.world, series.id),
            "illust_series_first_illust": self._illust(series.member_ids[0], comments=True),
            "illusts": [self._illust(wid) for wid in page],
            "next_url": next_url,
        })

    def app_illust_series_illust(self, query) -> web.Response:
        work, error = self._work_or_404(query)
        if error:
            return error
        if work.series_id is None:
            return _json(ao.app_error("", "This work is not in a series."), 404)
        series = self.world.illust_series[work.series_id]
        idx = series.member_ids.index(work.id)
        prev_id = series.member_ids[idx - 1] if idx > 0 else None
        next_id = series.member_ids[idx + 1] if idx + 1 < len(series.member_ids) else None
        return _json({
            "illust_series_detail": ao.illust_series_detail(self.world, series.id),
            "illust_series_context": {
                "content_order": idx + 1,
                "prev": self._illust(prev_id, comments=True) if prev_id else None,
                "next": self._illust(next_id, comments=True) if next_id else None,
            },
        })

    def app_novel_series(self, query) -> web.Response:
        series, error = self._series_or_404(query, "series_id", self.world.novel_series)
        if error:
            return error
        page, next_url = self._app_page(series.member_ids, query, "/v2/novel/series", "last_order")
        return _json({
            "novel_series_detail": ao.novel_series_detail(self.world, series.id),
            "novel_series_first_novel": self._novel(series.member_ids[0]),
            "novel_series_latest_novel": self._novel(series.member_ids[-1]),
            "novels": [self._novel(nid) for nid in page],
            "next_url": next_url,
        })

    def _ranking_args(self, query, modes):
        """(mode, day, None) of an App ranking request, or (None, None, error response)."""
        from datetime import date

        mode = query.get("mode", "day")
        if mode not in modes:
            return None, None, _json(ao.app_error("", "Invalid mode"), 400)
        rankings = self.web.rankings
        try:
            day = date.fromisoformat(query["date"]) if query.get("date") else rankings.latest
        except ValueError:
            day = None
        if day is None or not rankings.earliest <= day <= rankings.latest:
            return None, None, _json(ao.app_error("", "Invalid date"), 400)
        return mode, day, None

    def app_illust_ranking(self, query) -> web.Response:
        mode, day, error = self._ranking_args(query, APP_MODES)
        if error:
            return error
        ranked = self.web.rankings.ranked(day, *APP_MODES[mode])
        page, next_url = self._app_page(list(ranked), query, "/v1/illust/ranking", "offset")
        return _json({"illusts": [self._illust(w) for w in page], "next_url": next_url})

    def app_novel_ranking(self, query) -> web.Response:
        mode, day, error = self._ranking_args(query, NOVEL_APP_MODES)
        if error:
            return error
        ranked = self.web.rankings.novels_ranked(day, mode)
        page, next_url = self._app_page(list(ranked), query, "/v1/novel/ranking", "offset")
        return _json({"novels": [self._novel(n) for n in page], "next_url": next_url})

    def _novel_or_404(self, query, name: str):
        nid = self._int_arg(query, name)
        novel = self.world.novel(nid) if nid is not None else None
        if novel is None:
            return None, _json(ao.app_error("", "該当作品は削除されたか、存在しない作品IDです。"), 404)
        return novel, None

    def app_novel_detail(self, query) -> web.Response:
        novel, error = self._novel_or_404(query, "novel_id")
        if error:
            return error
        return _json({"novel": self._novel(novel.id)})

    def app_webview_novel(self, query) -> web.Response:
        novel, error = self._novel_or_404(query, "id")
        if error:
            return error
        if refused := ao.refusal(self.world, "novel", novel.id):
            return _json(refused, 404)
        obj = orjson.dumps(ao.webview_novel(self.world, novel.id)).decode()
        html = (
            "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>pixiv novel</title>\n</head>\n<body>\n<div id=\"root\"></div>\n<script>\n"
            "    Object.defineProperty(window, 'pixiv', {\n        value: {\n"
            f"            novel: {obj},\n"
            "            isOwnWork: false,\n"
            "            settings: {\"fontSize\": 1, \"lineHeight\": 1, \"fontType\": \"gothic\"},\n"
            "        },\n        writable: false\n    });\n</script>\n</body>\n</html>\n"
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    # -- CDN ---------------------------------------------------------------------------------------------

    _ORIGINAL = re.compile(r"^/img-original/img/(\d{4}/\d\d/\d\d/\d\d/\d\d/\d\d)/(\d+)_p(\d+)\.(jpg|png|gif)$")
    _MASTER = re.compile(
        r"^/c/(\d+)x(\d+)[^/]*/img-master/img/(\d{4}/\d\d/\d\d/\d\d/\d\d/\d\d)/(\d+)_p(\d+)_(master|square)1200\.jpg$")
    _MASTER_FULL = re.compile(r"^/img-master/img/(\d{4}/\d\d/\d\d/\d\d/\d\d/\d\d)/(\d+)_p(\d+)_master1200\.jpg$")
    _UGOIRA = re.compile(r"^/img-zip-ugoira/img/(\d{4}/\d\d/\d\d/\d\d/\d\d/\d\d)/(\d+)_ugoira(600x600|1920x1080)\.zip$")
    _AVATAR = re.compile(r"^/user-profile/img/[\d/]+/(\d+)_[0-9a-f]{32}(_170)?\.jpg$")
    _COVER = re.compile(r"^/(?:c/[^/]+/)?(?:novel-cover-master|illust-series-cover-original)/img/.+\.jpg$")

    def _cdn_refused(self, request: web.BaseRequest) -> bool:
        return not PIXIV_REFERER.match(request.headers.get("Referer", ""))

    def cdn(self, request: web.BaseRequest, entry: dict) -> web.Response:
        if self._cdn_refused(request):
            return web.Response(status=403, text="403 Forbidden", content_type="text/html")
        path = request.path
        if m := self._ORIGINAL.match(path):
            return self._page(m.group(2), m.group(3), m.group(1), "original", m.group(4))
        if m := self._MASTER.match(path):
            box = f"{m.group(1)}x{m.group(2)}"
            return self._page(m.group(4), m.group(5), m.group(3), box, "jpg")
        if m := self._MASTER_FULL.match(path):
            return self._page(m.group(2), m.group(3), m.group(1), "1200x1200", "jpg")
        if m := self._UGOIRA.match(path):
            work = self.world.work(int(m.group(2)))
            if work is None or work.type != "ugoira" or self.world.work_stamp(work.id) != m.group(1) \
                    or self.world.hiding("illust", work.id):
                return web.Response(status=404, text="404 Not Found")
            body = self.images.ugoira_zip(work.id, m.group(3), len(self.config.ugoira_delays))
            return web.Response(body=body, content_type="application/zip")
        if m := self._AVATAR.match(path):
            return web.Response(body=ImageFactory.small(int(m.group(1)), "avatar"), content_type="image/jpeg")
        if self._COVER.match(path):
            return web.Response(body=ImageFactory.small(len(path), "cover", 240, 320), content_type="image/jpeg")
        return web.Response(status=404, text="404 Not Found")

    def _page(self, wid_s: str, page_s: str, date_path: str, variant: str, ext: str) -> web.Response:
        work = self.world.work(int(wid_s))
        page = int(page_s)
        if work is None or page >= work.page_count or self.world.work_stamp(work.id) != date_path \
                or self.world.hiding("illust", work.id):  # a work hidden on purpose: its files are refused too
            return web.Response(status=404, text="404 Not Found")
        if variant == "original" and ext != self.world.work_detail(work.id).ext:
            return web.Response(status=404, text="404 Not Found")
        data, ctype = self.images.page(work.id, page, variant)
        return web.Response(body=data, content_type=ctype)

    def static(self, request: web.BaseRequest, entry: dict) -> web.Response:
        if self._cdn_refused(request):
            return web.Response(status=403, text="403 Forbidden", content_type="text/html")
        name = request.path.rsplit("/", 1)[-1]
        if not request.path.startswith("/common/images/") or "." not in name:
            return web.Response(status=404, text="404 Not Found")
        fmt = "png" if name.endswith(".png") else "jpg"
        size = 360 if "360" in name else 170
        return web.Response(body=ImageFactory.small(len(name), name.rsplit(".", 1)[0], size, size, fmt),
                            content_type=f"image/{'png' if fmt == 'png' else 'jpeg'}")

    # -- control API -------------------------------------------------------------------------------------

    async def control(self, request: web.BaseRequest) -> web.Response:
        """The control API (``/_replica/...``). A POST that changes the replica is checked whole before any of it
        is applied: a bad one answers 400 ``{"error": "bad <endpoint> request: <why>; nothing changed"}``."""
        name = request.path.removeprefix("/_replica/")
        try:
            return await self._control(request, name)
        except ControlError as exc:
            return _json({"error": f"bad {name} request: {exc}; nothing changed"}, 400)

    async def _payload(self, request: web.BaseRequest, name: str, empty: dict | None = None) -> dict:
        """The JSON object a control POST carries (``empty`` for an empty body when given), else ControlError."""
        body = await request.read()
        if not body.strip() and empty is not None:
            return empty
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ControlError(f"{name} expects {CONTROL_SHAPES[name]}; the body is not JSON") from None
        if not isinstance(payload, dict):
            raise ControlError(f"{name} expects {CONTROL_SHAPES[name]}, not {show(payload)}")
        return payload

    async def _control(self, request: web.BaseRequest, name: str) -> web.Response:
        post = request.method == "POST"
        if name == "health":
            return _json({"ok": True, "requests": self.log_total})
        if name == "world":
            return _json(self.world.summary())
        if name == "requests":
            since = request.query.get("since", "0")
            if not (since.isascii() and since.isdigit()):
                return _json({"error": f"since takes a whole number of at least 0, not {show(since)}"}, 400)
            skipped = self.log_total - len(self.log)
            entries = list(self.log)[max(0, int(since) - skipped):]
            return _json({"total": self.log_total, "requests": entries})
        if name == "reupload" and post:
            ids, add_page = self._reupload_request(await self._payload(request, name))
            for wid in ids:
                self.world.reupload(wid, add_page=add_page)
            self._illust_cache.cache_clear()
            self.images.forget()
            return _json({"ok": True, "revisions": {str(k): v for k, v in self.world.revisions.items()}})
        if name == "account" and post:
            payload = await self._payload(request, name)
            if set(payload) != {"account", "app_sanity_limit"}:
                raise ControlError(f"account expects {CONTROL_SHAPES[name]}, not {show(payload)}")
            try:
                self.tokens.set_app_sanity_limit(payload["account"], payload["app_sanity_limit"])
            except ValueError as exc:
                raise ControlError(str(exc)) from None
            limits = {str(k): v for k, v in self.tokens.app_sanity_limits.items()}
            return _json({"ok": True, "app_sanity_limits": limits})
        if name == "block":
            if post:
                payload = await self._payload(request, name)
                if "clear" in payload:
                    if payload != {"clear": True}:
                        raise ControlError(f'clear takes true and no other field, not {show(payload)}')
                    self.blocks.clear()
                else:
                    self.blocks.append(self._block_rule(payload))
            return _json({"blocks": self.blocks})
        if name == "hide":
            return await self.control_hide(request)
        if name == "requests/clear" and post:
            self.log.clear()
            self.log_total = 0
            return _json({"ok": True})
        if name == "config":
            if post:
                payload = await self._payload(request, name, empty={})
                self.config.update(payload)
                self.tokens.lifetime = self.config.token_lifetime
                if "fault_seed" in payload:  # the faults from now on follow the new seed
                    self._fault_rng = random.Random(self.config.fault_seed)
            return _json(asdict(self.config))
        return _json({"error": "no such control endpoint"}, 404)

    def _reupload_request(self, payload: dict) -> tuple[list[int], bool]:
        """(work ids, add_page) of a ``POST /_replica/reupload``, every id checked (ControlError when bad)."""
        ids, add_page = payload.get("ids"), payload.get("add_page", False)
        if set(payload) - {"ids", "add_page"} or not isinstance(ids, list) or not isinstance(add_page, bool):
            raise ControlError(f"reupload expects {CONTROL_SHAPES['reupload']}, not {show(payload)}")
        checked = []
        for raw in ids:
            wid = _work_id(raw)
            if wid is None or self.world.work(wid) is None:
                raise ControlError(f"no illust {show(raw)}")
            checked.append(wid)
        return checked, add_page

    async def control_hide(self, request: web.BaseRequest) -> web.Response:
        """``POST /_replica/hide {"illusts": {id: how}, "novels": {id: how}}``: pixiv hides these works from now
        on, ``how`` one of world.HIDE_KINDS (null: shown again) — in App API objects, web thumbnails, ranking.php
        entries; their novel text, ugoira metadata and CDN files are refused. The whole request is checked first:
        one unknown work or way and nothing changes (400). GET (or POST) answers the works hidden so far."""
        if request.method == "POST":
            payload = await self._payload(request, "hide", empty={})
            if unknown := sorted(set(payload) - {"illusts", "novels"}):
                raise ControlError(f"hide expects {CONTROL_SHAPES['hide']}; no field named {', '.join(unknown)}")
            changes = []
            for key, kind in (("illusts", "illust"), ("novels", "novel")):
                works = payload.get(key) or {}
                if not isinstance(works, dict):
                    raise ControlError(f"{key} takes an object of work ids and ways of hiding "
                                       f"({CONTROL_SHAPES['hide']}), not {show(works)}")
                for raw, how in works.items():
                    wid = _work_id(raw)
                    if wid is None:
                        raise ControlError(f"{key} takes work ids, not {show(raw)}")
                    try:
                        self.world.check_hide(kind, wid, how)
                    except ValueError as exc:
                        raise ControlError(str(exc)) from None
                    changes.append((kind, wid, how))
            for kind, wid, how in changes:
                self.world.hide(kind, wid, how)
            # the objects are built once per id: those of the works hidden (so far) change
            self._illust_cache.cache_clear()
            self._novel_cache.cache_clear()
        hidden: dict[str, dict[str, str]] = {"illusts": {}, "novels": {}}
        for (kind, wid), how in sorted(self.world.hidden.items()):
            hidden[f"{kind}s"][str(wid)] = how
        return _json(hidden)


def _work_id(raw: object) -> int | None:
    """A work id given as a JSON number or a string of digits, else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw)
    return None


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


def _next_url(path: str, query, cursor: str, value: int) -> str:
    """The request's own query with the cursor moved on, as pixiv builds ``next_url``."""
    params = {k: v for k, v in query.items() if k != cursor}
    params[cursor] = str(value)
    return f"https://{APP_API_HOST}{path}?{urlencode(params)}"


async def serve(config: ReplicaConfig, host: str = "127.0.0.1", port: int = 0) -> tuple[asyncio.AbstractServer, int]:
    replica = Replica(config)
    server = web.Server(replica.handle, access_log=None)
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(server, host, port, backlog=1024)
    bound = srv.sockets[0].getsockname()[1]
    return srv, bound
