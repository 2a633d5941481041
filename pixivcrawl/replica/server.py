"""The pixiv replica's HTTP server: host dispatch, the request log, faults and blocks, and ``serve()``.

A request is for the pixiv host named by the ``X-Forwarded-Host`` header that ``PIXIV_MIRROR`` adds, else by the
``Host`` header. Each host has its own aiohttp router (``web.UrlDispatcher``) holding the routes of the APIs it
serves, with pixiv's own paths as aiohttp templates:

- oauth.secure.pixiv.net: the token endpoint (:mod:`.oauth`);
- app-api.pixiv.net: the App API and the novel webview (:mod:`.app_api`; a user's works lists: :mod:`.user_api`;
  bookmark lists: :mod:`.bookmarks`; follow lists and feeds: :mod:`.follows`), and the app login pages (:mod:`.login`);
- www.pixiv.net: the web Ajax API, ranking.php and the commission pages (:mod:`.web_api`; a user's
  ``profile/all``: :mod:`.user_api`), and the front page;
- i.pximg.net and s.pximg.net: the image CDN (:mod:`.cdn`); accounts.pixiv.net: the login form (:mod:`.login`).

Every host's router ends with its API's catch-all (pixiv's own "not found" answer for that host); a host the replica
does not serve answers 421. The control API (:mod:`.control`, ``/_replica/...``) answers on any host.

Why a router per host behind one :class:`HostRoutes` resource rather than aiohttp's ``app.add_domain(host, subapp)``:
a domain sub-application matches the ``Host`` header only, and aiohttp resolves a request's route before any
middleware runs, so a middleware cannot route by ``X-Forwarded-Host``. :class:`HostRoutes` is an
``AbstractResource`` (aiohttp's extension point for custom matching) that picks the host's router and returns that
router's own match, so handlers see an ordinary ``request.match_info``.

Before a handler answers, :meth:`Replica.layer` (an aiohttp middleware) logs the request and applies Cloudflare
blocks, ``fault_paths`` and the fault die (:mod:`.traffic`); the APIs apply the per-account rate limits once they
know who is asking. :meth:`Replica.routes` is the route table, built from the routers themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

from aiohttp import web

from . import traffic
from .accounts import AuthCodes, TokenStore, replica_account
from .app_api import AppApi, AppObjects
from .bookmarks import BookmarksApi
from .cdn import Cdn
from .config import ReplicaConfig
from .control import PREFIX as CONTROL_PREFIX, Control
from .follow_graph import FollowGraph
from .follows import FollowsApi
from .images import ImageFactory
from .login import LoginPages
from .oauth import OAuth
from .rankings import Rankings
from .requestlog import LOG_ENTRY, RequestLog
from .traffic import Blocks, Dropped, Faults, RateLimits, cloudflare_page
from .user_api import UserApi
from .web_api import WebApi
from .world import World

#: the host key of the control API's routes in the route table (it answers on any host)
ANY_HOST = "*"


def pixiv_host(request: web.BaseRequest) -> str:
    """The pixiv host ``request`` is for: ``X-Forwarded-Host``, else ``Host``, without a port, lower case."""
    return (request.headers.get("X-Forwarded-Host") or request.host or "").split(":")[0].lower()


class HostRoutes(web.AbstractResource):
    """One resource on the application's router that resolves a request with the router of its pixiv host."""

    def __init__(self, routers: dict[str, web.UrlDispatcher]) -> None:
        super().__init__()
        self.routers = routers

    @property
    def canonical(self) -> str:
        return "/"

    def url_for(self, **kwargs: str):
        raise NotImplementedError("a route of a pixiv host has no URL on the replica's own router")

    def add_prefix(self, prefix: str) -> None:
        raise NotImplementedError

    def get_info(self) -> dict:
        return {"hosts": sorted(self.routers)}

    def raw_match(self, path: str) -> bool:
        return False

    def freeze(self) -> None:
        for router in self.routers.values():
            router.freeze()

    async def resolve(self, request: web.Request):
        router = self.routers.get(pixiv_host(request))
        if router is None:
            return None, set()
        return await router.resolve(request), set()

    def __len__(self) -> int:
        return sum(len(router.routes()) for router in self.routers.values())

    def __iter__(self) -> Iterator[web.AbstractRoute]:
        for router in self.routers.values():
            yield from router.routes()


async def _unknown_host(request: web.Request) -> web.Response:
    return web.Response(status=421, text=f"the replica does not serve host {pixiv_host(request)!r}")


