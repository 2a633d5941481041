"""Items to rows (pixivcrawl.db.rows), the Batch that merges them, the Store writing them to SQLite, and the
SQLStoragePipeline around them: batches, the flush timer, stats and the items_stored signal."""

from __future__ import annotations

import asyncio
import copy
import logging
import sqlite3
from datetime import date

import pytest
import sqlalchemy as sa
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.db.rows import item_rows
from pixivcrawl.db.store import Batch, Store
from pixivcrawl.items import MediaRecord, RankingItem, TagRef, UserItem
from pixivcrawl.parsers.ajax import parse_illust_thumbnail, parse_novel_thumbnail
from pixivcrawl.parsers.app_api import parse_novel
from pixivcrawl.pipelines.sql import SQLStoragePipeline
from pixivcrawl.replica.app_objects import novel_as_hidden, novel_obj, placeholder_url
from pixivcrawl.replica.web_objects import illust_thumbnail, novel_thumbnail
from pixivcrawl.signals import items_stored
from tests.decorators import coroutine_test

from .helpers import FakeEngine, illust_item, make_crawler, work_ids, world


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'pixivcrawl.db'}"


def rows(store: Store, query: str) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query))]


def batch_of(*items) -> Batch:
    batch = Batch()
    for item in items:
        batch.add(item_rows(item))
    return batch


def listing(item):
    listed = copy.deepcopy(item)
    listed.whole = False
    listed.caption, listed.total_view, listed.pages = "", 0, []
    return listed


# -- rows ------------------------------------------------------------------------------------------------

def test_a_whole_illust_becomes_its_row_pages_and_tags():
    item = illust_item(work_ids("manga", pages=3)[0])
    out = item_rows(item)
    assert out.parent == ("illusts", item.id) and out.whole is True and out.columns == ()
    assert [r["id"] for r in out.rows["illusts"]] == [item.id]
    assert [(r["illust_id"], r["page"], r["original_url"]) for r in out.rows["illust_pages"]] == \
        [(item.id, p.page, p.original_url) for p in item.pages]
    assert [r["tag"] for r in out.rows["illust_tags"]] == [t.name for t in item.tags]
    assert out.replace == {"illust_pages": ("illust_id", item.id), "illust_tags": ("illust_id", item.id)}
    assert out.rows["illusts"][0]["create_date"].utcoffset().total_seconds() == 0  # stored in UTC


def test_a_listing_record_carries_no_pages_and_a_placeholder_only_its_visibility():
    item = illust_item(work_ids("illust")[0])
    listed = item_rows(listing(item))
    assert listed.whole is False and "illust_pages" not in listed.rows and "illust_pages" not in listed.replace
    assert listed.columns == ("title", "page_count", "width", "height", "x_restrict", "update_date")
    hidden = item_rows(illust_item(work_ids("illust", visible=False)[0]))
    assert hidden.whole is False and hidden.hidden and hidden.columns == ("visible", "restriction")
    assert set(hidden.rows) == {"illusts"} and hidden.replace == {}
    assert hidden.rows["illusts"][0]["restriction"] == "sanity_level"


@pytest.mark.parametrize("kind", ["manga", "ugoira", "novel", "thumbnail", "novel thumbnail"])
def test_a_hidden_record_of_any_kind_is_its_row_alone(kind):
    """Whole records (App API) and listing records alike: no pages, tags, media rows, frames or text."""
    w = world()
    if kind == "novel":
        obj = novel_obj(w, w.novels[0].id)
        novel_as_hidden(obj)
        item = parse_novel(obj)
        item.text = "本文"
    elif kind == "novel thumbnail":
        obj = novel_thumbnail(w, w.novels[0].id)
        obj["isMasked"] = True
        item = parse_novel_thumbnail(obj)
    elif kind == "thumbnail":
        obj = illust_thumbnail(w, work_ids("manga")[0])
        obj["url"] = placeholder_url("mypixiv")
        item = parse_illust_thumbnail(obj)
    else:
        item = illust_item(work_ids(kind)[0])
        item.restriction = "sanity_level"  # as a visible record with placeholder URLs says
        item.media = [MediaRecord(kind="page", page=0, url=placeholder_url(), status="placeholder")]
    out = item_rows(item)
    table = "novels" if "novel" in kind else "illusts"
    assert set(out.rows) == {table} and out.replace == {} and out.whole is False
    assert out.columns == ("visible", "restriction") and out.rows[table][0]["restriction"] is not None


def test_a_tag_listed_twice_on_a_work_is_linked_once():
    item = illust_item(work_ids("illust")[0])
    first = item.tags[0]
    item.tags = [first, item.tags[1], TagRef(name=first.name, translated_name="again")]
    links = item_rows(item).rows["illust_tags"]
    assert [(r["tag"], r["position"]) for r in links] == [(first.name, 0), (item.tags[1].name, 1)]


