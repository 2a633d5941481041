"""Records stored incomplete: the spiders' errback that keeps the record in hand, the final error line, the
``incomplete`` column (rows, migration, crawl memory) and the dedupe pipeline's order of records."""

from __future__ import annotations

import copy
import logging

import pytest
import sqlalchemy as sa
from scrapy import Request
from scrapy.exceptions import DownloadFailedError, DropItem
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import build_from_crawler
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

from pixivcrawl.db.memory import CrawlMemory
from pixivcrawl.db.migrate import upgrade
from pixivcrawl.db.store import Store
from pixivcrawl.items import UserItem
from pixivcrawl.parsers.app_api import parse_novel
from pixivcrawl.pipelines.dedupe import DedupePipeline
from pixivcrawl.replica.app_objects import novel_obj
from pixivcrawl.spiders.base import failure_cause
from pixivcrawl.spiders.search import SearchSpider
from tests.conftest import table_rows

from .helpers import illust_item, json_response, make_crawler, store_items, work_ids, world

DETAIL = "https://app-api.pixiv.net/v1/illust/detail?illust_id={}"


def _listing(item):
    listed = copy.deepcopy(item)
    listed.whole, listed.pages, listed.caption = False, [], ""
    return listed


def _without_frames(item):
    bare = copy.deepcopy(item)
    bare.ugoira_zip_url = bare.ugoira_frames = None
    return bare


def _novel(text: str | None = "text"):
    item = parse_novel(novel_obj(world(), world().novels[0].id))
    item.text = text
    return item


def _http_failure(request: Request, status: int) -> Failure:
    response = HtmlResponse(request.url, status=status, body=b"<html>Server Error</html>", request=request)
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request  # as Scrapy's scraper sets it before calling the errback
    return failure


def _failure_of(error: BaseException) -> Failure:
    failure = Failure(error)
    failure.request = Request(DETAIL.format(1))
    return failure


def _search_spider():
    crawler = make_crawler(SearchSpider, {"word": "cat", "details": "1"})
    return crawler, crawler.spider


# -- the errback -------------------------------------------------------------------------------------

def test_a_detail_failing_for_good_yields_the_listing_record_in_hand(caplog):
    crawler, spider = _search_spider()
    listed = _listing(illust_item(work_ids("illust")[0]))
    user = UserItem(id=listed.user_id, name="name", whole=False)
    request = Request(DETAIL.format(listed.id), meta={"retry_times": 5},
                      cb_kwargs={"work_id": listed.id, "item": listed, "user": user})
    with caplog.at_level(logging.INFO):
        out = list(spider.keep_record_on_error(_http_failure(request, 503)))
    assert out == [user, listed]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"Request failed for good: {request.url} (HTTP 503 after 5 retries)"]
    stats = crawler.stats.get_stats()
    assert stats["pixiv/errors/request_failed"] == 1 and stats["pixiv/errors/http_503"] == 1
    assert stats["pixiv/works/incomplete"] == 1 and stats["pixiv/works/incomplete/listing"] == 1
    # a user this run already yielded whole is not replaced by the listing's
    spider._users_seen.add(user.id)
    assert list(spider.keep_record_on_error(_http_failure(request, 503))) == [listed]


def test_an_error_answer_or_malformed_detail_yields_the_listing_record(caplog):
    crawler, spider = _search_spider()
    listed = _listing(illust_item(work_ids("manga")[0]))
    request = Request(DETAIL.format(listed.id))
    missing = json_response(request.url, {"error": {"user_message": "", "message": "Not found", "reason": ""}},
                            status=404, request=request)
    assert list(spider.parse_app_detail(missing, listed.id, item=listed)) == [listed]
    malformed = json_response(request.url, {"illust": {"id": listed.id}}, request=request)
    assert list(spider.parse_app_detail(malformed, listed.id, item=listed)) == [listed]
    assert crawler.stats.get_value("pixiv/works/incomplete/listing") == 2


def test_ugoira_metadata_and_novel_text_failing_keep_the_whole_record():
    crawler, spider = _search_spider()
    ugoira = _without_frames(illust_item(work_ids("ugoira")[0]))
    novel = _novel(text=None)
    for item, url in ((ugoira, "https://app-api.pixiv.net/v1/ugoira/metadata?illust_id=1"),
                      (novel, "https://app-api.pixiv.net/webview/v2/novel?id=1")):
        request = Request(url, meta={"retry_times": 1}, cb_kwargs={"item": item})
        failure = Failure(ConnectionLost("Connection to the other side was lost"))
        failure.request = request
        assert list(spider.keep_record_on_error(failure)) == [item]
    stats = crawler.stats.get_stats()
    assert stats["pixiv/works/incomplete/ugoira_frames"] == 1 and stats["pixiv/works/incomplete/text"] == 1
    assert stats["pixiv/errors/connection_lost"] == 2


def test_failure_causes():
    request = Request(DETAIL.format(1), meta={"retry_times": 1})
    assert failure_cause(_http_failure(request, 502)) == ("HTTP 502 after 1 retry", "http_502")
    assert failure_cause(_http_failure(Request(DETAIL.format(1)), 410)) == ("HTTP 410", "http_410")
    failure = Failure(ConnectionLost("gone"))
    failure.request = Request(DETAIL.format(1), meta={"retry_times": 5})
    cause, key = failure_cause(failure)
    assert cause.startswith("ConnectionLost after 5 retries: ") and cause.endswith("gone.") and key == "connection_lost"
    # Scrapy's DownloadFailedError around Twisted's ResponseFailed: named by the error at its root
    try:
        raise DownloadFailedError("[<Failure …>]") from ResponseFailed([Failure(ConnectionLost("gone"))])
    except DownloadFailedError:
        wrapped = Failure()
    wrapped.request = Request(DETAIL.format(1))
    assert failure_cause(wrapped) == (cause.replace(" after 5 retries", ""), "connection_lost")
    assert failure_cause(_failure_of(TimeoutError("took too long"))) == ("TimeoutError: took too long", "timeout_error")


