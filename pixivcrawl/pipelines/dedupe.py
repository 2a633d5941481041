"""Dedupe pipeline: an item already seen in this run is dropped before it costs a write or a download,
and every work is classified against the database (new, updated, unchanged) through the crawl memory
(pixivcrawl.db.memory, the crawler's CrawlMemory extension).

Keys are the same for every spider: works by id (a whole record still passes after a listing record of
the same work, or after a record lacking its ugoira frames or novel text), users by id (a user record with its
profile still passes after one without), rankings by (source, mode, content, date, rank), search hits by (query,
work), commission requests by id, bookmarks by (owner, work type, work), follows by (follower, followed), feed
entries by (account, work type, restrict, day, work). Stats:
``pixiv/items/{new,updated,unchanged}`` for works and ``pixiv/items/dropped_duplicate``.

A hidden or placeholder record (pixivcrawl.parsers.restriction.is_hidden) is counted under
``pixiv/items/hidden``: a work first seen hidden also as new; a stored work seen hidden is neither updated nor
unchanged, and its remembered signature stays the stored one (the database keeps its pages and texts). Like a
listing record, it never keeps a whole record of the same work out of the run.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pixivcrawl.db.memory import crawl_memory
from pixivcrawl.items import (
    BookmarkItem,
    CommissionCreatorItem,
    CommissionRequestItem,
    FeedEntryItem,
    FollowItem,
    IllustItem,
    IllustSeriesItem,
    NovelItem,
    NovelSeriesItem,
    RankingItem,
    SearchHitItem,
    UserItem,
)
from pixivcrawl.parsers.restriction import is_hidden
from pixivcrawl.signature import work_signature


def dedupe_key(item: Any) -> tuple | None:
    if isinstance(item, (IllustItem, NovelItem, UserItem, IllustSeriesItem, NovelSeriesItem, CommissionRequestItem)):
        return type(item).__name__, item.id
    if isinstance(item, RankingItem):
        return "rank", item.source, item.mode, item.content, item.date, item.rank
    if isinstance(item, SearchHitItem):
        return "hit", item.query_key, item.work_type, item.work_id
    if isinstance(item, CommissionCreatorItem):
        return "creator", item.user_id, item.work_type, item.mode
    if isinstance(item, BookmarkItem):
        return "bookmark", item.user_id, item.work_type, item.work_id
    if isinstance(item, FollowItem):
        return "follow", item.follower_id, item.followed_id
    if isinstance(item, FeedEntryItem):
        return "feed", item.account_id, item.work_type, item.restrict, item.day, item.work_id
    return None


class DedupePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.memory = crawl_memory(crawler)  # the works earlier runs stored
        #: key -> the best record that passed: 0 a listing record, 1 a record lacking a part, 2 a whole record
        self.seen: dict[tuple, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        key = dedupe_key(item)
        if key is None:
            return item
        hidden = is_hidden(item)
        whole = bool(getattr(item, "whole", True)) and not hidden  # every item is a dataclass (pixivcrawl.items)
        signed = work_signature(item)
        # a whole work record lacking a part (ugoira frames, novel text) lacks nothing only once it has it
        lacks_nothing = whole and (signed is None or item.missing() is None)
        rank = 2 if lacks_nothing else int(whole)  # hidden or listing < record lacking a part < whole record
        if isinstance(item, UserItem) and item.profile is not None:
            rank = 3  # a user's profile passes after the user of a work or a listing
        if key in self.seen and self.seen[key] >= rank:
            self.stats.inc_value("pixiv/items/dropped_duplicate")
            raise DropItem(f"already seen in this run: {key[0]} {key[1:]}", log_level="DEBUG")
        self.seen[key] = rank
        if signed is not None:
            memory = self.memory
            kind, wid, signature = signed
            state = memory.work_state(kind, wid, signature, lacks_nothing)
            if hidden:
                self.stats.inc_value("pixiv/items/hidden")
                memory.remember_visibility(kind, wid, hidden=True)
                if state != "new":
                    return item  # the stored work keeps its record, and the memory its signature
            elif lacks_nothing:
                memory.remember_visibility(kind, wid, hidden=False)
            self.stats.inc_value(f"pixiv/items/{state}")
            memory.remember(kind, wid, signature, lacks_nothing)
        return item
