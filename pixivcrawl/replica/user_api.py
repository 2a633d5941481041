"""The replica's endpoints about one user's works: the App API's ``/v1/user/illusts?user_id&type&offset`` and
``/v1/user/novels?user_id&offset`` (newest first, 30 a page, ``next_url`` with ``offset``), and the web's
``/ajax/user/{user_id}/profile/all`` (every work and series id of the user). The lists come from
:mod:`pixivcrawl.replica.users`; the App API objects are those every other listing serves (the account's sanity
limit applied).

The App API routes sit behind the App API's bearer check and rate limit, the web route behind the web's session
look-up and rate limit (``AppApi.guarded``, ``WebApi.guarded``). As on pixiv (protocol notes §5), a user who left
(or never was) lists no works: ``/v1/user/illusts`` answers 200 with a ``user`` of id 0 and nothing in it (only
``/v1/user/detail`` and the web's ``profile/all`` say the user is gone).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from aiohttp import web

from pixivcrawl.protocol import APP_API_HOST, WEB_HOST

from . import users, web_objects as wo
from .app_api import APP_PAGE_SIZE, DELETED_USER_MESSAGE, Viewer
from .app_objects import S, user_obj
from .responses import json_response as _json
from .world import World

#: wraps a handler in an API's checks (its ``guarded``)
Guard = Callable[[Callable], Callable[[web.Request], object]]


def _offset(query) -> int:
    try:
        return max(0, int(query.get("offset", "0")))
    except ValueError:
        return 0


def _page(ids: list[int], query, path: str) -> tuple[list[int], str | None]:
    """The page of ``ids`` at the query's ``offset``, and the next page's URL (the request's query with ``offset``
    moved on, as pixiv builds it; None on the last page)."""
    start = _offset(query)
    if start + APP_PAGE_SIZE >= len(ids):
        return ids[start:], None
    params = {**{k: v for k, v in query.items() if k != "offset"}, "offset": str(start + APP_PAGE_SIZE)}
    return ids[start:start + APP_PAGE_SIZE], f"https://{APP_API_HOST}{path}?{urlencode(params)}"


class UserApi:
    """The handlers; the App API ones take the request's query and the account's :class:`Viewer`, the web one the
    request and whether its session is logged in."""

    #: whether no crawl calls these routes (False: pixiv endpoints a crawl calls)
    replica_only = False

    def __init__(self, world: World, app_guard: Guard, web_guard: Guard) -> None:
        self.world = world
        self.app_guard = app_guard
        self.web_guard = web_guard

    def routes(self) -> dict[str, list[web.RouteDef]]:
        return {
            APP_API_HOST: [
                web.get("/v1/user/illusts", self.app_guard(self.user_illusts)),
                web.get("/v1/user/novels", self.app_guard(self.user_novels)),
            ],
            WEB_HOST: [web.get(r"/ajax/user/{user_id:\d+}/profile/all", self.web_guard(self.profile_all))],
        }

    def fallbacks(self) -> dict[str, list[web.RouteDef]]:
        return {}  # the App API's and the web's catch-alls answer the rest

    def _user(self, query) -> tuple[int, dict]:
        """(user id, the answer's ``user``): a user who left is pixiv's stand-in of id 0."""
        try:
            uid = int(query.get("user_id", ""))
        except ValueError:
            uid = 0
        if self.world.user(uid) is None:
            return 0, {"id": 0, "name": "", "account": "",
                       "profile_image_urls": {"medium": f"{S}/common/images/no_profile.png"}, "is_followed": False}
        return uid, user_obj(self.world, uid)

    def user_illusts(self, query, viewer: Viewer) -> web.Response:
        """``/v1/user/illusts?user_id=…&type=illust|manga&offset=…``: without ``type`` every work."""
        uid, user = self._user(query)
        ids = users.user_work_ids(self.world, uid, query.get("type")) if uid else []
        page, next_url = _page(ids, query, "/v1/user/illusts")
        # the captures of this listing carry each work's total_comments, as single-work objects do
        return _json({"user": user, "illusts": [viewer.illust(wid, comments=True) for wid in page],
                      "next_url": next_url})

    def user_novels(self, query, viewer: Viewer) -> web.Response:
        """``/v1/user/novels?user_id=…&offset=…``."""
        uid, user = self._user(query)
        page, next_url = _page(users.user_novel_ids(self.world, uid) if uid else [], query, "/v1/user/novels")
        return _json({"user": user, "novels": [viewer.novel(nid) for nid in page], "next_url": next_url})

    def profile_all(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ajax/user/{user_id}/profile/all``; pixiv's error envelope (404) for a user who left."""
        uid = int(request.match_info["user_id"])
        if self.world.user(uid) is None:
            return _json(wo.ajax(None, error=True, message=DELETED_USER_MESSAGE), 404)
        return _json(wo.ajax(users.profile_all(self.world, uid)))