def test_other_items_and_unknown_ones():
    w = world()
    novel = parse_novel(novel_obj(w, w.novels[0].id))
    novel_rows = item_rows(novel)
    assert novel_rows.parent == ("novels", novel.id) and novel.tags
    assert [r["tag"] for r in novel_rows.rows["novel_tags"]] == [t.name for t in novel.tags]
    rank = RankingItem(source="app", mode="day", content="all", date="2024-02-29", rank=1, work_type="illust",
                       work_id=1, previous_rank=None)
    assert item_rows(rank).rows["rankings"][0]["date"] == date(2024, 2, 29)
    with pytest.raises(TypeError, match="no table stores dict items"):
        item_rows({"id": 1})


# -- batches ---------------------------------------------------------------------------------------------

def test_a_batch_merges_rows_of_the_same_key_and_counts_items():
    w = world()
    user = w.works[0].user_id
    items = [UserItem(id=user, name="old"), UserItem(id=user, name="new"), UserItem(id=user + 1, name="other")]
    batch = batch_of(*items)
    assert len(batch) == len(items) and len(batch.members) == len(items)
    assert {key: r.values["name"] for key, r in batch.rows["users"].items()} == {(user,): "new", (user + 1,): "other"}


def test_a_later_version_without_a_value_keeps_the_earlier_one():
    item = illust_item(work_ids("ugoira")[0])
    without = copy.deepcopy(item)
    without.ugoira_zip_url, without.ugoira_frames, without.title = None, None, "retitled"
    (row,) = (r.values for r in batch_of(item, without).rows["illusts"].values())
    assert (row["title"], row["ugoira_zip_url"], row["ugoira_frames"]) == \
        ("retitled", item.ugoira_zip_url, item.ugoira_frames)


def test_in_one_batch_a_whole_record_displaces_an_earlier_listing(store):
    item = illust_item(work_ids("manga", pages=2)[0])
    batch = batch_of(listing(item), item)
    assert batch.rows["illusts"][(item.id,)].only is None  # written whole
    store.write(batch)
    assert rows(store, "select caption, total_view from illusts") == [(item.caption, item.total_view)]
    assert rows(store, "select count(*) from illust_pages") == [(item.page_count,)]


def _hidden(item, restriction="mypixiv"):
    hidden = copy.deepcopy(item)
    hidden.visible, hidden.restriction, hidden.title, hidden.caption, hidden.tags = False, restriction, "", "", []
    return hidden


def test_in_one_batch_a_hidden_record_never_displaces_a_whole_one(store):
    whole = illust_item(work_ids("manga", pages=2)[0])
    for order in ((whole, _hidden(whole)), (_hidden(whole), whole)):
        batch = batch_of(*order)
        row = batch.rows["illusts"][(whole.id,)]
        assert row.only is None and (row.values["title"], row.values["caption"]) == (whole.title, whole.caption)
        assert len(batch.rows["illust_pages"]) == whole.page_count
        assert len(batch.rows["illust_tags"]) == len(whole.tags)
    # as if written one after the other: the work hidden after its whole record is stored hidden
    assert (batch_of(whole, _hidden(whole)).rows["illusts"][(whole.id,)].values["visible"], row.values["visible"]) \
        == (False, True)
    store.write(batch_of(whole, _hidden(whole)))
    assert rows(store, "select title, caption, visible, restriction from illusts") == \
        [(whole.title, whole.caption, False, "mypixiv")]
    assert rows(store, "select count(*) from illust_pages") == [(whole.page_count,)]


def test_in_one_batch_a_listing_and_a_hidden_record_each_add_their_columns(store):
    whole = illust_item(work_ids("illust")[0])
    store.write(batch_of(whole))
    listed = listing(whole)
    listed.title = "retitled"
    for order in ((listed, _hidden(whole)), (_hidden(whole), listed)):
        store.write(batch_of(*order))
        assert rows(store, "select title, caption, visible, restriction from illusts") == \
            [("retitled", whole.caption, False, "mypixiv")]
        assert rows(store, "select count(*) from illust_tags") == [(len(whole.tags),)]
        store.write(batch_of(whole))


# -- the store -------------------------------------------------------------------------------------------

