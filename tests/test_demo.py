"""``pixivcrawl demo`` from an empty folder: replica up, spiders run, pixivcrawl.db written, summary shown."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pixivcrawl.demo import demo_jobs, demo_urls
from pixivcrawl.replica.bookmarks import Bookmarks
from pixivcrawl.replica.follow_graph import FollowGraph
from pixivcrawl.replica.world import USER_BASE, World

from .conftest import crawl_env, table_rows


@pytest.mark.slow
def test_demo_runs_offline_and_fills_the_database(tmp_path):
    workdir = tmp_path / "demo"
    workdir.mkdir()
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", "demo", "--works", "1000"], cwd=workdir,
                          env=crawl_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    db = workdir / "pixivcrawl.db"
    assert db.exists()

    world = World(seed=1, works=1000)
    summary = world.summary()
    expected_works, expected_novels = set(), set()
    spiders = {spider for spider, _ in demo_jobs(summary)}
    assert spiders == {"illust_series", "novel_series", "search", "ranking", "commission", "user", "bookmarks",
                       "following", "feed", "work"}
    graph = FollowGraph(world)
    followed: list[int] = []
    for spider, args in demo_jobs(summary):
        if spider == "illust_series":
            sid = args.get("series_id") or str(world.work(int(args["illust_id"])).series_id)
            expected_works.update(summary["illust_series"][sid])
        elif spider == "novel_series":
            sid = args.get("series_id") or str(world.novel(int(args["novel_id"])).series_id)
            expected_novels.update(summary["novel_series"][sid])
        elif spider == "user":
            expected_works.update(world.users[int(args["user_id"])].work_ids)
            expected_novels.update(world.users[int(args["user_id"])].novel_ids)
        elif spider == "following":
            followed = graph.followed(int(args["user_id"]), "public")
            for uid in followed:
                expected_works.update(world.users[uid].work_ids)
                expected_novels.update(world.users[uid].novel_ids)
        elif spider == "work":
            expected_works.update(map(int, args["illust_id"].split(",")))
            expected_novels.update(map(int, args["novel_id"].split(",")))
    bookmarked = [b.work_id for b in Bookmarks(world).of(USER_BASE, "illust", "public")]
    expected_works.update(bookmarked)
    feed = graph.illust_feed(USER_BASE, "all")[:30]  # the first page of the account's follow feed
    expected_works.update(feed)
    # the URLs pixivcrawl get would crawl: each illust and novel of demo_urls is crawled whole
    assert {int(u.rsplit("/", 1)[-1]) for u in demo_urls(summary) if "/artworks/" in u} <= expected_works
    url = f"sqlite:///{db}"
    complete = {r[0] for r in table_rows(url, "select illust_id from illust_pages")}
    assert complete == expected_works  # series, user, following, feed, work and bookmarks crawls fetch whole works
    assert {r[0] for r in table_rows(url, "select id from novels where text is not null")} == expected_novels
    assert {(r[0], r[1]) for r in table_rows(url, "select user_id, work_id from bookmarks")} == \
        {(USER_BASE, wid) for wid in bookmarked}
    assert len(followed) >= 2 and {r[0] for r in table_rows(url, "select followed_id from follows")} == set(followed)
    assert sorted(r[0] for r in table_rows(url, "select work_id from feed_entries")) == sorted(feed)
    counts = {t: table_rows(url, f"select count(*) from {t}")[0][0]
              for t in ("illusts", "rankings", "search_hits", "commission_requests", "bookmarks", "follows",
                        "feed_entries")}
    assert all(n > 0 for n in counts.values()), counts
    out = proc.stdout
    assert "Summary" in out and f"illusts{counts['illusts']:>{34 - len('illusts')},}" in out
    for table in ("bookmarks", "follows", "feed_entries"):
        assert f"{table}{counts[table]:>{34 - len(table)},}" in out
    for line in demo_urls(summary):
        assert line in out  # get's plan line for each URL
    for label in ("requests (crawler)", "requests (replica)", "errors", "seconds"):
        assert label in out
    assert "errors                           0" in out
