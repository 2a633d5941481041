"""The replica's follow endpoints of the App API (app-api.pixiv.net), over :mod:`pixivcrawl.replica.follow_graph`.

- ``GET /v1/user/following?user_id=&restrict=public|private&offset=``: ``{user_previews, next_url}``, the users
  ``user_id`` follows with that restrict, newest follow first, 30 a page; each preview ``{user, illusts, novels,
  is_muted}`` shows the user's newest works. The private list is the account's own only: another user's is refused
  with 403 "Your access is currently restricted." (no capture shows pixiv's answer; pixivcrawl refuses before
  asking, as for private bookmarks); an ``offset`` above 5000 is pixiv's 400 (protocol notes §2.6).
- ``GET /v2/illust/follow?restrict=public|private|all&offset=``: ``{illusts, next_url}``, the account's follow
  feed, newest first, 30 a page, ending at the graph's feed depth (``next_url`` null).
- ``GET /v1/novel/follow?restrict=…&offset=``: ``{novels, next_url}``, the same for novels.

The objects are the App API's own (:class:`~pixivcrawl.replica.app_api.Viewer`: the account's sanity limit
applies) in the key order of the captures in ``tests/fixtures/app-api/v1_user_following``, ``v2_illust_follow``,
``v1_novel_follow``. Every request goes through the App API's bearer check and rate limit
(:meth:`AppApi.guarded <pixivcrawl.replica.app_api.AppApi.guarded>`); the handlers also learn which account asks.
A ``restrict`` pixiv does not take is its 400 ``{"restrict":["restrict contains invalid value"]}`` (as
:mod:`pixivcrawl.replica.bookmarks` answers it).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aiohttp import web

from pixivcrawl.protocol import APP_API_HOST

from . import app_objects as ao
from .accounts import Account
from .app_api import DELETED_USER_MESSAGE, AppApi, Viewer, _int_arg, _not_found, _page
from .follow_graph import FEED_RESTRICTS, FollowGraph
from .responses import json_response as _json

#: the highest ``offset`` /v1/user/following takes (as the App API's search: protocol notes §2.6)
FOLLOWING_OFFSET_CAP = 5000


class FollowsApi:
    """The follow endpoints, behind the App API's guard (``app``'s bearer check and rate limit)."""

    replica_only = False

    def __init__(self, app: AppApi, graph: FollowGraph) -> None:
        self.app = app
        self.world = app.world
        self.graph = graph

    def routes(self) -> dict[str, list[web.RouteDef]]:
        return {APP_API_HOST: [
            web.get("/v1/user/following", self._guarded(self.user_following)),
            web.get("/v2/illust/follow", self._guarded(self.illust_follow)),
            web.get("/v1/novel/follow", self._guarded(self.novel_follow)),
        ]}

    def fallbacks(self) -> dict[str, list[web.RouteDef]]:
        return {}  # the App API's own catch-all answers the rest

    def _guarded(self, handler: Callable[..., web.Response]) -> Callable[[web.Request], object]:
        """``handler(query, viewer, account)`` behind the App API's guard, with the account the bearer belongs to."""
        return self.app.guarded(handler, with_account=True)

    # -- /v1/user/following --------------------------------------------------------------------------

    def user_following(self, query, viewer: Viewer, account: Account) -> web.Response:
        uid = _int_arg(query, "user_id")
        if uid is None or self.world.user(uid) is None:
            return _not_found(DELETED_USER_MESSAGE)
        restrict = query.get("restrict", "public")
        if restrict not in ("public", "private"):
            return _invalid_restrict()
        if restrict == "private" and uid != account.user_id:
            return _json(ao.app_error("", ao.RESTRICTED_MESSAGE), 403)
        if (_int_arg(query, "offset") or 0) > FOLLOWING_OFFSET_CAP:
            return _json(ao.app_error(f'{{"offset":["offset must be no more than {FOLLOWING_OFFSET_CAP}"]}}'), 400)
        page, next_url = _page(self.graph.followed(uid, restrict), query, "/v1/user/following", "offset")
        return _json({"user_previews": [self.preview(f, viewer, account) for f in page], "next_url": next_url})

    def preview(self, uid: int, viewer: Viewer, account: Account) -> dict:
        """The user preview of ``uid`` as ``account`` sees it: the user, their newest works, ``is_muted``."""
        illusts, novels = self.graph.preview_works(uid)
        user = {**ao.user_obj(self.world, uid), "is_followed": self.graph.follows(account.user_id, uid)}
        return {
            "user": user,
            "illusts": [viewer.illust(wid) for wid in illusts],
            "novels": [viewer.novel(nid) for nid in novels],
            "is_muted": False,
        }

    # -- the follow feeds ----------------------------------------------------------------------------

    def _feed_restrict(self, query) -> str | web.Response:
        restrict = query.get("restrict", "public")
        return restrict if restrict in FEED_RESTRICTS else _invalid_restrict()

    def illust_follow(self, query, viewer: Viewer, account: Account) -> web.Response:
        restrict = self._feed_restrict(query)
        if isinstance(restrict, web.Response):
            return restrict
        feed = self.graph.illust_feed(account.user_id, restrict)
        page, next_url = _page(feed, query, "/v2/illust/follow", "offset")
        return _json({"illusts": [viewer.illust(wid) for wid in page], "next_url": next_url})

    def novel_follow(self, query, viewer: Viewer, account: Account) -> web.Response:
        restrict = self._feed_restrict(query)
        if isinstance(restrict, web.Response):
            return restrict
        feed = self.graph.novel_feed(account.user_id, restrict)
        page, next_url = _page(feed, query, "/v1/novel/follow", "offset")
        return _json({"novels": [viewer.novel(nid) for nid in page], "next_url": next_url})


def _invalid_restrict() -> web.Response:
    """pixiv's 400 for a ``restrict`` it does not take (pixivpy#315 shows it for the bookmark lists)."""
    return _json(ao.app_error(json.dumps({"restrict": ["restrict contains invalid value"]}, separators=(",", ":"))),
                 400)
