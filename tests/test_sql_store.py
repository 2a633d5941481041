"""The SQL layer on SQLite and PostgreSQL: migrations, idempotent upserts, atomic batches."""

from __future__ import annotations

import copy
import threading
import time

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from pixivcrawl.db.migrate import alembic_config, current_revision
from pixivcrawl.db.rows import item_rows
from pixivcrawl.db.schema import metadata
from pixivcrawl.db.store import Batch, Store
from pixivcrawl.items import UserItem
from pixivcrawl.parsers.app_api import parse_illust, parse_novel

from .captures import load_fixture
from .conftest import table_rows
from .decorators import coroutine_test

#: the newest revision (get_current_head refuses a tree with two heads: the migrations form one chain)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _batch(*items) -> Batch:
    batch = Batch()
    for item in items:
        batch.add(item_rows(item))
    return batch


def _illust():
    return parse_illust(load_fixture("app-api/v1_illust_series/anowlbear.json")["illusts"][0])


def test_migrations_build_exactly_the_schema(store):
    assert current_revision(store.engine) == HEAD
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata) == []
    store.upgrade()  # a second upgrade is a no-op
    assert set(store.count_rows()) >= {"users", "illusts", "illust_pages", "tags", "illust_tags", "illust_series",
                                       "novels", "novel_series"}


def test_upsert_is_idempotent_and_replaces_children(store, db_url):
    item = _illust()
    store.write(_batch(item))
    store.write(_batch(item))
    assert table_rows(db_url, "select count(*) from illust_pages") == [(4,)]
    assert table_rows(db_url, "select count(*) from illust_tags") == [(len(item.tags),)]

    changed = copy.deepcopy(item)
    changed.title = "new title"
    changed.tags = changed.tags[:2]
    changed.pages = changed.pages[:3]
    changed.page_count = 3
    store.write(_batch(changed))
    assert table_rows(db_url, "select title, page_count from illusts") == [("new title", 3)]
    assert table_rows(db_url, "select count(*) from illust_pages") == [(3,)]
    assert [r[0] for r in table_rows(db_url, "select tag from illust_tags order by position")] == \
        [t.name for t in item.tags[:2]]
    assert table_rows(db_url, "select count(*) from tags") == [(len(item.tags),)]  # tags are a vocabulary


def test_one_batch_holds_the_last_version_of_a_work(store, db_url):
    first, second = _illust(), _illust()
    second.title = "second"
    second.tags = second.tags[:1]
    store.write(_batch(first, second))
    assert table_rows(db_url, "select title from illusts") == [("second",)]
    assert table_rows(db_url, "select count(*) from illust_tags") == [(1,)]


def test_known_text_is_not_erased_by_a_fetch_without_it(store, db_url):
    novel = parse_novel(load_fixture("app-api/v2_novel_detail/anowlbear.json")["novel"])
    novel.text = "本文"
    store.write(_batch(novel))
    novel.text = None
    novel.total_view = 99
    store.write(_batch(novel))
    assert table_rows(db_url, "select text, total_view from novels") == [("本文", 99)]


def test_a_failing_batch_writes_nothing(store, db_url):
    good = _illust()
    bad = copy.deepcopy(good)
    bad.id = good.id + 1
    bad.title = None  # NOT NULL: the database refuses the row
    with pytest.raises(sa.exc.IntegrityError):
        store.write(_batch(good, bad))
    assert table_rows(db_url, "select count(*) from illusts") == [(0,)]
    assert table_rows(db_url, "select count(*) from illust_pages") == [(0,)]
    assert table_rows(db_url, "select count(*) from tags") == [(0,)]


def test_times_are_stored_in_utc(store, db_url):
    store.write(_batch(_illust()))
    (stamp,) = table_rows(db_url, "select create_date from illusts")[0]
    text = str(stamp)
    assert text.startswith("2020-01-24 10:00:04")  # 19:00:04+09:00


