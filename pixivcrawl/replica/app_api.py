"""The replica's app-api.pixiv.net: the App API endpoints pixivcrawl calls, and the novel webview.

Endpoints (GET, query parameters as pixiv takes them; protocol notes §2.3): ``/v1/illust/detail?illust_id``,
``/v1/ugoira/metadata?illust_id``, ``/v1/illust/series?illust_series_id&offset``,
``/v1/illust-series/illust?illust_id``, ``/v2/novel/series?series_id&last_order``, ``/v2/novel/detail?novel_id``,
``/v1/illust/ranking?mode&date&offset``, ``/v1/novel/ranking?mode&date&offset``, ``/v1/user/detail?user_id`` and
``/webview/v2/novel?id`` (an HTML page that embeds the novel, §2.5). The JSON objects are
:mod:`pixivcrawl.replica.app_objects`', in the shapes of the real captures in ``tests/fixtures/app-api``.

Every request (an unknown path included) needs a bearer token of the token endpoint (else pixiv's 400 "Error
occurred at the OAuth process"); it counts against its account's App API rate limit (``rate_limit``: over it,
pixiv's "Rate Limit" error with ``app_limit_status``); and the account sees works above its sanity limit (the
``app_sanity_limit`` knob or ``POST /_replica/account``) as ``limit_sanity_level`` placeholders. Unknown ids answer
pixiv's 404 errors; a path that is no endpoint answers "Specified end-point doesn't exist" (404).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from functools import lru_cache, partial
from urllib.parse import urlencode

import orjson
from aiohttp import web

from pixivcrawl.protocol import APP_API_HOST

from . import app_objects as ao
from .accounts import TokenStore
from .config import ReplicaConfig
from .rankings import APP_MODES, NOVEL_APP_MODES, Rankings
from .requestlog import note
from .responses import json_response as _json
from .traffic import RateLimits
from .world import World

#: works per page of a series or a ranking
APP_PAGE_SIZE = 30
DELETED_WORK_MESSAGE = "該当作品は削除されたか、存在しない作品IDです。"
DELETED_SERIES_MESSAGE = "該当シリーズは削除されたか、存在しないシリーズIDです。"
DELETED_USER_MESSAGE = "User has left pixiv or the user ID does not exist."


class AppObjects:
    """The App API objects of the world's works, built once per id and shared by every account (they are never
    changed after building; :meth:`forget` drops them after the control API re-uploads or hides works)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._illust = lru_cache(maxsize=200_000)(partial(ao.illust_obj, world))
        self._novel = lru_cache(maxsize=50_000)(partial(ao.novel_obj, world))

    def forget(self) -> None:
        self._illust.cache_clear()
        self._novel.cache_clear()

    def illust(self, wid: int, sanity_limit: int, **kwargs) -> dict:
        """``ao.illust_obj(world, wid, **kwargs)`` as an account whose App API sanity limit is ``sanity_limit``
        sees it: a ``limit_sanity_level`` placeholder when the work is above it."""
        obj = self._illust(wid, **kwargs)
        return ao.for_viewer(obj, obj["sanity_level"], sanity_limit)

    def novel(self, nid: int, sanity_limit: int) -> dict:
        """``ao.novel_obj(world, nid)`` as an account whose App API sanity limit is ``sanity_limit`` sees it."""
        return ao.for_viewer(self._novel(nid), ao.novel_sanity_level(self.world, nid), sanity_limit,
                             ao.novel_as_placeholder)

    def viewer(self, sanity_limit: int) -> Viewer:
        """The objects as an account whose App API sanity limit is ``sanity_limit`` sees them."""
        return Viewer(self, sanity_limit)


class Viewer:
    """The App API objects one account sees (its sanity limit applied)."""

    __slots__ = ("limit", "objects")

    def __init__(self, objects: AppObjects, limit: int) -> None:
        self.objects = objects
        self.limit = limit

    def illust(self, wid: int, **kwargs) -> dict:
        return self.objects.illust(wid, self.limit, **kwargs)

    def novel(self, nid: int) -> dict:
        return self.objects.novel(nid, self.limit)


#: an App API handler: the request's query and the account's view of the objects -> the answer
Handler = Callable[..., web.Response]


def _int_arg(query, name: str) -> int | None:
    try:
        return int(query.get(name, ""))
    except ValueError:
        return None


def _not_found(message: str) -> web.Response:
    return _json(ao.app_error("", message), 404)


def _next_url(path: str, query, cursor: str, value: int) -> str:
    """The request's own query with the cursor moved on, as pixiv builds ``next_url``."""
    params = {k: v for k, v in query.items() if k != cursor}
    params[cursor] = str(value)
    return f"https://{APP_API_HOST}{path}?{urlencode(params)}"


