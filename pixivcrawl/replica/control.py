"""The replica's control API, ``/_replica/...`` on any host: what tests, the demo and the benchmarks use to watch
and steer the replica. None of it is pixiv's; it is not logged and no fault or block applies to it.

- ``GET /_replica/health``: ``{"ok": true, "requests": n}``; ``GET /_replica/world``: the world's summary (series
  and their members, the newest ranking day);
- ``GET /_replica/requests?since=n``: the request log (:mod:`pixivcrawl.replica.requestlog`);
  ``POST /_replica/requests/clear`` empties it;
- ``GET|POST /_replica/config``: the knobs (:mod:`pixivcrawl.replica.config`), a POST changing those it names;
- ``POST /_replica/reupload``, ``POST /_replica/account``, ``GET|POST /_replica/hide``, ``GET|POST /_replica/block``:
  re-upload works, give an account its own App API sanity limit, hide works on purpose, block requests with
  Cloudflare's page (the shapes each takes: CONTROL_SHAPES).

A POST that changes the replica is checked whole before any of it is applied: a bad one answers 400
``{"error": "bad <endpoint> request: <why>; nothing changed"}``. Another path answers 404
``{"error": "no such control endpoint"}``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import asdict

import orjson
from aiohttp import web

from .accounts import TokenStore
from .app_api import AppObjects
from .config import STATUS, ControlError, Knob, ReplicaConfig, ranged, show
from .images import ImageFactory
from .requestlog import RequestLog
from .responses import json_response as _json
from .traffic import Blocks, Faults
from .world import World

#: the control API's paths start so, on any host
PREFIX = "/_replica/"
#: what each control endpoint that changes the replica takes (for its 400 answers)
CONTROL_SHAPES = {
    "config": 'a JSON object of knobs, e.g. {"fault_5xx": 0.1}',
    "hide": '{"illusts": {id: how}, "novels": {id: how}}',
    "reupload": '{"ids": [id, ...], "add_page": true or false}',
    "account": '{"account": k, "app_sanity_limit": n or null}',
    "block": '{"host": ..., "path": ..., "query": {name: value}, "status": 403, "times": 1} or {"clear": true}',
}
_TIMES = Knob("a whole number of at least 1", ranged(True, 1))
ControlHandler = Callable[[web.Request], Awaitable[web.Response]]


def _work_id(raw: object) -> int | None:
    """A work id given as a JSON number or a string of digits, else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        return int(raw)
    return None


async def _payload(request: web.Request, name: str, empty: dict | None = None) -> dict:
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


def block_rule(payload: dict) -> dict:
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
    for name, default, knob in (("status", 403, STATUS), ("times", 1, _TIMES)):
        try:
            rule[name] = knob.check(payload.get(name, default))
        except (TypeError, ValueError):
            problems.append(f"{name} takes {knob.what}, not {show(payload.get(name))}")
    if problems:
        raise ControlError("; ".join(problems))
    return rule