def test_upgrade_from_the_first_revision_keeps_rows(db_url):
    """A database made by revision 0001 (issue 2's schema) upgrades to head with its rows intact."""
    from pixivcrawl.db.migrate import upgrade

    s = Store(db_url)
    try:
        upgrade(s.engine, "0001")
        assert current_revision(s.engine) == "0001"
        with s.engine.begin() as conn:
            conn.execute(sa.text("insert into users (id, name, raw, first_seen_at, updated_at) "
                                 "values (7, 'seven', '{}', '2024-01-01', '2024-01-01')"))
        s.upgrade()
        assert current_revision(s.engine) == HEAD
        assert table_rows(db_url, "select id, name from users") == [(7, "seven")]
        assert table_rows(db_url, "select count(*) from rankings") == [(0,)]
    finally:
        s.dispose()


def test_upgrade_from_0003_adds_restriction_and_keeps_every_row(db_url):
    """A database of revision 0003 (before ``restriction``) upgrades with every value intact; works it holds as
    hidden (``visible`` false) get restriction ``hidden``, the others NULL."""
    from datetime import UTC, datetime

    from pixivcrawl.db.migrate import upgrade

    s = Store(db_url)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    illust = {"user_id": 5, "type": "manga", "title": "t", "caption": "c", "create_date": now, "page_count": 2,
              "width": 10, "height": 20, "sanity_level": 2, "x_restrict": 0, "restrict": 0, "total_view": 3,
              "total_bookmarks": 1, "series_id": 9, "ugoira_frames": [{"file": "000000.jpg", "delay": 60}],
              "image_stamp": "2024/01/01/00/00/00", "raw": {"id": 1}, "first_seen_at": now, "updated_at": now}
    novel = {"user_id": 5, "title": "n", "caption": "c", "create_date": now, "page_count": 1, "text_length": 4,
             "x_restrict": 0, "restrict": 0, "is_original": True, "total_view": 0, "total_bookmarks": 0,
             "text": "本文本文", "raw": {}, "first_seen_at": now, "updated_at": now}
    try:
        upgrade(s.engine, "0003")
        with s.engine.begin() as conn:
            old = {name: sa.Table(name, sa.MetaData(), autoload_with=conn)
                   for name in ("illusts", "novels", "illust_pages", "media")}
            assert "restriction" not in old["illusts"].c
            conn.execute(old["illusts"].insert(), [{**illust, "id": 1, "visible": True},
                                                   {**illust, "id": 2, "visible": False}])
            conn.execute(old["novels"].insert(), [{**novel, "id": 3, "visible": True},
                                                  {**novel, "id": 4, "visible": False}])
            conn.execute(old["illust_pages"].insert(), [{"illust_id": 2, "page": p, "original_url": f"u{p}"}
                                                        for p in (0, 1)])
            conn.execute(old["media"].insert(), {"work_id": 2, "kind": "page", "page": 0, "url": "u0", "path": "f",
                                                 "size": 9, "sha256": "0" * 64, "status": "downloaded",
                                                 "first_seen_at": now, "updated_at": now})
        before = {name: table_rows(db_url, f"select * from {name} order by 1") for name in old}
        s.upgrade()
        assert current_revision(s.engine) == HEAD
        after = {name: table_rows(db_url, f"select * from {name} order by 1") for name in old}
        with s.engine.connect() as conn:
            for name in ("illusts", "novels"):
                columns = [c["name"] for c in sa.inspect(conn).get_columns(name)]
                at = columns.index("restriction")
                added = {at, columns.index("incomplete")}  # 0004 adds incomplete, 0005 restriction
                kept = [tuple(v for i, v in enumerate(r) if i not in added) for r in after[name]]
                assert kept == before[name]  # nothing lost or changed
                assert [r[at] for r in after[name]] == [None, "hidden"]
        assert after["illust_pages"] == before["illust_pages"] and after["media"] == before["media"]
    finally:
        s.dispose()