def _page(ids: list[int], query, path: str, cursor: str) -> tuple[list[int], str | None]:
    """One page of ``ids`` at the ``cursor`` query value, and the next page's URL (None on the last page)."""
    start = max(0, _int_arg(query, cursor) or 0)
    if start + APP_PAGE_SIZE >= len(ids):
        return ids[start:], None
    return ids[start: start + APP_PAGE_SIZE], _next_url(path, query, cursor, start + APP_PAGE_SIZE)


class AppApi:
    """The App API handlers. Each takes the request's query and the asking account's :class:`Viewer`."""

    #: whether no crawl calls these routes (False: pixiv endpoints a crawl calls; True: replica-only in the route table)
    replica_only = False

    def __init__(self, world: World, config: ReplicaConfig, tokens: TokenStore, limits: RateLimits,
                 rankings: Rankings, objects: AppObjects) -> None:
        self.world = world
        self.config = config
        self.tokens = tokens
        self.limits = limits
        self.rankings = rankings
        self.objects = objects

    def routes(self) -> dict[str, list[web.RouteDef]]:
        guarded = self._guarded
        return {APP_API_HOST: [
            web.get("/v1/illust/detail", guarded(self.illust_detail)),
            web.get("/v1/ugoira/metadata", guarded(self.ugoira_metadata)),
            web.get("/v1/illust/series", guarded(self.illust_series)),
            web.get("/v1/illust-series/illust", guarded(self.illust_series_illust)),
            web.get("/v2/novel/series", guarded(self.novel_series)),
            web.get("/v2/novel/detail", guarded(self.novel_detail)),
            web.get("/v1/illust/ranking", guarded(self.illust_ranking)),
            web.get("/v1/novel/ranking", guarded(self.novel_ranking)),
            web.get("/v1/user/detail", guarded(self.user_detail)),
            web.get("/webview/v2/novel", guarded(self.webview_novel)),
        ]}

    def fallbacks(self) -> dict[str, list[web.RouteDef]]:
        return {APP_API_HOST: [web.route("*", "/{tail:.*}", self._guarded(self.no_endpoint))]}

    def guarded(self, handler: Callable[..., web.Response], *, with_account: bool = False
                ) -> Callable[[web.Request], object]:
        """``handler`` behind the App API's bearer check and rate limit, for the App API routes of other replica
        modules (pixivcrawl.replica.user_api, .bookmarks, .follows); ``with_account``: it is called with the asking
        account too, ``handler(query, viewer, account=...)``."""
        return self._guarded(handler, with_account=with_account)

    def _guarded(self, handler: Callable[..., web.Response], *, with_account: bool = False
                 ) -> Callable[[web.Request], object]:
        """``handler(query, viewer)`` behind the App API's bearer check and rate limit."""
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.Response:
            account, problem = self.tokens.check_bearer(request.headers.get("Authorization"))
            if account is None:
                return _json(ao.app_error(
                    "Error occurred at the OAuth process. Please check your Access Token to fix this. "
                    f"Error Message: {problem}"), 400)
            note(request, account=account.user_id)
            viewer = self.objects.viewer(self.tokens.app_sanity_limit(account, self.config.app_sanity_limit))
            if self.limits.over_limit(account.user_id, "app"):
                note(request, limited=True)
                return _json(ao.app_error("Rate Limit"), self.config.app_limit_status)
            if with_account:
                return handler(request.query, viewer, account=account)
            return handler(request.query, viewer)
        return guarded

    @staticmethod
    def no_endpoint(query, viewer: Viewer) -> web.Response:
        return _json(ao.app_error("", "Specified end-point doesn't exist"), 404)

    # -- works -------------------------------------------------------------------------------------------

    def _work(self, query):
        """The work of the ``illust_id`` parameter, else None."""
        wid = _int_arg(query, "illust_id")
        return self.world.work(wid) if wid is not None else None

    def illust_detail(self, query, viewer: Viewer) -> web.Response:
        work = self._work(query)
        if work is None:
            return _not_found(DELETED_WORK_MESSAGE)
        return _json({"illust": viewer.illust(work.id, detail=True)})

    def ugoira_metadata(self, query, viewer: Viewer) -> web.Response:
        work = self._work(query)
        if work is None:
            return _not_found(DELETED_WORK_MESSAGE)
        if work.type != "ugoira":
            return _json(ao.app_error("", "This work is not an ugoira."), 400)
        if refused := ao.refusal(self.world, "illust", work.id):
            return _json(refused, 404)
        return _json(ao.ugoira_metadata(self.world, work.id, self.config.ugoira_delays))

    # -- series ------------------------------------------------------------------------------------------

    def illust_series(self, query, viewer: Viewer) -> web.Response:
        sid = _int_arg(query, "illust_series_id")
        series = self.world.illust_series.get(sid) if sid is not None else None
        if series is None:
            return _not_found(DELETED_SERIES_MESSAGE)
        page, next_url = _page(series.member_ids[::-1], query, "/v1/illust/series", "offset")
        return _json({
            "illust_series_detail": ao.illust_series_detail(self.world, series.id),
            "illust_series_first_illust": viewer.illust(series.member_ids[0], comments=True),
            "illusts": [viewer.illust(wid) for wid in page],
            "next_url": next_url,
        })

    def illust_series_illust(self, query, viewer: Viewer) -> web.Response:
        work = self._work(query)
        if work is None:
            return _not_found(DELETED_WORK_MESSAGE)
        if work.series_id is None:
            return _not_found("This work is not in a series.")
        series = self.world.illust_series[work.series_id]
        idx = series.member_ids.index(work.id)
        prev_id = series.member_ids[idx - 1] if idx > 0 else None
        next_id = series.member_ids[idx + 1] if idx + 1 < len(series.member_ids) else None
        return _json({
            "illust_series_detail": ao.illust_series_detail(self.world, series.id),
            "illust_series_context": {
                "content_order": idx + 1,
                "prev": viewer.illust(prev_id, comments=True) if prev_id else None,
                "next": viewer.illust(next_id, comments=True) if next_id else None,
            },
        })

    def novel_series(self, query, viewer: Viewer) -> web.Response:
        sid = _int_arg(query, "series_id")
        series = self.world.novel_series.get(sid) if sid is not None else None
        if series is None:
            return _not_found(DELETED_SERIES_MESSAGE)
        page, next_url = _page(series.member_ids, query, "/v2/novel/series", "last_order")
        return _json({
            "novel_series_detail": ao.novel_series_detail(self.world, series.id),
            "novel_series_first_novel": viewer.novel(series.member_ids[0]),
            "novel_series_latest_novel": viewer.novel(series.member_ids[-1]),
            "novels": [viewer.novel(nid) for nid in page],
            "next_url": next_url,
        })

    # -- rankings ----------------------------------------------------------------------------------------

    def _ranking_day(self, query, modes) -> tuple[str, date] | web.Response:
        """(mode, day) of a ranking request, or pixiv's 400 for an unknown mode or a day with no ranking."""
        mode = query.get("mode", "day")
        if mode not in modes:
            return _json(ao.app_error("", "Invalid mode"), 400)
        try:
            day = date.fromisoformat(query["date"]) if query.get("date") else self.rankings.latest
        except ValueError:
            day = None
        if day is None or not self.rankings.earliest <= day <= self.rankings.latest:
            return _json(ao.app_error("", "Invalid date"), 400)
        return mode, day

    def illust_ranking(self, query, viewer: Viewer) -> web.Response:
        asked = self._ranking_day(query, APP_MODES)
        if isinstance(asked, web.Response):
            return asked
        mode, day = asked
        ranked = self.rankings.ranked(day, *APP_MODES[mode])
        page, next_url = _page(list(ranked), query, "/v1/illust/ranking", "offset")
        return _json({"illusts": [viewer.illust(w) for w in page], "next_url": next_url})

    def novel_ranking(self, query, viewer: Viewer) -> web.Response:
        asked = self._ranking_day(query, NOVEL_APP_MODES)
        if isinstance(asked, web.Response):
            return asked
        mode, day = asked
        ranked = self.rankings.novels_ranked(day, mode)
        page, next_url = _page(list(ranked), query, "/v1/novel/ranking", "offset")
        return _json({"novels": [viewer.novel(n) for n in page], "next_url": next_url})

    # -- users -------------------------------------------------------------------------------------------

    def user_detail(self, query, viewer: Viewer) -> web.Response:
        """``/v1/user/detail?user_id=…``: the user and their profile; pixiv's 404 for a user the world lacks."""
        uid = _int_arg(query, "user_id")
        if uid is None or self.world.user(uid) is None:
            return _not_found(DELETED_USER_MESSAGE)
        return _json(ao.user_detail(self.world, uid))

    # -- novels ------------------------------------------------------------------------------------------

    def _novel(self, query, name: str):
        """The novel of the ``name`` parameter, else None."""
        nid = _int_arg(query, name)
        return self.world.novel(nid) if nid is not None else None

    def novel_detail(self, query, viewer: Viewer) -> web.Response:
        novel = self._novel(query, "novel_id")
        if novel is None:
            return _not_found(DELETED_WORK_MESSAGE)
        return _json({"novel": viewer.novel(novel.id)})

    def webview_novel(self, query, viewer: Viewer) -> web.Response:
        """``/webview/v2/novel?id=…``: the HTML page whose script defines ``window.pixiv.novel`` (§2.5)."""
        novel = self._novel(query, "id")
        if novel is None:
            return _not_found(DELETED_WORK_MESSAGE)
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
