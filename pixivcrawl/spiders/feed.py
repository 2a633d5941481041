"""``feed``: the account's follow feed, the newest works of the users it follows, stored whole, with a record of
where each work stood in the feed on the day of the crawl.

    scrapy crawl feed                                       # illusts and manga of everyone followed
    scrapy crawl feed -a work=novel -a restrict=private     # novels of the users followed privately
    scrapy crawl feed -a incremental=1                      # up to the first run of works stored already

From the App API's ``/v2/illust/follow`` (illusts, manga, ugoira) or ``/v1/novel/follow`` (novels), newest first,
30 a page, ``next_url`` after ``next_url`` as far back as pixiv serves it (it ends the feed after a fixed depth).
Each work is stored as a series member is (its user, ugoira frames, novel text, files); each also gets a
``feed_entries`` row: the account, the work, the feed asked for (``restrict``), the UTC day of the crawl and its
position that day (0 = the newest). The feed is always the account's own: pixiv has no feed of another user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import scrapy
from pydantic import Field
from scrapy.http import Response

from pixivcrawl.endpoints import ILLUST_FOLLOW, NOVEL_FOLLOW, follow
from pixivcrawl.items import FeedEntryItem
from pixivcrawl.parsers.app_api import next_url, parse_illust, parse_novel

from .account import OwnAccountMixin
from .arguments import Flag, PixivParams, PositiveInt
from .base import PixivSpider
from .params import IncrementalParam, MaxPagesParam


class FeedChoice(PixivParams):
    """Which feed."""

    work: Literal["illust", "novel"] = Field("illust", description="`illust` (illusts, manga and ugoira: "
                                                                   "`/v2/illust/follow`) or `novel` "
                                                                   "(`/v1/novel/follow`)")
    restrict: Literal["all", "public", "private"] = Field(
        "all", description="the works of every user followed (`all`), of those followed publicly (`public`) or "
                           "privately (`private`)")


class FeedParams(IncrementalParam, MaxPagesParam, FeedChoice):
    """``feed``'s arguments."""

    max_pages: PositiveInt | None = Field(None, description="stop the feed after this many pages (30 works each)")
    incremental: Flag = Field(False, description="`1`: stop after `PIXIV_INCREMENTAL_STOP` works in a row that the "
                                                 "database holds unchanged (the feed is newest first), and fetch "
                                                 "no ugoira frames or novel text of those")


class FeedSpider(OwnAccountMixin, PixivSpider[FeedParams]):
    name = "feed"

    def use_arguments(self, args: FeedParams) -> None:
        self.endpoint, self.key = (NOVEL_FOLLOW, "novels") if args.work == "novel" else (ILLUST_FOLLOW, "illusts")
        #: the UTC day the feed entries are recorded under: the crawl's start, even when it runs past midnight
        self.day = datetime.now(UTC).date().isoformat()

    async def start(self) -> AsyncIterator[Any]:
        """Learns the account's user (the feed entries are its), then starts."""
        if self.argument_error is None:
            self.account_id = await self.own_user_id()
            if self.account_id is None:  # no token: the auth middleware stops the crawl and says why
                return
        async for request in super().start():
            yield request

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        yield self.request(self.endpoint, {"restrict": self.restrict}, self.parse_feed)

    def parse_feed(self, response: Response, page: int = 1, offset: int = 0, streak: int = 0) -> Iterator[Any]:
        """A page of the feed: per work its feed entry and the work (whole, with its user and sub-requests), then
        the next page unless ``max_pages`` or, in an incremental crawl, a run of known works ends the feed."""
        data = self.app_json(response, f"follow feed ({self.work}, {self.restrict}) page {page}")
        if data is None:
            return
        objects = data.get(self.key)
        if not isinstance(objects, list):
            self.logger.error("Follow feed page without a %s list: %s", self.key, response.url)
            self.count("errors/malformed")
            return
        tally = [streak]
        yield from self.feed_works(objects, offset, tally)
        url = self.parsed(next_url, data, "follow feed page")
        if not url:
            return
        if self.incremental and tally[0] >= self.incremental_stop:
            self.logger.info("Stopping the follow feed after %d known, unchanged works in a row.", tally[0])
            self.count("incremental/stopped_listings")
            return
        if self.max_pages is not None and page >= self.max_pages:
            return
        cursor = parse_qs(urlsplit(url).query).get("offset", [""])[0]
        yield follow(url, callback=self.parse_feed, errback=self.on_error,
                     cb_kwargs={"page": page + 1, "offset": int(cursor) if cursor.isdigit() else offset + len(objects),
                                "streak": tally[0]})

    def feed_works(self, objects: list[Any], offset: int, tally: list[int]) -> Iterator[Any]:
        """The feed entries and works of one page (positions from ``offset``); ``tally[0]`` counts the works in a
        row the database holds unchanged."""
        novels = self.work == "novel"
        for n, obj in enumerate(objects):
            item = self.parsed(parse_novel if novels else parse_illust, obj, f"{self.work} of the follow feed")
            if item is None:
                continue
            known = self.known_unchanged(item)
            tally[0] = tally[0] + 1 if known else 0
            if known:
                self.count("incremental/known")
            self.count("feed/entries")
            yield FeedEntryItem(account_id=self.account_id, work_type=self.work, work_id=item.id,
                                restrict=self.restrict, day=self.day, position=offset + n)
            if novels:
                yield from self.novel_items(item, obj, skip_known=self.skip_known)
            else:
                yield from self.work_items(item, obj, skip_known=self.skip_known)
