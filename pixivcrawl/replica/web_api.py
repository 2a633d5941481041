"""The replica's www.pixiv.net: the web Ajax API, ranking.php and the commission (request) pages.

Endpoints (GET; protocol notes §3): ``/ranking.php?format=json&mode&content&date&p`` (§3.3, a bare object),
``/ajax/search/{kind}/{word}`` (``kind`` artworks | illustrations | manga | novels, §3.3),
``/ajax/commission/page/request`` and ``/ajax/commission/page/request/{section}/{work_type}`` (§3.4), and the work
pages ``/ajax/illust/{illust_id}``, ``/ajax/illust/{illust_id}/pages``, ``/ajax/illust/{illust_id}/ugoira_meta`` and
``/ajax/novel/{novel_id}`` (§3.2; their bodies: :mod:`pixivcrawl.replica.web_works`). Every Ajax answer is pixiv's
``{error, message, body}`` envelope, with the objects of :mod:`pixivcrawl.replica.web_objects` in the shapes of the
captures in ``tests/fixtures/ajax``.

The ``PHPSESSID`` cookie identifies the account: R-18 modes need it, and the per-account rate limit of
logged-in sessions answers 429 (with ``Retry-After`` when configured), as pixiv does since 2022. The web
shows a logged-in account every work whole, those its App API sanity limit hides included; without a
session R-18 works come without image URLs and R-18 novels and ugoira metadata are refused (protocol notes
§3.5). A path that is no endpoint answers pixiv's empty error (404).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from urllib.parse import quote, unquote

from aiohttp import web

from pixivcrawl.protocol import WEB_HOST

from . import web_objects as wo, web_works
from .accounts import TokenStore
from .app_objects import RESTRICTED_MESSAGE
from .commissions import Commissions
from .config import ReplicaConfig
from .rankings import PAGE as RANK_PAGE, WEB_MODES, Rankings, content_allowed
from .requestlog import note
from .responses import json_response as _json
from .search import ILLUST_PAGE, NOVEL_PAGE, SEARCH_KINDS, TYPE_FILTERS, Query, Search
from .traffic import RateLimits
from .world import World

_COMMISSION_TYPES = {
    "complete": ("illust", "manga", "ugoira"),
    "creators": ("illust", "manga", "ugoira"),
    "in_progress": ("all", "illust", "manga", "ugoira"),
}
COMMISSION_PAGE = {"complete": 24, "creators": 48, "in_progress": 24}
_BOOKMARK_RANGES = [None, 10000, 5000, 1000, 500, 300, 100, 50]
#: a web handler: the request and whether it comes with a logged-in session -> the answer
Handler = Callable[[web.Request, bool], web.Response]


def _error(message: str, status: int) -> web.Response:
    return _json(wo.ajax(None, error=True, message=message), status)


class WebApi:
    """The web handlers. Each takes the request and whether its session is logged in."""

    #: whether no crawl calls these routes (False: pixiv endpoints a crawl calls; True: replica-only in the route table)
    replica_only = False

    def __init__(self, world: World, config: ReplicaConfig, tokens: TokenStore, limits: RateLimits,
                 rankings: Rankings) -> None:
        self.world = world
        self.config = config
        self.tokens = tokens
        self.limits = limits
        self.rankings = rankings
        self.search = Search(world)
        self.commissions = Commissions(world)

    def routes(self) -> dict[str, list[web.RouteDef]]:
        guarded = self._guarded
        return {WEB_HOST: [
            web.get("/ranking.php", guarded(self.ranking)),
            web.get("/ajax/search/{kind:artworks|illustrations|manga|novels}/{word:.+}", guarded(self.search_page)),
            web.get("/ajax/commission/page/request", guarded(self.commission_overview)),
            web.get(r"/ajax/commission/page/request/{section:complete|creators|in_progress}/{work_type:\w+}",
                    guarded(self.commission_listing)),
            web.get(r"/ajax/illust/{illust_id:\d+}", guarded(self.illust_page)),
            web.get(r"/ajax/illust/{illust_id:\d+}/pages", guarded(self.illust_pages)),
            web.get(r"/ajax/illust/{illust_id:\d+}/ugoira_meta", guarded(self.ugoira_meta)),
            web.get(r"/ajax/novel/{novel_id:\d+}", guarded(self.novel_page)),
        ]}

    def fallbacks(self) -> dict[str, list[web.RouteDef]]:
        return {WEB_HOST: [web.route("*", "/{tail:.*}", self._guarded(self.no_endpoint))]}

    def guarded(self, handler: Handler) -> Callable[[web.Request], object]:
        """``handler`` behind the session look-up and the rate limit, for the web routes of other replica modules
        (pixivcrawl.replica.user_api)."""
        return self._guarded(handler)

    def _guarded(self, handler: Handler) -> Callable[[web.Request], object]:
        """``handler`` behind the session look-up and the rate limit of logged-in sessions."""
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.Response:
            account = self.tokens.account_for_session(request.cookies.get("PHPSESSID"))
            if account is not None:
                note(request, account=account.user_id)
                if self.limits.over_limit(account.user_id, "web"):
                    note(request, limited=True)
                    retry = self.config.retry_after
                    return _json(wo.ajax(None, True, "Rate Limit"), 429,
                                 headers={"Retry-After": str(retry)} if retry else None)
            return handler(request, account is not None)
        return guarded

    @staticmethod
    def no_endpoint(request: web.Request, logged_in: bool) -> web.Response:
        return _error("", 404)

    # -- work pages ----------------------------------------------------------------------------------
    # An unknown id is pixiv's empty error (``{"error":true,"message":"","body":[]}``, as in the capture of a
    # missing work); a work hidden on purpose (``POST /_replica/hide``: hidden from this viewer everywhere, unlike
    # the App API's per-account sanity limit) is refused with "Your access is currently restricted.".

    def _illust(self, request: web.Request):
        """(work id, the work or None, a refusal or None) of an ``/ajax/illust/{illust_id}`` page."""
        wid = int(request.match_info["illust_id"])
        if self.world.hiding("illust", wid) is not None:
            return wid, None, _error(RESTRICTED_MESSAGE, 403)
        work = self.world.work(wid)
        return wid, work, None if work is not None else _error("", 404)

    def illust_page(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ajax/illust/{illust_id}?lang=…``."""
        wid, _, refused = self._illust(request)
        if refused:
            return refused
        lang = request.query.get("lang") or "ja"
        return _json(wo.ajax(web_works.illust_body(self.world, wid, logged_in=logged_in, lang=lang)))

    def illust_pages(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ajax/illust/{illust_id}/pages``."""
        wid, _, refused = self._illust(request)
        if refused:
            return refused
        return _json(wo.ajax(web_works.illust_pages(self.world, wid, logged_in=logged_in)))

    def ugoira_meta(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ajax/illust/{illust_id}/ugoira_meta``: R-18 ones need a session."""
        wid, work, refused = self._illust(request)
        if refused:
            return refused
        if work.type != "ugoira":
            return _error("This work is not an ugoira.", 400)
        if self.world.work_detail(wid).x_restrict and not logged_in:
            return _error("ログインしてください", 403)
        return _json(wo.ajax(web_works.ugoira_meta(self.world, wid)))

    def novel_page(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ajax/novel/{novel_id}``: R-18 novels need a session."""
        nid = int(request.match_info["novel_id"])
        if self.world.hiding("novel", nid) is not None:
            return _error(RESTRICTED_MESSAGE, 403)
        if self.world.novel(nid) is None:
            return _error("", 404)
        if self.world.novel_detail(nid).x_restrict and not logged_in:
            return _error("ログインしてください", 403)
        return _json(wo.ajax(web_works.novel_body(self.world, nid)))

    # -- ranking.php ---------------------------------------------------------------------------------

    def ranking(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ranking.php?format=json&mode=…&content=…&date=YYYYMMDD&p=…`` (a bare object, no envelope)."""
        query = request.query
        if query.get("format") != "json":
            return web.Response(status=400, text="<html>ranking page</html>", content_type="text/html")
        mode = query.get("mode", "daily")
        content = query.get("content", "all")
        if mode not in WEB_MODES or not content_allowed(mode, content):
            return _json({"error": "不正なリクエストです"}, 400)
        if WEB_MODES[mode][2] and not logged_in:
            return _json({"error": "ログインしてください"}, 403)
        try:
            day = datetime.strptime(query["date"], "%Y%m%d").date() if "date" in query else self.rankings.latest  # noqa: DTZ007 - a calendar date
            page = int(query.get("p", "1"))
        except ValueError:
            return _json({"error": "不正なリクエストです"}, 400)
        if not self.rankings.earliest <= day <= self.rankings.latest:
            return _json({"error": "ランキングは存在しません"}, 404)
        ranked = self.rankings.ranked(day, mode, content)
        pages = max(1, math.ceil(len(ranked) / RANK_PAGE))
        if not 1 <= page <= pages:
            return _json({"error": "指定されたページは存在しません"}, 404)
        yesterday = day - timedelta(days=1)
        contents = [
            wo.ranking_item(self.world, wid, rank, self.rankings.rank_of(yesterday, mode, content, wid))
            for rank, wid in enumerate(ranked[(page - 1) * RANK_PAGE: page * RANK_PAGE], (page - 1) * RANK_PAGE + 1)
        ]
        return _json({
            "contents": contents,
            "mode": mode,
            "content": content,
            "page": page,
            "prev": page - 1 if page > 1 else False,
            "next": page + 1 if page < pages else False,
            "date": day.strftime("%Y%m%d"),
            "prev_date": yesterday.strftime("%Y%m%d") if yesterday >= self.rankings.earliest else False,
            "next_date": (day + timedelta(days=1)).strftime("%Y%m%d") if day < self.rankings.latest else False,
            "rank_total": len(ranked),
        })

    # -- search --------------------------------------------------------------------------------------

    def search_page(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ajax/search/{kind}/{word}?s_mode&order&mode&type&p&…`` (the filters of :class:`search.Query`)."""
        query = request.query
        # the word is decoded once more, as the replica always did (a word is never itself percent-encoded)
        kind, word = request.match_info["kind"], unquote(request.match_info["word"])
        body_key, default_type = SEARCH_KINDS[kind]
        try:
            q = Query(
                kind=kind, word=word, s_mode=query.get("s_mode", "s_tag_full"), order=query.get("order", "date_d"),
                mode=_mode(query.get("mode", "all"), logged_in), type=query.get("type", default_type),
                wlt=_int(query, "wlt"), wgt=_int(query, "wgt"), hlt=_int(query, "hlt"), hgt=_int(query, "hgt"),
                ratio=float(query["ratio"]) if query.get("ratio") else None, tool=query.get("tool") or None,
                scd=_date(query, "scd"), ecd=_date(query, "ecd"), blt=_int(query, "blt"), bgt=_int(query, "bgt"),
                work_lang=query.get("work_lang") or None, ai_type=_int(query, "ai_type"),
            )
            page = int(query.get("p", "1"))
        except ValueError:
            return _error("不正なリクエストです", 400)
        if q.type not in TYPE_FILTERS or q.s_mode not in ("s_tag_full", "s_tag", "s_tc") or page < 1:
            return _error("不正なリクエストです", 400)
        ids = self.search.results(q)
        # since 2022 the illustrations and manga grids carry one ad placeholder among 59 works
        with_ad = kind in ("illustrations", "manga")
        size = NOVEL_PAGE if kind == "novels" else ILLUST_PAGE - with_ad
        last_page = min(math.ceil(len(ids) / size), self.config.search_page_cap)
        on_page = ids[(page - 1) * size: page * size] if page <= last_page else ()
        thumb = (lambda i: wo.novel_thumbnail(self.world, i)) if kind == "novels" else \
            (lambda i: wo.illust_thumbnail(self.world, i))
        data = [thumb(i) for i in on_page]
        if with_ad and data:
            data.insert(min(len(data), 42), {"isAdContainer": True})
        result = {"data": data, "total": len(ids), "lastPage": last_page}
        if kind != "novels":
            result["bookmarkRanges"] = [{"min": b, "max": None} for b in _BOOKMARK_RANGES]
        popular = sorted(ids[:500], key=lambda i: -self._bookmarks(kind, i))[:6]
        tags = [t for i in on_page for t in (self.world.novel_tags(i) if kind == "novels" else self.world.work_tags(i))]
        related = list(dict.fromkeys(t.name for t in tags if t.name != word))[:16]
        encoded = quote(word, safe="")
        return _json(wo.ajax({
            body_key: result,
            "popular": {"recent": [], "permanent": [thumb(i) for i in popular]},
            "relatedTags": related,
            "tagTranslation": wo.tag_translation(self.world, [word, *related]),
            "zoneConfig": {z: {"url": f"https://pixon.ads-pixiv.net/show?zone_id={z}&format=js&l=ja"}
                           for z in ("header", "footer", "infeed")},
            "extraData": {"meta": {
                "title": f"#{word}の作品 - pixiv",
                "description": f"#{word}の作品は{len(ids)}件投稿されています。",
                "canonical": f"https://www.pixiv.net/tags/{encoded}/{kind}",
                "alternateLanguages": {"ja": f"https://www.pixiv.net/tags/{encoded}/{kind}",
                                       "en": f"https://www.pixiv.net/en/tags/{encoded}/{kind}"},
                "descriptionHeader": f"<a href=\"/tags/{encoded}\">#{word}</a>の作品は{len(ids)}件投稿されています。",
            }},
        }))

    def _bookmarks(self, kind: str, i: int) -> int:
        return (self.world.novel_detail(i) if kind == "novels" else self.world.work_detail(i)).total_bookmarks

    # -- commissions ---------------------------------------------------------------------------------

    def _commission_body(self, page: dict, requests, thumbnail_ids=(), novel_ids=()) -> dict:
        c = self.commissions
        users: list[int] = []
        for r in requests:
            users += [u for u in (r.fan_id, r.creator_id) if u is not None]
        users = list(dict.fromkeys(users))
        tags = [t for r in requests for t in r.tags]
        return wo.ajax({
            "page": page,
            "tagTranslation": wo.tag_translation(self.world, tags),
            "thumbnails": {
                "illust": [wo.illust_thumbnail(self.world, w, with_urls=True) for w in dict.fromkeys(thumbnail_ids)],
                "novel": [wo.novel_thumbnail(self.world, n) for n in dict.fromkeys(novel_ids)],
                "novelSeries": [],
                "novelDraft": [],
            },
            "illustSeries": [],
            "requests": [wo.commission_request(self.world, c, r) for r in requests],
            "users": [wo.web_user(self.world, u, u in c.plans) for u in users],
        })

    @staticmethod
    def _posted(requests, novels: bool) -> list[int]:
        return [r.post_work_id for r in requests if r.post_work_id and (r.work_type == "novel") == novels]

    def commission_overview(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ajax/commission/page/request``: the commission front page."""
        c = self.commissions
        complete = {t: c.listing("complete", t, "all")[:24] for t in ("illust", "manga", "novel")}
        in_progress = c.listing("inProgress", "all", "all")[:12]
        creators = c.creators[:12]
        recent = [w for u in creators for w in self.world.users[u].work_ids[-5:]][:50]
        recommend = [w for u in creators[:6] for w in self.world.users[u].work_ids[:2]][:12]
        requests = complete["illust"] + complete["manga"] + complete["novel"] + in_progress
        page = {
            "completeRequestIdsIllust": [str(r.id) for r in complete["illust"]],
            "completeRequestIdsManga": [str(r.id) for r in complete["manga"]],
            "completeRequestIdsNovels": [str(r.id) for r in complete["novel"]],
            "inProgressRequestIds": [str(r.id) for r in in_progress],
            "creatorUserIds": [str(u) for u in creators],
            "recentIllustIdsByCreatorAcceptingRequest": [str(w) for w in recent],
            "recommendIllustIdsByCreatorAcceptingRequest": [str(w) for w in recommend],
            "userList": [{"id": str(u), "illustIds": [str(w) for w in self.world.users[u].work_ids[-3:]]}
                         for u in creators[:9]],
        }
        illusts = self._posted(requests, False) + recent + recommend
        return _json(self._commission_body(page, requests, illusts, self._posted(requests, True)))

    def commission_listing(self, request: web.Request, logged_in: bool) -> web.Response:
        """``/ajax/commission/page/request/{section}/{work_type}?mode&p``: complete or in-progress requests, or the
        creators accepting them."""
        section, work_type, query = request.match_info["section"], request.match_info["work_type"], request.query
        if work_type not in _COMMISSION_TYPES[section]:
            return _error("", 404)
        mode = query.get("mode", "all")
        if mode not in ("all", "safe", "r18"):
            return _error("不正なリクエストです", 400)
        if mode == "r18" and not logged_in:
            return _error("ログインしてください", 403)
        try:
            page_no = max(1, int(query.get("p", "1")))
        except ValueError:
            return _error("不正なリクエストです", 400)
        size = COMMISSION_PAGE[section]
        start = (page_no - 1) * size
        c = self.commissions
        if section == "creators":
            creators = c.creators_for(work_type, mode)
            page = {"followCreatorUserIds": [], "creatorUserIds": [str(u) for u in creators[start:start + size]],
                    "workType": work_type, "mode": mode,
                    "pager": {"page": page_no, "hasNextPage": start + size < len(creators)}}
            return _json(wo.ajax({"page": page, "tagTranslation": [], "thumbnails": {
                "illust": [], "novel": [], "novelSeries": [], "novelDraft": []},
                "illustSeries": [], "requests": [], "users": []}))
        status = "complete" if section == "complete" else "inProgress"
        listing = c.listing(status, work_type, mode)
        on_page = listing[start:start + size]
        pager = {"page": page_no, "hasNextPage": start + size < len(listing)}
        if section == "complete":
            recommend = [r for r in listing if r not in on_page][:36]
            page = {"recommendRequestIds": [str(r.id) for r in recommend], "requestIds": [str(r.id) for r in on_page],
                    "pager": pager, "workType": work_type, "mode": mode}
            requests = recommend + on_page
            return _json(self._commission_body(page, requests, self._posted(requests, False)))
        page = {"followRequestIds": [], "requestIds": [str(r.id) for r in on_page], "workType": work_type,
                "mode": mode, "pager": pager}
        return _json(self._commission_body(page, on_page))


def _mode(mode: str, logged_in: bool) -> str:
    if mode not in ("all", "safe", "r18"):
        raise ValueError(mode)
    return mode if logged_in else "safe"


def _int(query, name: str) -> int | None:
    value = query.get(name)
    return int(value) if value not in (None, "") else None


def _date(query, name: str) -> date | None:
    value = query.get(name)
    return date.fromisoformat(value) if value else None
