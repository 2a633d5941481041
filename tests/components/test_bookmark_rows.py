"""BookmarkItem through the components: the dedupe pipeline's key, its ``bookmarks`` row (upserted: a bookmark seen
again gets its new position, restrict and last_seen_at, never a second row), and the crawl memory's known
bookmarks."""

from __future__ import annotations

import json
import time

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.db.memory import CrawlMemory, crawl_memory
from pixivcrawl.db.rows import item_rows
from pixivcrawl.items import BookmarkItem
from pixivcrawl.pipelines.dedupe import DedupePipeline
from tests.conftest import table_rows

from .helpers import make_crawler, store_items


def mark(work_id: int = 100000001, **fields) -> BookmarkItem:
    return BookmarkItem(**{"user_id": 5000000, "work_type": "illust", "work_id": work_id, "restrict": "public",
                           "position": 0, **fields})


def test_one_bookmark_per_owner_and_work_in_a_run():
    pipeline = build_from_crawler(DedupePipeline, make_crawler())
    kept = [mark(), mark(work_type="novel"), mark(user_id=5000001), mark(100000002)]
    for item in kept:
        assert pipeline.process_item(item) is item
    with pytest.raises(DropItem):
        pipeline.process_item(mark(position=3, restrict="private"))
    stats = pipeline.crawler.stats
    assert stats.get_value("pixiv/items/dropped_duplicate") == 1
    assert stats.get_value("pixiv/items/new") is None  # a bookmark is not a work


def test_its_row():
    rows = item_rows(mark(tags=["風景"], position=7))
    assert rows.rows == {"bookmarks": [{"user_id": 5000000, "work_type": "illust", "work_id": 100000001,
                                        "restrict": "public", "tags": ["風景"], "position": 7}]}
    assert rows.parent is None and rows.whole


def _stored(db_url: str) -> list[tuple]:
    """The rows, tags decoded (SQLite gives the JSON text back to a plain query, PostgreSQL the list)."""
    rows = table_rows(db_url, "select work_id, restrict, tags, position, first_seen_at, last_seen_at from bookmarks "
                              "order by work_id")
    return [(*row[:2], json.loads(row[2]) if isinstance(row[2], str) else row[2], *row[3:]) for row in rows]


def test_a_bookmark_seen_again_updates_its_row(db_url):
    store_items(db_url, mark(), mark(100000002, position=1, tags=["a", "b"]))
    (first, second) = _stored(db_url)
    assert first[:4] == (100000001, "public", None, 0) and second[:4] == (100000002, "public", ["a", "b"], 1)
    assert first[4] == first[5]
    time.sleep(0.01)
    # seen again: moved down the list (and made private); a list narrowed by a tag knows neither place nor tags
    store_items(db_url, mark(position=4, restrict="private"), mark(100000002, position=None, tags=None))
    (first_again, second_again) = _stored(db_url)
    assert first_again[:4] == (100000001, "private", None, 4)
    assert second_again[:4] == (100000002, "public", ["a", "b"], 1)  # what is known stays
    assert first_again[4] == first[4] and first_again[5] > first[5]  # first seen kept, last seen moved on
    assert table_rows(db_url, "select count(*) from bookmarks") == [(2,)]


def test_the_memory_knows_the_stored_bookmarks_of_an_owner_and_type(tmp_path):
    url = f"sqlite:///{tmp_path / 'memory.db'}"
    store_items(url, mark(), mark(100000002, restrict="private"), mark(work_type="novel", work_id=20000001),
                mark(user_id=5000001))
    memory = crawl_memory(make_crawler(DATABASE_URL=url))
    assert memory.bookmarks(5000000, "illust") == {100000001: "public", 100000002: "private"}
    assert memory.bookmarks(5000000, "novel") == {20000001: "public"}
    assert memory.bookmarks(5000002, "illust") == {}
    assert CrawlMemory("").bookmarks(5000000, "illust") == {}  # without a database it knows none
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert CrawlMemory(empty).bookmarks(5000000, "illust") == {}  # nor in a database never migrated
