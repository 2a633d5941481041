"""``scrapy crawl bookmarks`` against the replica, into SQLite and PostgreSQL: the account's own and another user's
bookmarks, public and private, illusts and novels, a bookmark tag, re-runs and incremental runs.

Expected bookmarks come from the replica's own model over the same deterministic world
(pixivcrawl.replica.bookmarks.Bookmarks), never typed in. The crawls run as the replica's account 0, user
``USER_BASE``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa

from pixivcrawl.replica.bookmarks import Bookmarks
from pixivcrawl.replica.world import USER_BASE

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test
from .test_get import _get

ME = USER_BASE  # account 0's user


@pytest.fixture(scope="module")
def bookmarks(world) -> Bookmarks:
    return Bookmarks(world)


def _bookmark_requests(replica, kind: str = "illust") -> list[dict]:
    return [dict(parse_qsl(r["query"])) for r in replica.requests() if r["path"] == f"/v1/user/bookmarks/{kind}"]


def _rows(db_url: str) -> list[tuple]:
    return table_rows(db_url, "select user_id, work_type, work_id, restrict, tags, position from bookmarks "
                              "order by position, work_id")


def _seen(db_url: str) -> dict[int, tuple]:
    rows = table_rows(db_url, "select work_id, first_seen_at, last_seen_at from bookmarks")
    return {wid: (first, last) for wid, first, last in rows}


@coroutine_test
async def test_the_accounts_own_public_illust_bookmarks_and_a_rerun(replica, world, bookmarks, db_url, tmp_path):
    expected = [b.work_id for b in bookmarks.of(ME, "illust", "public")]
    assert len(expected) > 60  # three pages
    replica.clear()
    result = await run_crawl("bookmarks", {}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert _rows(db_url) == [(ME, "illust", wid, "public", None, n) for n, wid in enumerate(expected)]
    # the works are stored whole, with their users, as series members are
    stored = dict(table_rows(db_url, "select id, incomplete from illusts"))
    assert set(stored) == set(expected) and set(stored.values()) == {None}
    users = {r[0] for r in table_rows(db_url, "select id from users")}
    assert users == {world.work(wid).user_id for wid in expected} - {0}
    # three pages, each from the cursor the one before gave; the account's id came with its token
    pages = _bookmark_requests(replica)
    assert [p.get("max_bookmark_id") for p in pages] == \
        [None, *(str(b.id) for b in bookmarks.of(ME, "illust", "public")[30::30])]
    assert all((p["user_id"], p["restrict"], p["filter"]) == (str(ME), "public", "for_ios") for p in pages)
    assert not [r for r in replica.requests() if r["path"] == "/v1/user/detail"]
    assert result.stats["pixiv/bookmarks/listed"] == len(expected)
    assert "Crawling the public illust bookmarks of user 5000000." in result.output

    before = _seen(db_url)
    again = await run_crawl("bookmarks", {"user_id": ME}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert again.stats["finish_reason"] == "finished", again.output
    assert _rows(db_url) == [(ME, "illust", wid, "public", None, n) for n, wid in enumerate(expected)]
    after = _seen(db_url)
    assert all(after[w][0] == before[w][0] and after[w][1] > before[w][1] for w in expected)


@coroutine_test
async def test_private_novel_bookmarks_with_their_text(replica, world, bookmarks, db_url, tmp_path):
    expected = [b.work_id for b in bookmarks.of(ME, "novel", "private")]
    assert expected
    result = await run_crawl("bookmarks", {"work": "novel", "restrict": "private"}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert _rows(db_url) == [(ME, "novel", nid, "private", None, n) for n, nid in enumerate(expected)]
    novels = table_rows(db_url, "select id, incomplete, length(text) from novels")
    assert {n for n, _, _ in novels} == set(expected)
    assert all(incomplete is None and length > 0 for _, incomplete, length in novels)


@coroutine_test
async def test_another_users_bookmarks_under_a_tag(replica, world, bookmarks, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    other = ME + 3
    public = bookmarks.of(other, "illust", "public")
    tags = sorted({t for b in public for t in b.tags})
    tag = max(tags, key=lambda t: (sum(t in b.tags for b in public), t))
    expected = [b.work_id for b in public if tag in b.tags]
    assert 0 < len(expected) < len(public)
    replica.clear()
    result = await run_crawl("bookmarks", {"user_id": str(other), "tag": tag}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    # a list narrowed by a tag says nothing of the bookmark's place in the whole list
    assert sorted(_rows(db_url)) == sorted((other, "illust", wid, "public", None, None) for wid in expected)
    (page,) = _bookmark_requests(replica)
    assert (page["user_id"], page["tag"]) == (str(other), tag)


@coroutine_test
async def test_another_users_private_bookmarks_are_refused_before_any_request(replica, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    replica.clear()
    result = await run_crawl("bookmarks", {"user_id": ME + 1, "restrict": "private"}, replica=replica,
                             db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "bad_arguments"
    sentence = ("Argument restrict=private is only for the account's own bookmarks (user 5000000): pixiv shows "
                "user 5000001's public bookmarks alone.")
    assert result.stats["pixiv/errors/bad_argument"] == sentence and sentence in result.output
    assert _bookmark_requests(replica) == []


@coroutine_test
async def test_a_refused_refresh_token_stops_the_crawl_before_the_list(replica, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    replica.clear()
    result = await run_crawl("bookmarks", {}, replica=replica, db_url=db_url, tmp_path=tmp_path, credentials=False,
                             env={"PIXIV_REFRESH_TOKEN": "not-a-refresh-token"})
    assert result.stats["finish_reason"] == "auth_failed"
    assert "pixiv rejected the refresh token" in result.output and "Traceback" not in result.output
    assert result.stats["log_count/ERROR"] == 1 and _bookmark_requests(replica) == []


@coroutine_test
async def test_incremental_stops_at_a_run_of_known_bookmarks(replica, world, bookmarks, db_url, tmp_path):
    expected = [b.work_id for b in bookmarks.of(ME, "illust", "public")]
    first = await run_crawl("bookmarks", {"max_pages": 3}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert first.stats["finish_reason"] == "finished", first.output
    assert len(_rows(db_url)) == len(expected)
    # five bookmarks made since: their rows are not stored yet (their works are)
    _delete(db_url, "delete from bookmarks where position < 5")
    replica.clear()
    settings = {"PIXIV_INCREMENTAL_STOP": "10"}
    result = await run_crawl("bookmarks", {"incremental": "1"}, replica=replica, db_url=db_url, tmp_path=tmp_path,
                             settings=settings)
    assert result.stats["finish_reason"] == "finished", result.output
    assert len(_bookmark_requests(replica)) == 1  # the first page holds the new ones and a run of known ones
    assert result.stats["pixiv/incremental/known"] == 25 and result.stats["pixiv/incremental/stopped_listings"] == 1
    assert _rows(db_url) == [(ME, "illust", wid, "public", None, n) for n, wid in enumerate(expected)]
    # known works are not known bookmarks: with the rows gone the whole list is read, no ugoira metadata again
    _delete(db_url, "delete from bookmarks")
    replica.clear()
    result = await run_crawl("bookmarks", {"incremental": "1"}, replica=replica, db_url=db_url, tmp_path=tmp_path,
                             settings=settings)
    assert result.stats["finish_reason"] == "finished", result.output
    assert len(_bookmark_requests(replica)) == 3 and "pixiv/incremental/known" not in result.stats
    assert not [r for r in replica.requests() if r["path"] == "/v1/ugoira/metadata"]
    assert len(_rows(db_url)) == len(expected)


def _delete(db_url: str, statement: str) -> None:
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_pixivcrawl_get_crawls_a_bookmarks_page(replica, world, bookmarks, tmp_path):
    """``pixivcrawl get`` with the URL of a user's bookmarks page: the plan names this spider, and the crawl stores
    that list, narrowed by the URL's tag."""
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    other = ME + 3
    public = bookmarks.of(other, "illust", "public")
    tag = sorted({t for b in public for t in b.tags})[0]
    url = f"https://www.pixiv.net/users/{other}/bookmarks/artworks?tag={tag}"
    proc = _get(tmp_path, replica, db_url, url, settings={"PIXIV_FILES_IMAGE_SIZE": "none"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == f"{url} → bookmarks user_id={other} work=illust tag={tag}"
    expected = {b.work_id for b in public if tag in b.tags}
    assert {r[0] for r in table_rows(db_url, "select work_id from bookmarks")} == expected
    assert {r[0] for r in table_rows(db_url, "select id from illusts")} == expected