class Control:
    """The control handlers, over the objects they watch and change (each passed in, each with public methods)."""

    #: no crawl calls these routes (the replica's own): replica-only in the route table
    replica_only = True

    def __init__(self, config: ReplicaConfig, world: World, tokens: TokenStore, log: RequestLog, blocks: Blocks,
                 faults: Faults, objects: AppObjects, images: ImageFactory) -> None:
        self.config = config
        self.world = world
        self.tokens = tokens
        self.log = log
        self.blocks = blocks
        self.faults = faults
        self.objects = objects
        self.images = images

    def routes(self) -> list[web.RouteDef]:
        """The control routes (on any host)."""
        checked = self._checked
        return [
            web.get(f"{PREFIX}health", self.health),
            web.get(f"{PREFIX}world", self.world_summary),
            web.get(f"{PREFIX}requests", self.requests),
            web.post(f"{PREFIX}requests/clear", self.clear_requests),
            web.get(f"{PREFIX}config", self.show_config),
            web.post(f"{PREFIX}config", checked(self.change_config)),
            web.post(f"{PREFIX}reupload", checked(self.reupload)),
            web.post(f"{PREFIX}account", checked(self.account)),
            web.get(f"{PREFIX}block", self.show_blocks),
            web.post(f"{PREFIX}block", checked(self.block)),
            web.get(f"{PREFIX}hide", self.show_hidden),
            web.post(f"{PREFIX}hide", checked(self.hide)),
        ]

    def fallbacks(self) -> list[web.RouteDef]:
        return [web.route("*", PREFIX + "{tail:.*}", self.no_endpoint)]

    @staticmethod
    def _checked(handler: ControlHandler) -> ControlHandler:
        """``handler``, whose ControlError becomes a 400 saying what was wrong and that nothing changed."""
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.Response:
            try:
                return await handler(request)
            except ControlError as exc:
                name = request.path.removeprefix(PREFIX)
                return _json({"error": f"bad {name} request: {exc}; nothing changed"}, 400)
        return checked

    @staticmethod
    async def no_endpoint(request: web.Request) -> web.Response:
        return _json({"error": "no such control endpoint"}, 404)

    # -- watching ----------------------------------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        return _json({"ok": True, "requests": self.log.total})

    async def world_summary(self, request: web.Request) -> web.Response:
        return _json(self.world.summary())

    async def requests(self, request: web.Request) -> web.Response:
        """``?since=n``: the log entries from the n-th on, and how many there were in all."""
        since = request.query.get("since", "0")
        if not (since.isascii() and since.isdigit()):
            return _json({"error": f"since takes a whole number of at least 0, not {show(since)}"}, 400)
        return _json({"total": self.log.total, "requests": self.log.since(int(since))})

    async def clear_requests(self, request: web.Request) -> web.Response:
        self.log.clear()
        return _json({"ok": True})

    async def show_config(self, request: web.Request) -> web.Response:
        return _json(asdict(self.config))

    async def show_blocks(self, request: web.Request) -> web.Response:
        return _json({"blocks": self.blocks.rules})

    async def show_hidden(self, request: web.Request) -> web.Response:
        """The works hidden so far: ``{"illusts": {id: how}, "novels": {id: how}}``."""
        hidden: dict[str, dict[str, str]] = {"illusts": {}, "novels": {}}
        for (kind, wid), how in sorted(self.world.hidden.items()):
            hidden[f"{kind}s"][str(wid)] = how
        return _json(hidden)

    # -- changing ----------------------------------------------------------------------------------------

    async def change_config(self, request: web.Request) -> web.Response:
        """Set the knobs the JSON object names (an empty body changes nothing); answers every knob."""
        payload = await _payload(request, "config", empty={})
        self.config.update(payload)
        self.tokens.lifetime = self.config.token_lifetime
        if "fault_seed" in payload:  # the faults from now on follow the new seed
            self.faults.reseed()
        return await self.show_config(request)

    async def reupload(self, request: web.Request) -> web.Response:
        """``{"ids": [...], "add_page": bool}``: re-upload works (new URLs and bytes; one page more)."""
        payload = await _payload(request, "reupload")
        ids, add_page = payload.get("ids"), payload.get("add_page", False)
        if set(payload) - {"ids", "add_page"} or not isinstance(ids, list) or not isinstance(add_page, bool):
            raise ControlError(f"reupload expects {CONTROL_SHAPES['reupload']}, not {show(payload)}")
        checked = []
        for raw in ids:
            wid = _work_id(raw)
            if wid is None or self.world.work(wid) is None:
                raise ControlError(f"no illust {show(raw)}")
            checked.append(wid)
        for wid in checked:
            self.world.reupload(wid, add_page=add_page)
        self.objects.forget()
        self.images.forget()
        return _json({"ok": True, "revisions": {str(k): v for k, v in self.world.revisions.items()}})

    async def account(self, request: web.Request) -> web.Response:
        """``{"account": k, "app_sanity_limit": n or null}``: account k's own App API sanity limit."""
        payload = await _payload(request, "account")
        if set(payload) != {"account", "app_sanity_limit"}:
            raise ControlError(f"account expects {CONTROL_SHAPES['account']}, not {show(payload)}")
        try:
            self.tokens.set_app_sanity_limit(payload["account"], payload["app_sanity_limit"])
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        limits = {str(k): v for k, v in self.tokens.app_sanity_limits.items()}
        return _json({"ok": True, "app_sanity_limits": limits})

    async def block(self, request: web.Request) -> web.Response:
        """A block rule to add (:func:`block_rule`), or ``{"clear": true}``; answers the rules left."""
        payload = await _payload(request, "block")
        if "clear" in payload:
            if payload != {"clear": True}:
                raise ControlError(f'clear takes true and no other field, not {show(payload)}')
            self.blocks.clear()
        else:
            self.blocks.add(block_rule(payload))
        return await self.show_blocks(request)

    async def hide(self, request: web.Request) -> web.Response:
        """``{"illusts": {id: how}, "novels": {id: how}}``: pixiv hides these works from now on, ``how`` one of
        world.HIDE_KINDS (null: shown again) — in App API objects, web thumbnails, ranking.php entries; their novel
        text, ugoira metadata and CDN files are refused. One unknown work or way and nothing changes (400).
        Answers the works hidden so far."""
        payload = await _payload(request, "hide", empty={})
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
        self.objects.forget()  # the objects are built once per id: those of the works hidden (so far) change
        return await self.show_hidden(request)
