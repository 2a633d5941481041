"""Everything one user published, as a mixin of spiders (the ``user`` spider; the ``following`` spider's
``works=1``): :meth:`UserWorksMixin.user_requests` is the first requests of one user's crawl.

- the **profile**: ``/v1/user/detail``, stored as the user record with its profile
  (:func:`pixivcrawl.parsers.users.profile_record`; the profile columns of ``users``);
- the **works**: ``/v1/user/illusts`` (without ``type``: illusts, manga and ugoira in one listing; ``type=illust``
  or ``manga`` for one of them) and ``/v1/user/novels``, newest first, 30 a page, ``next_url`` after ``next_url``;
  each work expanded as a whole App API record like a series member (pixivcrawl.spiders.app_works: its user, the
  ugoira's frames, the novel's text; files downloaded by the pipelines);
- with ``tag``: only the works carrying that tag (its name or its English translation, any case), read from the
  App API listings themselves (each page holds 30 whole works with their tags: no request per left-out work);
- with ``series``: ``/ajax/user/{id}/profile/all`` lists the user's series, each crawled whole as the series
  spiders do (pixivcrawl.spiders.series.SeriesCrawlMixin); a novel of a series is then left to its series' crawl,
  which stores its place in the series (``series_order``).

**Incremental crawls** (``incremental=1``, or a resumed job) cost at most two requests for a user with nothing new:
the first page of each listing. The profile of a user whose profile is stored is not fetched again (its counters
would tell nothing the listings do not), works stored unchanged cost no sub-request, and a listing stops after
``PIXIV_INCREMENTAL_STOP`` known, unchanged works in a row (works left out by ``tag`` or to a series neither count
nor break the run). A crawl that is not incremental fetches the profile again, and so refreshes it.

Stats: ``pixiv/user/profiles`` (profiles stored), ``pixiv/user/profiles_known`` (not fetched again),
``pixiv/user/works_without_tag``, ``pixiv/user/novels_left_to_series``, ``pixiv/user/series`` (series found),
``pixiv/incremental/known``, ``pixiv/incremental/stopped_listings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from pixivcrawl.endpoints import USER_DETAIL, USER_ILLUSTS, USER_NOVELS, USER_PROFILE_ALL, follow
from pixivcrawl.items import IllustItem, NovelItem
from pixivcrawl.parsers.app_api import parse_illust, parse_novel, parse_user_detail
from pixivcrawl.parsers.users import parse_profile_all, parse_user_illusts, parse_user_novels, profile_record

from .series import SeriesCrawlMixin

#: what a user publishes, as the ``type`` argument names it
WORK_TYPES = ("illust", "manga", "novel")


def has_tag(item: IllustItem | NovelItem, tag: str) -> bool:
    """Whether the work carries ``tag``: a tag whose name or English translation (``translated_name``) is ``tag``,
    compared case-insensitively."""
    wanted = tag.casefold()
    return any(wanted in (t.name.casefold(), (t.translated_name or "").casefold()) for t in item.tags)


class UserWorksMixin(SeriesCrawlMixin):
    """One user's crawl (see the module docstring). Needs PixivSpider's helpers and, optionally, an ``incremental``
    argument."""

    def user_requests(self, user_id: int, *, types: Iterable[str] = WORK_TYPES, tag: str | None = None,
                      series: bool = False) -> Iterator[scrapy.Request]:
        """The first requests of user ``user_id``'s crawl: the profile (unless the crawl is incremental and it is
        stored), the first page of each listing ``types`` asks for (``illust``, ``manga``, ``novel``; illusts and
        manga in one listing when both are asked for), and with ``series`` the user's ``profile/all``. ``tag``
        keeps only the works that carry it."""
        types = [t for t in WORK_TYPES if t in set(types)]
        if self.skip_known and self.memory.profile_stored(user_id):
            self.count("user/profiles_known")
        else:
            yield self.request(USER_DETAIL, {"user_id": user_id, "filter": "for_ios"}, self.parse_user_profile,
                               cb_kwargs={"user_id": user_id})
        illusts = [t for t in types if t != "novel"]
        if illusts:
            yield self.request(USER_ILLUSTS, {"user_id": user_id, "type": illusts[0] if len(illusts) == 1 else None,
                                              "filter": "for_ios"},
                               self.parse_user_works, cb_kwargs={"user_id": user_id, "kind": "illust", "tag": tag})
        if "novel" in types:
            yield self.request(USER_NOVELS, {"user_id": user_id, "filter": "for_ios"}, self.parse_user_works,
                               cb_kwargs={"user_id": user_id, "kind": "novel", "tag": tag, "leave_series": series})
        if series:
            yield self.request(USER_PROFILE_ALL, None, self.parse_user_series, user_id=user_id,
                               cb_kwargs={"user_id": user_id, "types": types})

    # -- the profile --------------------------------------------------------------------------------

    def parse_user_profile(self, response: Response, user_id: int) -> Iterator[Any]:
        """``/v1/user/detail``: the user record with its profile (pixiv's 404 for a user who left is logged and
        counted as an error)."""
        data = self.app_json(response, f"profile of user {user_id}")
        detail = None if data is None else self.parsed(parse_user_detail, data, "user profile")
        if detail is None:
            return
        self._users_seen.add(detail.user.id)  # the user of a work met later adds nothing
        self.memory.remember_profile(detail.user.id)
        self.count("user/profiles")
        yield profile_record(detail)

    # -- the works ----------------------------------------------------------------------------------

    def parse_user_works(self, response: Response, user_id: int, kind: str, tag: str | None = None,
                         leave_series: bool = False, streak: int = 0) -> Iterator[Any]:
        """A page of ``/v1/user/illusts`` (``kind`` illust) or ``/v1/user/novels`` (``kind`` novel): each work the
        crawl keeps (see :meth:`keeps`), expanded whole; then the next page, unless an incremental crawl met
        ``PIXIV_INCREMENTAL_STOP`` known, unchanged works in a row (``streak`` counts them across pages)."""
        novels = kind == "novel"
        what = f"{'novels' if novels else 'works'} of user {user_id}"
        data = self.app_json(response, what)
        page = None if data is None else self.parsed(parse_user_novels if novels else parse_user_illusts, data,
                                                     f"page of {what}")
        if page is None:
            return
        for obj in page.works:
            item = self.parsed(parse_novel if novels else parse_illust, obj, "novel" if novels else "work")
            if item is None or not self.keeps(item, tag, leave_series):
                continue
            known = self.skip_known and self.known_unchanged(item)
            streak = streak + 1 if known else 0
            if known:
                self.count("incremental/known")
            if novels:
                yield from self.novel_items(item, obj, skip_known=self.skip_known)
            else:
                yield from self.work_items(item, obj, skip_known=self.skip_known)
        if page.next_url is None:
            return
        if getattr(self, "incremental", False) and streak >= self.incremental_stop:
            self.logger.info("Stopping the %s after %d known, unchanged works in a row.", what, streak)
            self.count("incremental/stopped_listings")
            return
        yield follow(page.next_url, callback=self.parse_user_works, errback=self.on_error,
                     cb_kwargs={"user_id": user_id, "kind": kind, "tag": tag, "leave_series": leave_series,
                                "streak": streak})

    def keeps(self, item: IllustItem | NovelItem, tag: str | None, leave_series: bool) -> bool:
        """Whether a listed work is crawled here: not when ``tag`` is given and the work lacks it
        (``pixiv/user/works_without_tag``), nor a novel of a series when the series are crawled too
        (``leave_series``: its series' crawl stores it with its place in the series;
        ``pixiv/user/novels_left_to_series``)."""
        if tag is not None and not has_tag(item, tag):
            self.count("user/works_without_tag")
            return False
        if leave_series and isinstance(item, NovelItem) and item.series_id is not None:
            self.count("user/novels_left_to_series")
            return False
        return True

    # -- the series ---------------------------------------------------------------------------------

    def parse_user_series(self, response: Response, user_id: int, types: list[str]) -> Iterator[scrapy.Request]:
        """``/ajax/user/{id}/profile/all``: the first page of each of the user's series of the kinds ``types`` asks
        for (illust series for ``illust`` or ``manga``, novel series for ``novel``)."""
        body = self.ajax_body(response, f"series of user {user_id}")
        found = None if body is None else self.parsed(parse_profile_all, body, "profile/all")
        if found is None:
            return
        wanted = [("illust", found.illust_series_ids)] if {"illust", "manga"} & set(types) else []
        wanted += [("novel", found.novel_series_ids)] if "novel" in types else []
        for kind, ids in wanted:
            for series_id in ids:
                self.count("user/series")
                yield self.series_crawl_request(kind, series_id)