def test_a_placeholder_only_marks_a_stored_work_invisible(store):
    wid = work_ids("illust", visible=False)[0]
    hidden = illust_item(wid)
    whole = illust_item(work_ids("illust", pages=2)[0])  # what it looked like before pixiv hid it
    whole.id = wid
    store.write(batch_of(whole))
    store.write(batch_of(hidden))
    assert rows(store, "select title, caption, visible, page_count, restriction from illusts") == \
        [(whole.title, whole.caption, False, whole.page_count, "sanity_level")]
    assert rows(store, "select count(*) from illust_pages") == [(whole.page_count,)]
    assert rows(store, "select count(*) from illust_tags") == [(len(whole.tags),)]
    store.write(batch_of(whole))  # shown whole again: no restriction any more
    assert rows(store, "select visible, restriction from illusts") == [(True, None)]
    # a placeholder of a work never stored is a new row of its own
    other = illust_item(next(wid for kind in ("illust", "manga", "ugoira") for wid in work_ids(kind, visible=False)
                             if wid != hidden.id))
    store.write(batch_of(other))
    assert rows(store, f"select title, visible from illusts where id = {other.id}") == [("", False)]


def test_a_listing_updates_only_the_listing_columns_of_a_stored_user(store):
    whole = UserItem(id=11, name="name", account="account", profile_image_url="https://i.pximg.net/a.jpg",
                     raw={"id": 11})
    store.write(batch_of(whole))
    short = UserItem(id=11, name="renamed", account=None, profile_image_url="https://i.pximg.net/b.jpg",
                     whole=False)
    store.write(batch_of(short))
    assert rows(store, "select name, account, profile_image_url from users") == \
        [("renamed", "account", "https://i.pximg.net/b.jpg")]


# -- the pipeline ----------------------------------------------------------------------------------------

def sql_pipeline(db_url, **settings):
    settings.setdefault("PIXIV_DB_FLUSH_INTERVAL", 0)
    crawler = make_crawler(DATABASE_URL=db_url, **settings)
    stored: list[list] = []
    crawler.signals.connect(lambda items: stored.append(list(items)), signal=items_stored, weak=False)
    return build_from_crawler(SQLStoragePipeline, crawler), stored


def test_no_database_url_switches_the_pipeline_off():
    with pytest.raises(NotConfigured, match="DATABASE_URL is empty"):
        build_from_crawler(SQLStoragePipeline, make_crawler(DATABASE_URL=""))


@coroutine_test
async def test_items_are_written_in_batches_and_announced(db_url):
    size = 3
    pipeline, stored = sql_pipeline(db_url, PIXIV_DB_BATCH_SIZE=size)
    items = [illust_item(wid) for wid in work_ids("illust")[: size + 1]]
    await pipeline.open_spider()  # migrates the new database
    for item in items[:size]:
        assert await pipeline.process_item(item) is item
    assert stored == [items[:size]]  # a full batch is written at once
    await pipeline.process_item(items[size])
    assert len(stored) == 1
    await pipeline.close_spider()  # the rest is written at close
    assert stored == [items[:size], items[size:]]
    stats = pipeline.crawler.stats
    assert stats.get_value("pixiv/db/batches") == 2 and stats.get_value("pixiv/db/items") == len(items)
    assert stats.get_value("pixiv/db/rows/illusts") == len(items)
    assert stats.get_value("pixiv/db/rows/illust_pages") == sum(i.page_count for i in items)
    check = Store(db_url)
    assert rows(check, "select count(*) from illusts") == [(len(items),)]
    check.dispose()


@coroutine_test
async def test_a_slow_crawl_is_written_by_the_flush_timer(db_url):
    interval = 0.05
    pipeline, stored = sql_pipeline(db_url, PIXIV_DB_BATCH_SIZE=100, PIXIV_DB_FLUSH_INTERVAL=interval)
    await pipeline.open_spider()
    item = illust_item(work_ids("illust")[0])
    await pipeline.process_item(item)
    for _ in range(100):
        if stored:
            break
        await asyncio.sleep(interval)
    assert stored == [[item]]
    await pipeline.close_spider()
    assert pipeline.crawler.stats.get_value("pixiv/db/batches") == 1  # nothing left to write at close


@coroutine_test
async def test_an_item_no_table_stores_is_counted_and_announced(db_url):
    pipeline, stored = sql_pipeline(db_url)
    await pipeline.open_spider()
    thing = {"id": 1}
    assert await pipeline.process_item(thing) is thing
    assert stored == [[thing]]  # a distributed worker may release its request
    await pipeline.close_spider()
    assert pipeline.crawler.stats.get_value("pixiv/db/unstorable_items") == 1
    assert pipeline.crawler.stats.get_value("pixiv/db/batches") is None