class Replica:
    """The replica: its world, the state the APIs share (each an object with public methods, passed to the APIs
    that need it), one router per pixiv host, and the aiohttp application (:attr:`app`)."""

    def __init__(self, config: ReplicaConfig) -> None:
        self.config = config
        self.world = World(seed=config.seed, works=config.works)
        self.images = ImageFactory(self.world, Path(config.image_cache) if config.image_cache else None)
        self.tokens = TokenStore([replica_account(k) for k in range(config.accounts)], config.token_lifetime)
        self.codes = AuthCodes()
        self.log = RequestLog(config.log_limit)
        self.faults = Faults(config)
        self.blocks = Blocks()
        self.limits = RateLimits(config)
        self.rankings = Rankings(self.world)
        self.app_objects = AppObjects(self.world)
        self.apis = {
            "login": LoginPages(self.tokens, self.codes),
            "oauth": OAuth(self.world, self.tokens, self.codes),
            "app": AppApi(self.world, config, self.tokens, self.limits, self.rankings, self.app_objects),
            "web": WebApi(self.world, config, self.tokens, self.limits, self.rankings),
            "cdn": Cdn(self.world, config, self.images),
        }
        self.apis["bookmarks"] = BookmarksApi(self.world, self.apis["app"].guarded)
        self.apis["user"] = UserApi(self.world, self.apis["app"].guarded, self.apis["web"].guarded)
        self.apis["follows"] = FollowsApi(self.apis["app"], FollowGraph(self.world))
        self.control = Control(config, self.world, self.tokens, self.log, self.blocks, self.faults,
                               self.app_objects, self.images)
        self._fallbacks: set[web.AbstractResource] = set()
        self._replica_only: set[web.AbstractResource] = set()
        self.app = self._application()

    def _application(self) -> web.Application:
        routers: dict[str, web.UrlDispatcher] = {}
        for kind in ("routes", "fallbacks"):  # the catch-alls after every API's routes
            for api in self.apis.values():
                for host, defs in getattr(api, kind)().items():
                    added = routers.setdefault(host, web.UrlDispatcher()).add_routes(defs)
                    self._mark(added, fallback=kind == "fallbacks", replica_only=api.replica_only)
        app = web.Application(middlewares=[self.layer])
        self._mark(app.router.add_routes(self.control.routes()), fallback=False, replica_only=Control.replica_only)
        self._mark(app.router.add_routes(self.control.fallbacks()), fallback=True, replica_only=Control.replica_only)
        app.router.register_resource(HostRoutes(routers))
        self._mark([app.router.add_route("*", "/{tail:.*}", _unknown_host)], fallback=True, replica_only=True)
        return app

    def _mark(self, routes: list[web.AbstractRoute], *, fallback: bool, replica_only: bool) -> None:
        resources = {route.resource for route in routes}
        if fallback:
            self._fallbacks |= resources
        if replica_only:
            self._replica_only |= resources

    # -- the route table ---------------------------------------------------------------------------------

    def _all_routes(self) -> Iterator[tuple[str, web.AbstractRoute]]:
        """(host, route) of every route of the application: each pixiv host's, then ANY_HOST's."""
        for resource in self.app.router.resources():
            if isinstance(resource, HostRoutes):
                for host, router in resource.routers.items():
                    for route in router.routes():
                        yield host, route
            else:
                for route in resource:
                    yield ANY_HOST, route

    def _table(self, replica_only: bool) -> dict[str, list[tuple[str, str]]]:
        table: dict[str, list[tuple[str, str]]] = {}
        for host, route in self._all_routes():
            if route.resource in self._fallbacks or route.method == "HEAD":
                continue
            if replica_only and route.resource not in self._replica_only:
                continue
            table.setdefault(host, []).append((route.method, route.resource.canonical))
        return table

    def routes(self) -> dict[str, list[tuple[str, str]]]:
        """Every route the replica serves: pixiv host -> [(method, path template)], the templates aiohttp's (pixiv's
        paths with ``{name}`` variables, e.g. ``/ajax/illust/{illust_id}/pages``); the control API's under
        ANY_HOST. Catch-alls and the HEAD twin of each GET are left out."""
        return self._table(replica_only=False)

    def replica_only_routes(self) -> dict[str, list[tuple[str, str]]]:
        """The routes of :meth:`routes` that no crawl calls: the control API and the login pages (pixiv's, but
        only a browser sees them). The rest are pixiv's App API, web, OAuth and CDN endpoints."""
        return self._table(replica_only=True)

    # -- the layer ---------------------------------------------------------------------------------------

    @web.middleware
    async def layer(self, request: web.Request, handler) -> web.StreamResponse:
        """Log the request, then answer it with a block, a failing path or a fault when one applies, else with
        its handler. A fault that drops the connection logs the request without a status."""
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        host = pixiv_host(request)
        entry = request[LOG_ENTRY] = self.log.open(request, host)
        try:
            response = await self._answer(host, request, handler, entry)
        except Dropped:
            response = None
        entry["status"] = response.status if response is not None else None
        self.log.append(entry)
        if response is None:
            raise asyncio.CancelledError  # connection already dropped on purpose
        return response

    async def _answer(self, host: str, request: web.Request, handler, entry: dict) -> web.StreamResponse:
        blocked = self.blocks.take(host, request)
        if blocked is not None:
            entry["fault"] = "blocked"
            return cloudflare_page(host, blocked)
        if (failed := self.faults.failing_path(request.path)) is not None:
            entry["fault"] = "path"
            return failed
        fault = self.faults.pick() if host in self.config.fault_hosts else None
        entry["fault"] = fault
        if fault == "slow":
            await asyncio.sleep(self.config.slow_seconds)
        elif fault == "5xx":
            return self.faults.server_error()
        elif fault == "html":
            return cloudflare_page(host, self.config.fault_html_status)
        elif fault == "reset":
            traffic.reset(request)
            raise Dropped
        elif fault == "truncate":
            await traffic.truncate(request, await handler(request))
            raise Dropped
        return await handler(request)


async def serve(config: ReplicaConfig, host: str = "127.0.0.1", port: int = 0) -> tuple[asyncio.AbstractServer, int]:
    """Start a replica listening on ``host:port`` (0: a free port): (the asyncio server, the port it listens on)."""
    runner = web.AppRunner(Replica(config).app, access_log=None)
    await runner.setup()
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(runner.server, host, port, backlog=1024)
    bound = srv.sockets[0].getsockname()[1]
    return srv, bound