# -- rows, migration and memory ------------------------------------------------------------------------

def test_the_incomplete_column_says_what_a_record_lacks(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    whole, listed = (illust_item(w) for w in work_ids("illust")[:2])
    ugoira, kept = (illust_item(w) for w in work_ids("ugoira")[:2])
    kept_bare = _without_frames(kept)
    kept_bare.stored_whole = True  # what an incremental crawl yields for a known ugoira: its frames stay
    hidden = illust_item(work_ids("illust", visible=False)[0])
    store_items(url, whole, _listing(listed), _without_frames(ugoira), kept)
    store_items(url, kept_bare, hidden)
    assert dict(table_rows(url, "select id, incomplete from illusts")) == {
        whole.id: None, listed.id: "listing", ugoira.id: "ugoira_frames", kept.id: None, hidden.id: None}
    assert table_rows(url, f"select ugoira_frames is not null from illusts where id = {kept.id}") == [(1,)]
    # a listing never marks a whole record incomplete; the whole record clears the mark
    store_items(url, _listing(whole), illust_item(ugoira.id))
    assert dict(table_rows(url, "select id, incomplete from illusts where id in "
                                f"({whole.id}, {ugoira.id})")) == {whole.id: None, ugoira.id: None}
    novel = _novel(text=None)
    store_items(url, novel)
    assert table_rows(url, "select incomplete from novels") == [("text",)]


def test_crawl_memory_does_not_count_incomplete_records_as_whole(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    whole = illust_item(work_ids("illust")[0])
    ugoira = illust_item(work_ids("ugoira")[0])
    novel, bare_novel = _novel(), _novel(text=None)
    bare_novel.id += 1
    store_items(url, whole, _without_frames(ugoira), novel, bare_novel)
    memory = CrawlMemory(url)
    for kind, item, lacks_nothing in (("illust", whole, True), ("illust", ugoira, False), ("novel", novel, True),
                                      ("novel", bare_novel, False)):
        signature = (item.page_count, item.image_stamp) if kind == "illust" else (item.text_length, item.image_stamp)
        assert memory.known_unchanged(kind, item.id, signature) is lacks_nothing, item.id
        assert memory.known_unchanged(kind, item.id, signature, need_whole=False)


def test_the_migration_marks_the_rows_stored_before_it(db_url):
    url = db_url
    engine = Store(url).engine
    upgrade(engine, "0003")
    now = "'2024-01-01'"
    columns = ("id, user_id, type, title, caption, create_date, page_count, width, height, sanity_level, x_restrict, "
               "restrict, total_view, total_bookmarks, visible, ugoira_frames, raw, first_seen_at, updated_at")
    rows = {1: ("illust", "true", "null"), 2: ("illust", "true", "null"), 3: ("ugoira", "true", "null"),
            4: ("ugoira", "true", "'[]'"), 5: ("illust", "false", "null")}
    with engine.begin() as conn:
        for wid, (kind, visible, frames) in rows.items():
            conn.execute(sa.text(f"insert into illusts ({columns}) values ({wid}, 1, '{kind}', '', '', {now}, 1, 1, 1, "
                                 f"2, 0, 0, 0, 0, {visible}, {frames}, '{{}}', {now}, {now})"))
        for wid in (2, 3, 4):
            conn.execute(sa.text(f"insert into illust_pages (illust_id, page) values ({wid}, 0)"))
        for nid, text in ((1, "'text'"), (2, "null")):
            conn.execute(sa.text(
                "insert into novels (id, user_id, title, caption, create_date, page_count, text_length, x_restrict, "
                "restrict, is_original, total_view, total_bookmarks, visible, text, raw, first_seen_at, updated_at) "
                f"values ({nid}, 1, '', '', {now}, 1, 4, 0, 0, false, 0, 0, true, {text}, '{{}}', {now}, {now})"))
    upgrade(engine)
    engine.dispose()
    assert dict(table_rows(url, "select id, incomplete from illusts")) == \
        {1: "listing", 2: None, 3: "ugoira_frames", 4: None, 5: None}
    assert dict(table_rows(url, "select id, incomplete from novels")) == {1: None, 2: "text"}


# -- dedupe --------------------------------------------------------------------------------------------

def test_dedupe_lets_a_record_with_its_frames_pass_after_one_without():
    pipeline = build_from_crawler(DedupePipeline, make_crawler())
    ugoira = illust_item(work_ids("ugoira")[0])
    bare = _without_frames(ugoira)
    assert pipeline.process_item(_listing(ugoira)) is not None
    assert pipeline.process_item(bare) is bare
    with pytest.raises(DropItem):
        pipeline.process_item(_listing(ugoira))
    with pytest.raises(DropItem):
        pipeline.process_item(copy.deepcopy(bare))
    assert pipeline.process_item(ugoira) is ugoira
    with pytest.raises(DropItem):
        pipeline.process_item(copy.deepcopy(bare))
    assert pipeline.crawler.stats.get_value("pixiv/items/dropped_duplicate") == 3
