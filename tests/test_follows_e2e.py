"""The ``following`` and ``feed`` spiders end to end against the replica, into SQLite and PostgreSQL.

Expected follows and feeds are computed with the replica's own graph (pixivcrawl.replica.follow_graph) over the same
deterministic world, never typed in; requests are counted from the replica's request log."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime

import pytest

from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.follow_graph import FollowGraph

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test

ME = replica_account(0).user_id


@pytest.fixture(scope="module")
def graph(world) -> FollowGraph:
    return FollowGraph(world)


def _app_requests(replica, path: str) -> list[dict]:
    return [dict(urllib.parse.parse_qsl(r["query"])) for r in replica.requests() if r["path"] == path]


# -- following ---------------------------------------------------------------------------------------

@coroutine_test
async def test_following_lists_the_accounts_follows(replica, world, graph, db_url, tmp_path):
    public, private = graph.followed(ME, "public"), graph.followed(ME, "private")
    assert len(public) > 30 and private  # two pages of public follows, and private ones
    replica.clear()
    result = await run_crawl("following", {"restrict": "all"}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    rows = table_rows(db_url, "select follower_id, followed_id, restrict, position from follows "
                              "order by restrict desc, position")
    assert rows == [(ME, u, "public", n) for n, u in enumerate(public)] + [
        (ME, u, "private", n) for n, u in enumerate(private)]
    users = dict(table_rows(db_url, "select id, name from users"))
    assert users == {u: world.user_name(u)[0] for u in public + private}
    assert table_rows(db_url, "select count(*) from illusts") == [(0,)]  # no works without works=1
    # the token (whose answer names the account), two public pages and one private page
    pages = _app_requests(replica, "/v1/user/following")
    assert sorted((q["user_id"], q["restrict"], q.get("offset", "0")) for q in pages) == [
        (str(ME), "private", "0"), (str(ME), "public", "0"), (str(ME), "public", "30")]
    assert len(replica.requests()) == 1 + 3
    assert result.stats["pixiv/following/follows"] == len(public) + len(private)


@coroutine_test
async def test_following_again_updates_last_seen(replica, graph, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    for run in range(2):
        result = await run_crawl("following", {}, replica=replica, db_url=db_url, tmp_path=tmp_path)
        assert result.stats["finish_reason"] == "finished", result.output
        seen = table_rows(db_url, "select followed_id, first_seen_at, last_seen_at from follows order by position")
        if run == 0:
            first = seen
    assert [r[0] for r in seen] == graph.followed(ME, "public")  # no duplicate
    assert [r[1] for r in seen] == [r[1] for r in first]  # first seen: the first run
    assert all(later[2] > earlier[2] for later, earlier in zip(seen, first, strict=True))


@coroutine_test
async def test_following_of_another_user(replica, world, graph, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    other = next(u for u in world.users if u != ME and len(graph.followed(u, "public")) > 2)
    replica.clear()
    url = f"https://www.pixiv.net/en/users/{other}/following"  # the page a user copies, or the plain id
    result = await run_crawl("following", {"user_id": url, "max_pages": "1"}, replica=replica,
                             db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    rows = table_rows(db_url, "select follower_id, followed_id from follows order by position")
    assert rows == [(other, u) for u in graph.followed(other, "public")]
    assert [r["path"] for r in replica.requests()] == ["/auth/token", "/v1/user/following"]


@coroutine_test
async def test_private_follows_of_another_user_are_refused(replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    other = next(u for u in world.users if u != ME)
    replica.clear()
    result = await run_crawl("following", {"user_id": str(other), "restrict": "private"}, replica=replica,
                             db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "bad_arguments"
    sentence = (f"Argument restrict=private needs the account's own follows: pixiv shows a user's private follows "
                f"to no one else, and user {other} is not the account's ({ME}).")
    assert result.stats["pixiv/errors/bad_argument"] == sentence and sentence in result.output
    assert [r["path"] for r in replica.requests()] == ["/auth/token"]  # nothing asked of the App API


# -- feed --------------------------------------------------------------------------------------------

@coroutine_test
async def test_feed_stores_the_works_and_their_positions(replica, world, graph, db_url, tmp_path):
    feed = graph.illust_feed(ME, "all")
    assert len(feed) > 60
    replica.clear()
    result = await run_crawl("feed", {"max_pages": "2"}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    day = datetime.now(UTC).date().isoformat()
    entries = table_rows(db_url, "select account_id, work_type, restrict, day, work_id, position from feed_entries "
                                 "order by position")
    assert [(a, t, r, str(d), w, p) for a, t, r, d, w, p in entries] == [
        (ME, "illust", "all", day, w, n) for n, w in enumerate(feed[:60])]
    stored = dict(table_rows(db_url, "select id, incomplete from illusts"))
    assert set(stored) == set(feed[:60]) and set(stored.values()) == {None}  # whole, ugoira with their frames
    ugoira = [w for w in feed[:60] if world.work(w).type == "ugoira"]
    assert sorted(int(q["illust_id"]) for q in _app_requests(replica, "/v1/ugoira/metadata")) == sorted(ugoira)
    assert [q.get("offset") for q in _app_requests(replica, "/v2/illust/follow")] == [None, "30"]
    assert result.stats["pixiv/feed/entries"] == 60


@coroutine_test
async def test_novel_feed_with_texts(replica, world, graph, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    feed = graph.novel_feed(ME, "private")
    assert feed
    result = await run_crawl("feed", {"work": "novel", "restrict": "private"}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    entries = table_rows(db_url, "select work_id from feed_entries where work_type = 'novel' and restrict = 'private' "
                                 "order by position")
    assert [e[0] for e in entries] == feed  # every page, to the end of the feed
    texts = dict(table_rows(db_url, "select id, length(text) from novels"))
    assert texts == {n: len(world.novel_detail(n).text) for n in feed}


@coroutine_test
async def test_incremental_feed_stops_at_known_works(replica, graph, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    settings = {"PIXIV_INCREMENTAL_STOP": "5"}
    first = await run_crawl("feed", {"max_pages": "3"}, replica=replica, db_url=db_url, tmp_path=tmp_path,
                            settings=settings)
    assert first.stats["finish_reason"] == "finished", first.output
    replica.clear()
    again = await run_crawl("feed", {"incremental": "1"}, replica=replica, db_url=db_url, tmp_path=tmp_path,
                            settings=settings)
    assert again.stats["finish_reason"] == "finished", again.output
    assert again.stats["pixiv/incremental/stopped_listings"] == 1
    assert [r["path"] for r in replica.requests()] == ["/auth/token", "/v2/illust/follow"]  # one page, no frames
    assert again.stats["pixiv/incremental/known"] == 30


# -- following works=1 -------------------------------------------------------------------------------

def _small_follower(world, graph) -> tuple[int, list[int]]:
    """A user who follows three to six users publicly, with the fewest works among them (a short crawl), some
    ugoira and some novels among them."""
    def works(users: list[int]) -> int:
        return sum(len(world.users[u].work_ids) + len(world.users[u].novel_ids) for u in users)

    candidates = [(u, graph.followed(u, "public")) for u in world.users]
    candidates = [(u, f) for u, f in candidates if 3 <= len(f) <= 6
                  and any(world.work(w).type == "ugoira" for x in f for w in world.users[x].work_ids)
                  and any(world.users[x].novel_ids for x in f)]
    return min(candidates, key=lambda c: works(c[1]))


@coroutine_test
async def test_following_works_crawls_each_user_and_an_incremental_rerun_costs_nothing_per_user(
        replica, world, graph, db_url, tmp_path):
    follower, followed = _small_follower(world, graph)
    result = await run_crawl("following", {"user_id": str(follower), "works": "1"}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/following/users_crawled"] == len(followed)
    illusts = dict(table_rows(db_url, "select id, incomplete from illusts"))
    assert set(illusts) == {w for u in followed for w in world.users[u].work_ids}  # everything each published
    assert set(illusts.values()) == {None}  # whole, ugoira with their frames
    texts = dict(table_rows(db_url, "select id, length(text) from novels"))
    assert texts == {n: len(world.novel_detail(n).text) for u in followed for n in world.users[u].novel_ids}
    profiles = table_rows(db_url, "select id from users where profile_raw is not null order by id")
    assert profiles == [(u,) for u in sorted(followed)]
    # again, incremental: every preview shows works stored unchanged, so no user is crawled
    replica.clear()
    again = await run_crawl("following", {"user_id": str(follower), "works": "1", "incremental": "1"},
                            replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert again.stats["finish_reason"] == "finished", again.output
    paths = [r["path"] for r in replica.requests()]
    assert sorted(paths) == ["/auth/token", "/v1/user/following"]  # the token and one page of follows
    assert len(paths) <= 2 * len(followed)  # the goal: at most two requests per followed user
    assert again.stats["pixiv/following/users_unchanged"] == len(followed)
    assert table_rows(db_url, "select count(*) from follows") == [(len(followed),)]


@coroutine_test
async def test_incremental_following_crawls_the_users_with_something_new(fresh_replica, world, graph, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    follower, followed = _small_follower(world, graph)
    args = {"user_id": str(follower), "works": "1", "incremental": "1"}
    # a first incremental run knows no one: every user is crawled
    first = await run_crawl("following", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path)
    assert first.stats["finish_reason"] == "finished", first.output
    assert first.stats["pixiv/following/users_crawled"] == len(followed)
    # one followed user re-uploads their newest work: the preview shows it changed, and only that user is crawled
    changed_user = next(u for u in followed if world.users[u].work_ids)
    newest = world.users[changed_user].work_ids[-1]
    fresh_replica.control("reupload", {"ids": [newest], "add_page": False})
    fresh_replica.clear()
    again = await run_crawl("following", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path)
    assert again.stats["finish_reason"] == "finished", again.output
    app = [(r["path"], dict(urllib.parse.parse_qsl(r["query"])).get("user_id")) for r in fresh_replica.requests()
           if r["path"].startswith("/v1/user/")]
    # its profile is stored (not asked again); its listings' first pages find the change and stop at known works
    assert sorted(app) == sorted([("/v1/user/following", str(follower)), ("/v1/user/illusts", str(changed_user)),
                                  ("/v1/user/novels", str(changed_user))])
    assert (again.stats["pixiv/following/users_unchanged"], again.stats["pixiv/following/users_crawled"]) == (
        len(followed) - 1, 1)
    stamp = table_rows(db_url, f"select image_stamp from illusts where id = {newest}")
    assert stamp == [(world.date_path(world.upload_time(newest) + 86400),)]  # the re-upload (a day later) is stored


@coroutine_test
async def test_following_works_of_one_type(replica, world, graph, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    follower, followed = _small_follower(world, graph)
    args = {"user_id": str(follower), "works": "1", "type": "illust,manga"}
    replica.clear()
    result = await run_crawl("following", args, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert {r[0] for r in table_rows(db_url, "select id from illusts")} == {
        w for u in followed for w in world.users[u].work_ids}
    # the novels the followed users have (test_following_works_crawls_each_user…) cost no request and no row
    assert table_rows(db_url, "select count(*) from novels") == [(0,)]
    paths = {r["path"] for r in replica.requests()}
    assert "/v1/user/illusts" in paths and not paths & {"/v1/user/novels", "/webview/v2/novel"}
    # an incremental re-run with the same type: the previews' novels, not asked for, do not make a user new
    replica.clear()
    again = await run_crawl("following", {**args, "incremental": "1"}, replica=replica, db_url=db_url,
                            tmp_path=tmp_path)
    assert again.stats["finish_reason"] == "finished", again.output
    assert sorted(r["path"] for r in replica.requests()) == ["/auth/token", "/v1/user/following"]
    assert again.stats["pixiv/following/users_unchanged"] == len(followed)


@coroutine_test
async def test_following_type_must_not_be_empty(replica, tmp_path):
    result = await run_crawl("following", {"works": "1", "type": ""}, replica=replica,
                             db_url=f"sqlite:///{tmp_path / 'x.db'}", tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "bad_arguments"
    assert "Argument type must not be empty." in result.output
