"""The replica's bookmarks: which works each user of the world bookmarked, publicly and privately, and the App API
endpoints that list them, ``GET /v1/user/bookmarks/illust`` and ``/v1/user/bookmarks/novel`` (pixiv-protocol.md
§2.3; captures ``tests/fixtures/app-api/v1_user_bookmarks_*``).

**The world's bookmarks** (:class:`Bookmarks`) are drawn per user and per list (illusts, novels) from an RNG seeded
by the world's seed, the list and the user, so they are the same in every process. A user bookmarks works of other
users, each some days after it was posted; every bookmark has an id that grows with time (pixiv's
``max_bookmark_id`` cursor), a restrict (``public`` or ``private``) and 0 to 2 of the user's own bookmark tags
(drawn from four of the world's tags). Sizes: user ``USER_BASE`` (the replica's account 0) has three pages of public
illust bookmarks (75) and two of private ones (35), and two pages of public novel bookmarks (40) and 12 private;
user ``USER_BASE + 1`` (account 1) bookmarked a third of the world's illusts publicly, at most 1,000 (a large list
for benchmarks); the others up to 45 public and 12 private illusts, 20 public and 6 private novels.

**The endpoints** take pixiv's parameters: ``user_id``, ``restrict`` (``public`` default, ``private``), ``tag`` (only
bookmarks filed under that bookmark tag), ``filter`` and ``max_bookmark_id`` (only bookmarks with that id or an older
one). They answer ``{illusts | novels, next_url}``: 30 works a page, newest bookmark first, each the App API's work
object as the asking account sees it (its sanity limit, works hidden on purpose); ``next_url`` is the request's own
query with ``max_bookmark_id`` set to the next page's first bookmark, or null on the last page. As pixiv:

- a ``restrict`` other than ``public``/``private`` is its 400 ``{"restrict":["restrict contains invalid value"]}``
  (the message pixivpy#315 shows for that endpoint family), a missing or malformed ``user_id`` a 400 of the same kind;
- a user the world lacks has no bookmarks (200, an empty list: the App API's lists do not tell a deleted user from
  one without works, pixiv-protocol.md §6, quirk 3);
- another user's ``private`` bookmarks are refused: 403 with ``user_message`` "Your access is currently
  restricted." (no capture shows pixiv's answer; pixiv's apps never ask for it, and pixivcrawl refuses before
  asking).

Every request needs the App API's bearer and counts against its account's rate limit, as in
:mod:`pixivcrawl.replica.app_api`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from aiohttp import web

from pixivcrawl.protocol import APP_API_HOST

from . import app_objects as ao
from .accounts import Account
from .app_api import Viewer
from .responses import json_response as _json
from .world import USER_BASE, World

#: bookmarks per page, as pixiv pages them
BOOKMARK_PAGE_SIZE = 30
#: the lists of bookmarks, by pixiv's path word: the key of the works in the answer
LISTS = {"illust": "illusts", "novel": "novels"}
RESTRICTS = ("public", "private")
#: the first bookmark id (pixiv's are ten-digit numbers by now)
BOOKMARK_ID_BASE = 5_000_000_000
#: the most bookmarks one list of the large user (``USER_BASE + 1``) holds
LARGE_LIST = 1000


@dataclass(frozen=True, slots=True)
class Bookmark:
    """One bookmark: its id (grows with time; pixiv's ``max_bookmark_id`` cursor), the work, whether it is
    ``public`` or ``private``, and the user's bookmark tags on it."""

    id: int
    work_id: int
    restrict: str
    tags: tuple[str, ...]


class Bookmarks:
    """Every user's bookmarks in a :class:`World`, drawn on first use and kept (see the module docstring)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._lists = lru_cache(maxsize=4096)(self._draw)

    def of(self, uid: int, kind: str, restrict: str) -> tuple[Bookmark, ...]:
        """User ``uid``'s bookmarks of ``kind`` (``illust`` or ``novel``) with this ``restrict``, newest first
        (() for a user the world lacks)."""
        return tuple(b for b in self._lists(uid, kind) if b.restrict == restrict)

    def page(self, uid: int, kind: str, restrict: str, tag: str | None = None,
             max_bookmark_id: int | None = None) -> tuple[tuple[Bookmark, ...], int | None]:
        """One page of :meth:`of`: the bookmarks filed under ``tag`` (all when None) with an id of at most
        ``max_bookmark_id`` (all when None), BOOKMARK_PAGE_SIZE of them, and the id the next page starts at (None
        on the last page)."""
        marks = [b for b in self.of(uid, kind, restrict)
                 if (tag is None or tag in b.tags) and (max_bookmark_id is None or b.id <= max_bookmark_id)]
        following = marks[BOOKMARK_PAGE_SIZE].id if len(marks) > BOOKMARK_PAGE_SIZE else None
        return tuple(marks[:BOOKMARK_PAGE_SIZE]), following

    def _sizes(self, index: int, kind: str, rng: random.Random) -> tuple[int, int]:
        """(public, private) bookmarks of user number ``index`` in list ``kind``."""
        if kind == "illust":
            if index == 0:
                return 75, 35
            if index == 1:
                return min(LARGE_LIST, self.world.n_works // 3), 10
            return rng.randint(0, 45), rng.randint(0, 12)
        return (40, 12) if index == 0 else (rng.randint(0, 20), rng.randint(0, 6))

    def _draw(self, uid: int, kind: str) -> tuple[Bookmark, ...]:
        """Every bookmark of user ``uid`` in list ``kind``, newest first."""
        user = self.world.user(uid)
        if user is None:
            return ()
        rng = random.Random(f"{self.world.seed}:bookmarks:{kind}:{uid}")
        public, private = self._sizes(user.index, kind, rng)
        works = self.world.works if kind == "illust" else self.world.novels
        posted = {w.id: w.created for w in works if w.user_id != uid}
        chosen = rng.sample(sorted(posted), min(len(posted), public + private))
        restrict = {wid: "public" if n < public else "private" for n, wid in enumerate(chosen)}
        when = {wid: posted[wid] + rng.randrange(30 * 86400) for wid in chosen}
        vocabulary = [tag.name for tag in rng.sample(self.world.tags, 4)]
        bookmark_id = BOOKMARK_ID_BASE + (uid - USER_BASE) * 10_000_000 + (kind == "novel") * 5_000_000
        marks = []
        for wid in sorted(chosen, key=lambda w: (when[w], w)):
            bookmark_id += rng.randint(1, 50)
            tags = tuple(t for t in vocabulary if rng.random() < 0.3)[:2]
            marks.append(Bookmark(bookmark_id, wid, restrict[wid], tags))
        return tuple(reversed(marks))


#: pixiv's 400 for a bad parameter of these lists: ``message`` is a JSON object of the parameter's complaints
def _invalid(name: str, complaint: str) -> web.Response:
    return _json(ao.app_error(json.dumps({name: [complaint]}, separators=(",", ":"))), 400)


class BookmarksApi:
    """``/v1/user/bookmarks/illust`` and ``/v1/user/bookmarks/novel`` on the App API host."""

    #: whether no crawl calls these routes (False: pixiv endpoints a crawl calls)
    replica_only = False

    def __init__(self, world: World, guard: Callable[..., Callable[[web.Request], object]],
                 bookmarks: Bookmarks | None = None) -> None:
        self.world = world
        self.guard = guard
        self.bookmarks = bookmarks or Bookmarks(world)

    def routes(self) -> dict[str, list[web.RouteDef]]:
        return {APP_API_HOST: [
            web.get("/v1/user/bookmarks/illust", self._guarded(self.illust_bookmarks)),
            web.get("/v1/user/bookmarks/novel", self._guarded(self.novel_bookmarks)),
        ]}

    def fallbacks(self) -> dict[str, list[web.RouteDef]]:
        return {}  # the App API's own catch-all (pixivcrawl.replica.app_api) answers the rest of the host

    def _guarded(self, handler: Callable[..., web.Response]) -> Callable[[web.Request], object]:
        """``handler(query, viewer, account)`` behind the App API's bearer check and rate limit (``guard``:
        :meth:`pixivcrawl.replica.app_api.AppApi.guarded`), with the asking account."""
        return self.guard(handler, with_account=True)

    def illust_bookmarks(self, query, viewer: Viewer, account: Account) -> web.Response:
        return self._list("illust", query, viewer, account)

    def novel_bookmarks(self, query, viewer: Viewer, account: Account) -> web.Response:
        return self._list("novel", query, viewer, account)

    def _list(self, kind: str, query, viewer: Viewer, account: Account) -> web.Response:
        """One page of a user's bookmarks of ``kind`` (see the module docstring)."""
        uid = _whole_number(query.get("user_id"))
        if uid is None:
            return _invalid("user_id", "User Id is required" if "user_id" not in query else
                            "User Id must be an integer (0-9)")
        restrict = query.get("restrict", "public")
        if restrict not in RESTRICTS:
            return _invalid("restrict", "restrict contains invalid value")
        if restrict == "private" and uid != account.user_id:
            return _json(ao.app_error("", ao.RESTRICTED_MESSAGE), 403)
        cursor = _whole_number(query.get("max_bookmark_id"))
        marks, following = self.bookmarks.page(uid, kind, restrict, query.get("tag") or None, cursor)
        show = viewer.illust if kind == "illust" else viewer.novel
        next_url = None
        if following is not None:
            params = {k: v for k, v in query.items() if k != "max_bookmark_id"}
            next_url = (f"https://{APP_API_HOST}/v1/user/bookmarks/{kind}?"
                        f"{urlencode({**params, 'max_bookmark_id': str(following)})}")
        return _json({LISTS[kind]: [show(b.work_id) for b in marks], "next_url": next_url})


def _whole_number(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdecimal() else None
