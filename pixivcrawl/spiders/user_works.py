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
from pixivcrawl.parsers.app_api import UserDetail, parse_illust, parse_novel, parse_user_detail
from pixivcrawl.parsers.users import parse_profile_all, parse_user_illusts, parse_user_novels, profile_record

from .series import SeriesCrawlMixin

#: what a user publishes, as the ``type`` argument names it
WORK_TYPES = ("illust", "manga", "novel")
#: works a page of ``/v1/user/illusts`` and ``/v1/user/novels`` holds
USER_PAGE_SIZE = 30


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
        listings = []
        illusts = [t for t in types if t != "novel"]
        if illusts:
            listings.append({"user_id": user_id, "kind": "illust", "tag": tag,
                             "illust_type": illusts[0] if len(illusts) == 1 else None})
        if "novel" in types:
            listings.append({"user_id": user_id, "kind": "novel", "tag": tag, "leave_series": series})
        if self.skip_known and self.memory.profile_stored(user_id):
            self.count("user/profiles_known")
            yield from self.first_listing_pages(listings)
        elif getattr(self, "incremental", False):
            yield self.request(USER_DETAIL, {"user_id": user_id, "filter": "for_ios"}, self.parse_user_profile,
                               cb_kwargs={"user_id": user_id})
            yield from self.first_listing_pages(listings)
        else:  # the profile's counters give the listings' lengths: their pages are then requested at once
            yield self.request(USER_DETAIL, {"user_id": user_id, "filter": "for_ios"}, self.parse_user_profile,
                               self.profile_failed, cb_kwargs={"user_id": user_id, "listings": listings})
        if series:
            yield self.request(USER_PROFILE_ALL, None, self.parse_user_series, user_id=user_id,
                               cb_kwargs={"user_id": user_id, "types": types})

    def first_listing_pages(self, listings: list[dict]) -> Iterator[scrapy.Request]:
        """The first page of each listing (``listings``: the ``cb_kwargs`` of :meth:`parse_user_works` plus
        ``illust_type``, the ``type`` of ``/v1/user/illusts``), its other pages to follow by ``next_url``."""
        for listing in listings:
            yield self.listing_page(listing, 0)

    def listing_page(self, listing: dict, offset: int, planned_until: int = 0) -> scrapy.Request:
        """The page of a listing at ``offset``, in the URL form of pixiv's ``next_url``
        (``/v1/user/illusts?filter=for_ios&type=illust&user_id=…&offset=30``; the first page without ``offset``);
        ``planned_until``: the listing's length when its pages are requested at once (0: walked)."""
        kwargs = {key: value for key, value in listing.items() if key != "illust_type"}
        kwargs.update(offset=offset, planned_until=planned_until)
        if listing["kind"] == "novel":
            endpoint, params = USER_NOVELS, {"filter": "for_ios", "user_id": listing["user_id"]}
        else:
            endpoint = USER_ILLUSTS
            params = {"filter": "for_ios", "type": listing["illust_type"], "user_id": listing["user_id"]}
        if offset:
            params["offset"] = offset
        return self.request(endpoint, params, self.parse_user_works, cb_kwargs=kwargs)

    def all_listing_pages(self, detail: UserDetail, listings: list[dict]) -> Iterator[scrapy.Request]:
        """Every page of each listing at once, their number from the profile's counters (``total_illusts``,
        ``total_manga``, ``total_novels`` of ``/v1/user/detail``; 30 works a page); the last page follows
        ``next_url`` should the user have published more since (``pixiv/user/pages_requested_at_once`` counts the
        pages after the first)."""
        for listing in listings:
            if listing["kind"] == "novel":
                total = detail.profile.total_novels
            else:
                total = {"illust": detail.profile.total_illusts, "manga": detail.profile.total_manga}.get(
                    listing["illust_type"], detail.profile.total_illusts + detail.profile.total_manga)
            offsets = range(0, max(total, 1), USER_PAGE_SIZE)
            self.count("user/pages_requested_at_once", len(offsets) - 1)
            for offset in offsets:
                yield self.listing_page(listing, offset, planned_until=total)

    # -- the profile --------------------------------------------------------------------------------

    def parse_user_profile(self, response: Response, user_id: int, listings: list[dict] | None = None
                           ) -> Iterator[Any]:
        """``/v1/user/detail``: the user record with its profile (pixiv's 404 for a user who left is logged and
        counted as an error); then, when the crawl asks for them (``listings``), every page of the user's listings at
        once (their first pages only, to walk, when the profile is unreadable)."""
        data = self.app_json(response, f"profile of user {user_id}")
        detail = None if data is None else self.parsed(parse_user_detail, data, "user profile")
        if detail is None:
            yield from self.first_listing_pages(listings or [])
            return
        self._users_seen.add(detail.user.id)  # the user of a work met later adds nothing
        self.memory.remember_profile(detail.user.id)
        self.count("user/profiles")
        yield profile_record(detail)
        yield from self.all_listing_pages(detail, listings or [])

    def profile_failed(self, failure) -> Iterator[scrapy.Request]:
        """Errback of the profile: logged and counted as :meth:`on_error`; the listings the profile was to size are
        then walked from their first pages."""
        self.on_error(failure)
        yield from self.first_listing_pages(failure.request.cb_kwargs.get("listings") or [])

    # -- the works ----------------------------------------------------------------------------------

    def parse_user_works(self, response: Response, user_id: int, kind: str, tag: str | None = None,
                         leave_series: bool = False, streak: int = 0, offset: int = 0,
                         planned_until: int = 0) -> Iterator[Any]:
        """A page of ``/v1/user/illusts`` (``kind`` illust) or ``/v1/user/novels`` (``kind`` novel) at ``offset``:
        each work the crawl keeps (see :meth:`keeps`), expanded whole; then the next page, unless an incremental
        crawl met ``PIXIV_INCREMENTAL_STOP`` known, unchanged works in a row (``streak`` counts them across pages)
        or the page is one of those requested at once before the listing's planned end (``planned_until``)."""
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
        if page.next_url is None or offset + len(page.works) < planned_until:
            return
        if getattr(self, "incremental", False) and streak >= self.incremental_stop:
            self.logger.info("Stopping the %s after %d known, unchanged works in a row.", what, streak)
            self.count("incremental/stopped_listings")
            return
        yield follow(page.next_url, callback=self.parse_user_works, errback=self.on_error,
                     cb_kwargs={"user_id": user_id, "kind": kind, "tag": tag, "leave_series": leave_series,
                                "streak": streak, "offset": offset + len(page.works)})

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