# -- a database that cannot be used -------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "cause"), [
    (lambda tmp: f"sqlite:///{tmp / 'no-folder' / 'x.db'}",
     lambda tmp: f"the folder {tmp / 'no-folder'} does not exist"),
    (lambda tmp: f"sqlite:///{tmp / 'garbage.db'}", lambda tmp: "file is not a database"),
    (lambda tmp: "mysql://user@host/db", lambda tmp: "its driver is not installed (no module 'MySQLdb')"),
    (lambda tmp: "::not a url::", lambda tmp: "not a database URL (Could not parse SQLAlchemy URL from given URL "
                                              "string)"),
])
@coroutine_test
async def test_an_unusable_database_refuses_the_start_with_one_sentence(tmp_path, caplog, url, cause):
    (tmp_path / "garbage.db").write_bytes(b"garbage " * 1000)
    url = url(tmp_path)
    pipeline = build_from_crawler(SQLStoragePipeline, make_crawler(DATABASE_URL=url))
    with pytest.raises(CloseSpider) as refused:
        await pipeline.open_spider()
    assert refused.value.reason == "start_failed"
    shown = "DATABASE_URL" if "not a url" in url else f"DATABASE_URL={url}"
    sentence = f"Cannot use the database {shown}: {cause(tmp_path)}."
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [sentence]
    assert pipeline.stats.get_value("pixiv/errors/start_failed") == sentence
    await pipeline.close_spider()  # the engine still closes the pipeline: nothing to flush, nothing to dispose
    assert (tmp_path / "garbage.db").read_bytes() == b"garbage " * 1000
    assert not (tmp_path / "no-folder").exists()


@coroutine_test
async def test_a_missing_postgresql_database_refuses_the_start(pg_server_url, caplog):
    url = sa.engine.make_url(pg_server_url).set(database="pixivcrawl_no_such_db").render_as_string(False)
    pipeline = build_from_crawler(SQLStoragePipeline, make_crawler(DATABASE_URL=url))
    with pytest.raises(CloseSpider):
        await pipeline.open_spider()
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.startswith(f"Cannot use the database DATABASE_URL={url}: connection failed: ")
    assert error.endswith('database "pixivcrawl_no_such_db" does not exist.')


@pytest.mark.parametrize("error", [
    sa.exc.DatabaseError("INSERT INTO illusts …", {}, sqlite3.DatabaseError("database disk image is malformed")),
    sa.exc.OperationalError("INSERT INTO illusts …", {}, sqlite3.OperationalError("database or disk is full")),
])
@coroutine_test
async def test_a_failing_database_stops_the_crawl_with_one_sentence(db_url, caplog, error):
    """A database that fails as a whole (a corrupted file whose header is intact, a full disk, a server gone) is not
    written item by item, each with its own error: one ERROR sentence, finish reason storage_failed, and the items
    are counted lost and never announced as stored (a resumed job, or another worker, fetches them again)."""
    pipeline, stored = sql_pipeline(db_url, PIXIV_DB_BATCH_SIZE=2)
    pipeline.crawler.engine = FakeEngine(lambda request: None)
    items = [illust_item(wid) for wid in work_ids("illust")[:5]]
    await pipeline.open_spider()

    def fail(batch):
        raise error

    pipeline.store.write = fail
    with caplog.at_level(logging.WARNING):
        for item in items:
            await pipeline.process_item(item)
        await pipeline.close_spider()
    await asyncio.sleep(0)  # the close is a task
    cause = str(error.orig)
    sentence = (f"Stopping: the database DATABASE_URL={Store(db_url).describe()} cannot store items: {cause}.")
    assert [r.getMessage() for r in caplog.records] == [sentence]
    assert pipeline.crawler.engine.closed == ["storage_failed"]
    stats = pipeline.crawler.stats
    assert stats.get_value("pixiv/db/failed_items") == len(items) and stats.get_value("pixiv/db/items") is None
    assert stats.get_value("pixiv/errors/storage_failed") == sentence
    assert stored == []


@coroutine_test
async def test_a_refused_row_still_costs_only_its_item(db_url, caplog):
    """An integrity error is about the rows, not the database: the batch is written again one item at a time."""
    pipeline, stored = sql_pipeline(db_url, PIXIV_DB_BATCH_SIZE=10)
    pipeline.crawler.engine = FakeEngine(lambda request: None)
    items = [illust_item(wid) for wid in work_ids("illust")[:3]]
    await pipeline.open_spider()
    write = pipeline.store.write

    def refuse_the_second(batch):
        if (len(batch) == 1 and batch.members[0].parent == ("illusts", items[1].id)) or len(batch) > 1:
            raise sa.exc.IntegrityError("INSERT …", {}, sqlite3.IntegrityError("CHECK constraint failed"))
        return write(batch)

    pipeline.store.write = refuse_the_second
    for item in items:
        await pipeline.process_item(item)
    await pipeline.close_spider()
    stats = pipeline.crawler.stats
    assert stats.get_value("pixiv/db/failed_items") == 1 and stats.get_value("pixiv/db/items") == 2
    assert pipeline.crawler.engine.closed == [] and stored == [items]
