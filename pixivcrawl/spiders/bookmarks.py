"""``bookmarks``: the works a user bookmarked, stored whole, and a ``bookmarks`` row for each.

    scrapy crawl bookmarks                                      # the account's own public illust bookmarks
    scrapy crawl bookmarks -a restrict=private -a work=novel
    scrapy crawl bookmarks -a user_id=5000001 -a tag=風景 -a incremental=1
    scrapy crawl bookmarks -a user_id='https://www.pixiv.net/users/5000001/bookmarks/novels?tag=風景'

The list is the App API's ``/v1/user/bookmarks/illust`` or ``/v1/user/bookmarks/novel`` (pixivcrawl.endpoints),
newest bookmark first, 30 to a page, each page's ``next_url`` carrying pixiv's ``max_bookmark_id`` cursor (so the
pages are read one after another). Each work is the App API's whole record, expanded like a series member
(pixivcrawl.spiders.app_works: its user, an ugoira's frames, a novel's text, hidden works); each bookmark is a
:class:`~pixivcrawl.items.BookmarkItem`: owner, work type, work id, restrict, position (0 the newest; None when the
list is narrowed by ``tag``) and tags (None: the list does not carry a bookmark's own tags). Seen again, a
bookmark's row gets its new position, restrict and ``last_seen_at``, never a second row.

Without ``user_id`` the owner is the account itself: its user id comes with the access token
(:meth:`PixivAuthMiddleware.account_user_id`). ``restrict=private`` is for the account's own bookmarks only;
another user's are refused at start with one sentence (``bad_arguments``), as pixiv would refuse them.
With ``incremental=1`` the list stops after ``PIXIV_INCREMENTAL_STOP`` bookmarks in a row that the database holds
already in the same list (a bookmarks row of this owner, work and restrict: a work stored by another spider is
not a known bookmark), and works stored unchanged cost no sub-request. Stats: ``pixiv/bookmarks/listed``,
``pixiv/bookmarks/stopped_at_max_pages``, ``pixiv/incremental/known``, ``pixiv/incremental/stopped_listings``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import scrapy
from pydantic import Field, model_validator
from scrapy.http import Response

from pixivcrawl.endpoints import USER_BOOKMARKS_ILLUST, USER_BOOKMARKS_NOVEL, follow
from pixivcrawl.exceptions import NoAccessToken
from pixivcrawl.items import BookmarkItem
from pixivcrawl.middlewares.auth import PixivAuthMiddleware
from pixivcrawl.parsers.app_api import parse_illust, parse_novel
from pixivcrawl.parsers.bookmarks import parse_bookmarks_page
from pixivcrawl.urls import PixivUrlError, parse_ref

from .arguments import Flag, PixivParams, PositiveInt, SpiderArgumentError, Text
from .base import PixivSpider
from .params import IncrementalParam, MaxPagesParam, UserRef

#: the pages of a user's bookmarks on the web (pixivcrawl.urls.PixivRef.page) and the list each is
BOOKMARK_PAGES = {"bookmarks/artworks": "illust", "bookmarks/novels": "novel"}


class BookmarksQuery(PixivParams):
    """Whose bookmarks, which list, and pixiv's filter (``/v1/user/bookmarks/{work}`` parameters)."""

    user_id: UserRef | None = Field(
        None, description="whose bookmarks: a user id or URL (default: the account's own, which pixiv names when "
                          "it gives the access token); the URL of a bookmarks page "
                          "(`/users/ID/bookmarks/novels?tag=…&rest=hide`) also gives `work`, `tag` and `restrict` "
                          "when they are not")
    work: Literal["illust", "novel"] = Field(
        "illust", description="`illust`: bookmarked illusts, manga and ugoira; `novel`: bookmarked novels, "
                              "with their text")
    restrict: Literal["public", "private"] = Field(
        "public", description="`public` or `private` bookmarks; `private` only for the account's own")
    tag: Text | None = Field(None, description="only the bookmarks filed under this bookmark tag (pixiv's `tag`)")

    @model_validator(mode="before")
    @classmethod
    def _from_a_bookmarks_page(cls, data: Any) -> Any:
        """``user_id`` given as the URL of a user's bookmarks page: its list (``artworks``, ``novels``), ``?tag=``
        and ``?rest=hide`` fill ``work``, ``tag`` and ``restrict`` unless they are given."""
        if not isinstance(data, dict) or not isinstance(data.get("user_id"), str):
            return data
        try:
            ref = parse_ref(data["user_id"], "user")
        except PixivUrlError:
            return data  # refused by the field, in its turn
        if ref.kind != "user" or ref.page not in BOOKMARK_PAGES:
            return data
        from_page = {"work": BOOKMARK_PAGES[ref.page], "tag": ref.tag, "restrict": ref.restrict}
        return {**{key: value for key, value in from_page.items() if value is not None}, **data}