def test_a_hidden_novel_keeps_what_was_stored(store, db_url):
    """Case 05 in the store: a chapter that comes back friends-only (visible false, blank title, caption and
    tags, text_length 0) keeps what was stored; only visible and restriction change, then back."""
    from pixivcrawl.parsers.restriction import app_restriction

    obj = load_fixture("app-api/v2_novel_detail/anowlbear.json")["novel"]
    whole = parse_novel(obj)
    whole.text = "本文"
    store.write(_batch(whole))
    hidden_obj = {**obj, "title": "", "caption": "", "tags": [], "text_length": 0, "visible": False,
                  "is_mypixiv_only": True, "image_urls": dict.fromkeys(obj["image_urls"],
                                                                     "https://s.pximg.net/common/images/limit_mypixiv_360.png")}
    hidden = parse_novel(hidden_obj)
    assert hidden.restriction == app_restriction(hidden_obj) == "mypixiv"
    store.write(_batch(hidden))
    sql = "select title, caption, text_length, text, visible, restriction from novels"
    assert table_rows(db_url, sql) == [(whole.title, whole.caption, whole.text_length, "本文", False, "mypixiv")]
    assert [r[0] for r in table_rows(db_url, "select tag from novel_tags order by position")] == \
        [t.name for t in whole.tags]
    whole.text = None  # shown again, without its text fetched: the text stays, the restriction goes
    store.write(_batch(whole))
    assert table_rows(db_url, sql) == [(whole.title, whole.caption, whole.text_length, "本文", True, None)]


def test_listing_records_never_overwrite_whole_ones(store, db_url):
    """A work stored from the App API keeps its caption, counters and pages when a search lists it again."""
    whole = _illust()
    store.write(_batch(whole))
    listed = copy.deepcopy(whole)
    listed.whole = False
    listed.caption, listed.total_view, listed.pages, listed.title = "", 0, [], "renamed"
    store.write(_batch(listed))
    assert table_rows(db_url, "select title, caption, total_view from illusts") == \
        [("renamed", whole.caption, whole.total_view)]
    assert table_rows(db_url, "select count(*) from illust_pages") == [(4,)]
    # and in one batch, the whole record wins whatever the order
    other = copy.deepcopy(whole)
    other.id += 1
    listing = copy.deepcopy(other)
    listing.whole, listing.caption = False, ""
    store.write(_batch(other, listing))
    assert table_rows(db_url, f"select caption from illusts where id = {other.id}") == [(whole.caption,)]


@coroutine_test
async def test_the_pipeline_loses_only_the_item_the_database_refuses(db_url, tmp_path):
    """A batch with one row the database refuses (smallint overflow) keeps every other item."""

    from scrapy.utils.test import get_crawler

    from pixivcrawl.pipelines.sql import SQLStoragePipeline

    crawler = get_crawler(settings_dict={"DATABASE_URL": db_url, "PIXIV_DB_BATCH_SIZE": 100,
                                         "PIXIV_DB_FLUSH_INTERVAL": 0})
    pipeline = SQLStoragePipeline(crawler)
    good = [_illust() for _ in range(3)]
    for n, item in enumerate(good):
        item.id += n
    bad = _illust()
    bad.id += 10
    bad.sanity_level = 10**12 if "postgresql" in db_url else None  # out of smallint range / NOT NULL

    async def run():
        await pipeline.open_spider()
        for item in [good[0], bad, good[1], good[2]]:
            await pipeline.process_item(item)
        await pipeline.close_spider()

    await run()
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == [g.id for g in good]
    assert crawler.stats.get_value("pixiv/db/failed_items") == 1
    assert crawler.stats.get_value("pixiv/db/items") == 3


def test_crawls_starting_together_migrate_one_after_another(db_url):
    """Six processes migrate the same new database at once (two scrapyd jobs starting together)."""
    import subprocess
    import sys

    code = f"from pixivcrawl.db.store import Store; Store({db_url!r}).upgrade()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    assert current_revision(Store(db_url).engine) == HEAD


@pytest.mark.postgres
def test_a_deadlocked_batch_is_written_again(pg_db_url):
    """Another writer holds user 2 and then asks for user 1 while the batch, which locks user 1 first, waits for
    user 2: PostgreSQL aborts the batch's transaction to break the deadlock, and the batch is written again."""
    store = Store(pg_db_url)
    store.upgrade()
    ids = [1, 2]
    batches = [Batch(), Batch()]
    for uid in ids:
        batches[0].add(item_rows(UserItem(id=uid, name="old", account=f"account{uid}")))
        batches[1].add(item_rows(UserItem(id=uid, name=f"user {uid}", account=f"account{uid}")))
    store.write(batches[0])
    batch = batches[1]
    other = store.engine.connect()
    other_tx = other.begin()
    other.execute(sa.text("set local deadlock_timeout = '5s'"))  # the batch's transaction is the one aborted
    other.execute(sa.text("update users set name = 'other' where id = 2"))
    written: dict = {}
    writer = threading.Thread(target=lambda: written.update(store.write(batch)))
    writer.start()
    time.sleep(0.5)  # the batch holds user 1 and waits for user 2
    other.execute(sa.text("update users set name = 'other' where id = 1"))  # waits for the batch: a deadlock
    other_tx.commit()
    other.close()
    writer.join(timeout=30)
    assert written == {"users": 2}
    assert store.transient_retries == 1
    assert table_rows(pg_db_url, "select id, name from users order by id") == [(1, "user 1"), (2, "user 2")]
    store.dispose()


def _profile_user():
    from pixivcrawl.parsers.app_api import parse_user_detail
    from pixivcrawl.parsers.users import profile_record

    return profile_record(parse_user_detail(load_fixture("app-api/v1_user_detail/pixivutil2__1039353.json")))


PROFILE_SQL = ("select name, comment, webpage, gender, birth_year, total_illusts, total_follow_users, is_premium, "
               "workspace, profile_raw, profile_fetched_at from users")


def test_a_user_without_a_profile_never_blanks_the_stored_profile(store, db_url):
    """The user spider's record stores the profile columns; the user of a work or a listing, written after it (in
    another batch or the same one, in either order), updates name and avatar and leaves the profile as it was."""
    profile = _profile_user()
    store.write(_batch(profile))
    stored = table_rows(db_url, PROFILE_SQL)
    _, comment, webpage, gender, year, illusts, follows, premium, workspace, raw, fetched = stored[0]
    assert (comment, webpage, gender, year, illusts, follows, bool(premium)) == (
        profile.profile.comment, "https://www.muhsryllzi.com", "female", 1992, 244, 1577, True)
    assert workspace is not None and raw is not None and fetched is not None
    plain = copy.deepcopy(profile)
    plain.profile, plain.name = None, "renamed"
    listed = copy.deepcopy(plain)
    listed.whole, listed.name = False, "listed"
    store.write(_batch(plain))
    store.write(_batch(listed))
    assert table_rows(db_url, PROFILE_SQL) == [("listed", *stored[0][1:])]
    for batch in ((profile, plain), (plain, profile), (listed, profile, plain)):
        store.write(_batch(*copy.deepcopy(batch)))
        row = table_rows(db_url, PROFILE_SQL)[0]
        assert row[1:-1] == stored[0][1:-1], batch  # the profile stays, whatever the order
    # a user never profiled has NULL profile columns
    other = copy.deepcopy(plain)
    other.id += 1
    store.write(_batch(other))
    assert table_rows(db_url, f"select comment, total_illusts, profile_raw from users where id = {other.id}") == \
        [(None, None, None)]


def test_upgrade_from_0005_adds_the_profile_columns_and_keeps_every_row(db_url):
    """A database of revision 0005 upgrades with its users intact, their profile columns NULL."""
    from pixivcrawl.db.migrate import upgrade

    s = Store(db_url)
    try:
        upgrade(s.engine, "0005")
        with s.engine.begin() as conn:
            conn.execute(sa.text("insert into users (id, name, account, raw, first_seen_at, updated_at) "
                                 "values (7, 'seven', 'acc', '{}', '2024-01-01', '2024-01-01')"))
        s.upgrade()
        assert current_revision(s.engine) == HEAD
        assert table_rows(db_url, "select id, name, account, comment, total_illusts, workspace from users") == \
            [(7, "seven", "acc", None, None, None)]
    finally:
        s.dispose()