class BookmarksParams(IncrementalParam, MaxPagesParam, BookmarksQuery):
    max_pages: PositiveInt | None = Field(None, description="stop after this many pages of 30 bookmarks")
    incremental: Flag = Field(
        False, description="`1`: stop after `PIXIV_INCREMENTAL_STOP` bookmarks in a row that the database holds "
                           "already (the list is newest first); works stored unchanged are not fetched again")


class BookmarksSpider(PixivSpider[BookmarksParams]):
    name = "bookmarks"

    def use_arguments(self, args: BookmarksParams) -> None:
        self.endpoint = USER_BOOKMARKS_ILLUST if args.work == "illust" else USER_BOOKMARKS_NOVEL
        self.parse_work = parse_illust if args.work == "illust" else parse_novel
        #: whose bookmarks: ``user_id``, or the account's own once :meth:`start` learned it
        self.owner: int | None = args.user_id

    async def start(self) -> AsyncIterator[Any]:
        if self.argument_error is None:
            try:
                self.argument_error = await self.check_owner()
            except NoAccessToken:  # the auth middleware said why, once, and is closing the spider
                return
        async for request in super().start():
            yield request

    async def check_owner(self) -> SpiderArgumentError | None:
        """Learn whose bookmarks these are, when it matters: the account's own user id (from the token answer) when
        ``user_id`` is not given, or to check that ``restrict=private`` asks for the account's own. The sentence
        refusing the arguments, or None."""
        if self.owner is not None and self.restrict == "public":
            return None
        auth = self.crawler.get_downloader_middleware(PixivAuthMiddleware)
        account = None if auth is None else await auth.account_user_id()
        if self.owner is None:
            if account is None:
                return SpiderArgumentError("Give -a user_id=…: pixiv's token answer did not name the account's user.")
            self.owner = account
        elif account is not None and self.owner != account:
            return SpiderArgumentError(
                f"Argument restrict=private is only for the account's own bookmarks (user {account}): pixiv shows "
                f"user {self.owner}'s public bookmarks alone.")
        return None

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        assert self.owner is not None
        self.logger.info("Crawling the %s %s bookmarks of user %d%s.", self.restrict, self.work, self.owner,
                         f" filed under {self.tag!r}" if self.tag else "")
        params = {"user_id": self.owner, "restrict": self.restrict, "filter": "for_ios", "tag": self.tag}
        yield self.request(self.endpoint, params, self.parse_bookmarks)

    def parse_bookmarks(self, response: Response, page: int = 1, position: int = 0,
                        streak: int = 0) -> Iterator[Any]:
        """One page of the list: each work (expanded as any App API work) and its bookmark, then the next page
        unless the list ends, ``max_pages`` is reached, or an incremental crawl met a run of known bookmarks."""
        data = self.app_json(response, f"{self.restrict} {self.work} bookmarks of user {self.owner}")
        listed = None if data is None else self.parsed(parse_bookmarks_page, data, "bookmarks page", self.work)
        if listed is None:
            return
        known = self.memory.bookmarks(self.owner, self.work) if self.incremental else {}
        for n, obj in enumerate(listed.works):
            item = self.parsed(self.parse_work, obj, self.work)
            if item is None:
                continue
            streak = streak + 1 if known.get(item.id) == self.restrict else 0
            if streak:
                self.count("incremental/known")
            yield from self.bookmarked_work(item, obj)
            self.count("bookmarks/listed")
            yield BookmarkItem(user_id=self.owner, work_type=self.work, work_id=item.id, restrict=self.restrict,
                               position=None if self.tag else position + n)
        if listed.next_url is None:
            return
        if self.incremental and streak >= self.incremental_stop:
            self.logger.info("Stopping the bookmark list after %d known bookmarks in a row.", streak)
            self.count("incremental/stopped_listings")
        elif self.max_pages is not None and page >= self.max_pages:
            self.count("bookmarks/stopped_at_max_pages")
        else:
            yield follow(listed.next_url, callback=self.parse_bookmarks, errback=self.on_error,
                         cb_kwargs={"page": page + 1, "position": position + len(listed.works), "streak": streak})

    def bookmarked_work(self, item: Any, obj: Any) -> Iterator[Any]:
        """The work's items and sub-requests, as for a series member (pixivcrawl.spiders.app_works)."""
        if self.work == "illust":
            yield from self.work_items(item, obj, skip_known=self.skip_known)
        else:
            yield from self.novel_items(item, obj, skip_known=self.skip_known)
