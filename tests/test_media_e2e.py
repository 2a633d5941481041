"""Image downloads, dedupe and incremental crawls, end to end against the replica (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import os
import re
import time
import urllib.parse

import pytest
from PIL import Image

from pixivcrawl.demo import running_replica
from pixivcrawl.pipelines.dedupe import DedupePipeline
from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.search import Query, Search
from pixivcrawl.replica.world import World

from .conftest import ReplicaClient, run_crawl, table_rows
from .decorators import coroutine_test

PATH = re.compile(r"^works/\d{4}/(\d+)/\1_(p\d+\.(jpg|png)|ugoira\.zip|ugoira_(webp\.webp|gif\.gif))$")


def _series_with_ugoira(world):
    return next(s for s in world.illust_series.values()
                if any(world.work(w).type == "ugoira" for w in s.member_ids)
                and any(world.work(w).page_count > 2 for w in s.member_ids))


def _served(replica: ReplicaClient, url: str) -> bytes:
    parts = urllib.parse.urlsplit(url)
    status, _, body = replica.call(parts.path, host=parts.hostname, headers={"Referer": "https://www.pixiv.net/"})
    assert status == 200
    return body


def _media(db_url: str) -> list[tuple]:
    return table_rows(db_url, "select work_id, kind, page, url, path, size, width, height, sha256, status "
                              "from media order by work_id, kind, page")


@pytest.mark.parametrize("fmt", ["webp", "gif"])
@coroutine_test
async def test_pages_and_ugoira_are_stored_exactly(fresh_replica, world, db_url, tmp_path, fmt):
    series = _series_with_ugoira(world)
    store = tmp_path / "files"
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_UGOIRA_FORMAT": fmt}, images=True)
    assert result.stats["finish_reason"] == "finished", result.output
    cdn = [r for r in fresh_replica.requests() if r["host"] == "i.pximg.net"]  # before the test's own fetches
    media = _media(db_url)
    expected_files = sum(1 if world.work(w).type == "ugoira" else world.work(w).page_count for w in series.member_ids)
    downloaded = [m for m in media if m[9] == "downloaded"]
    assert len(downloaded) == expected_files == result.stats["pixiv/media/downloaded"]
    assert sum(m[5] for m in downloaded) == result.stats["pixiv/media/bytes"]
    for work_id, kind, page, url, path, size, width, height, sha, _status in downloaded:
        data = (store / path).read_bytes()
        assert PATH.match(path), path
        assert hashlib.sha256(data).hexdigest() == sha == hashlib.sha256(_served(fresh_replica, url)).hexdigest()
        assert len(data) == size
        if kind == "page":
            assert (width, height) == world.work_detail(work_id).sizes[page]
            assert url.startswith("https://i.pximg.net/img-original/")
        else:
            assert url.endswith("_ugoira1920x1080.zip")
    # the animation has the true frame count and per-frame delays
    ugoiras = [w for w in series.member_ids if world.work(w).type == "ugoira"]
    converted = [m for m in media if m[1] == f"ugoira_{fmt}"]
    assert sorted(m[0] for m in converted) == sorted(ugoiras)
    for work_id, *_rest in converted:
        path = _rest[3]
        with Image.open(store / path) as animation:
            delays = []
            for frame in range(animation.n_frames):
                animation.seek(frame)
                animation.load()  # WebP reads a frame's duration with its pixels
                delays.append(animation.info["duration"])
        assert delays == list(world.work_detail(work_id).frames)
    # every CDN request carried a pixiv Referer (the replica refuses others with 403)
    assert len(cdn) == expected_files and all(r["referer"] == "https://www.pixiv.net/" for r in cdn)
    assert all(r["status"] == 200 for r in cdn)


@coroutine_test
async def test_second_crawl_downloads_nothing_and_a_reupload_is_refreshed(fresh_replica, world, db_url, tmp_path):
    series = list(world.illust_series.values())[3]
    args = {"series_id": series.id}
    first = await run_crawl("illust_series", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                            images=True)
    assert first.stats["finish_reason"] == "finished", first.output
    counts_sql = ("select (select count(*) from illusts), (select count(*) from illust_pages), "
                  "(select count(*) from media)")
    before_counts, before_media = table_rows(db_url, counts_sql), _media(db_url)

    fresh_replica.clear()
    second = await run_crawl("illust_series", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                             images=True)
    assert [r for r in fresh_replica.requests() if r["host"] == "i.pximg.net"] == []
    assert second.stats["pixiv/items/unchanged"] == len(series.member_ids)
    assert second.stats.get("pixiv/media/skipped_known") == len([m for m in before_media if m[9] == "downloaded"])
    assert table_rows(db_url, counts_sql) == before_counts and _media(db_url) == before_media

    changed = next(w for w in series.member_ids if world.work(w).type != "ugoira")
    fresh_replica.control("reupload", {"ids": [changed], "add_page": True})
    fresh_replica.clear()
    third = await run_crawl("illust_series", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path, images=True)
    assert third.stats["pixiv/items/updated"] == 1
    assert third.stats["pixiv/items/unchanged"] == len(series.member_ids) - 1
    pages = world.work(changed).page_count + 1
    cdn = [r["path"] for r in fresh_replica.requests() if r["host"] == "i.pximg.net"]
    assert len(cdn) == pages and all(f"/{changed}_p" in p for p in cdn)
    rows = [m for m in _media(db_url) if m[0] == changed]
    assert len(rows) == pages and all(m[9] == "downloaded" for m in rows)
    old = {m[2]: m for m in before_media if m[0] == changed}
    assert all(rows[p][3] != old[p][3] and rows[p][8] != old[p][8] for p in old)  # new URLs, new bytes
    assert table_rows(db_url, f"select page_count from illusts where id = {changed}") == [(pages,)]


@coroutine_test
async def test_truncated_downloads_leave_no_file(fresh_replica, world, tmp_path):
    fresh_replica.control("config", {"fault_truncate": 1.0, "fault_hosts": ["i.pximg.net"]})
    series = list(world.illust_series.values())[5]
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"RETRY_TIMES": "2", "PIXIV_RETRY_BACKOFF": "0.05"},
                             images=True)
    assert result.stats["finish_reason"] == "finished", result.output
    media = _media(db_url)
    expected = sum(1 if world.work(w).type == "ugoira" else world.work(w).page_count for w in series.member_ids)
    assert len(media) == expected and all(m[9] == "failed" and m[4] is None for m in media)
    store = tmp_path / "files"
    assert not store.exists() or [p for p in store.rglob("*") if p.is_file()] == []
    # each file was tried three times (two retries) before it was recorded as failed
    cdn = [r for r in fresh_replica.requests() if r["host"] == "i.pximg.net"]
    assert len(cdn) == 3 * expected and all(r["fault"] == "truncate" for r in cdn)
    # the works themselves are stored: only their files are missing
    assert table_rows(db_url, "select count(*) from illusts") == [(len(series.member_ids),)]


@coroutine_test
async def test_placeholders_are_recognised_not_stored(replica, world, tmp_path):
    hidden = next(w.id for w in world.works if world.restricted(w.id))
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    # without PIXIV_PHPSESSID: with it the work would be fetched whole from the web (tests/test_recover_e2e.py)
    replica.clear()
    result = await run_crawl("illust_series", {"illust_id": hidden}, replica=replica, db_url=db_url, tmp_path=tmp_path,
                             images=True, credentials=False,
                             env={"PIXIV_REFRESH_TOKEN": replica_account(0).refresh_token})
    assert result.stats["finish_reason"] == "finished", result.output
    assert table_rows(db_url, "select count(*) from media") == [(0,)]  # no placeholder passes for a file
    assert table_rows(db_url, "select visible, restriction from illusts") in ([(False, "sanity_level")],
                                                                            [(0, "sanity_level")])
    assert result.stats["pixiv/media/skipped_hidden"] == 1 and result.stats.get("pixiv/media/downloaded", 0) == 0
    assert not [r for r in replica.requests() if r["host"] == "s.pximg.net" and "/common/images/limit_" in r["path"]]
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


@coroutine_test
async def test_image_size_and_types_settings(replica, world, tmp_path):
    series = _series_with_ugoira(world)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_FILES_IMAGE_SIZE": "regular",
                                                          "PIXIV_FILES_IMAGE_TYPES": "manga"})
    assert result.stats["finish_reason"] == "finished", result.output
    media = _media(db_url)
    manga = [w for w in series.member_ids if world.work(w).type == "manga"]
    assert {m[0] for m in media} == set(manga)
    assert all(m[3].endswith("_master1200.jpg") and "/img-master/" in m[3] for m in media)
    assert all(max(m[6], m[7]) <= 1200 for m in media)
    none = await run_crawl("illust_series", {"series_id": series.id}, replica=replica,
                           db_url=f"sqlite:///{tmp_path / 'y.db'}", tmp_path=tmp_path,
                           settings={"PIXIV_FILES_IMAGE_SIZE": "none"})
    assert none.stats["finish_reason"] == "finished" and "pixiv/media/downloaded" not in none.stats


@pytest.mark.slow
@coroutine_test
async def test_incremental_rerun_costs_a_few_requests(tmp_path):
    """A 1,000-work listing crawled whole, then again with -a incremental=1."""
    world = World(seed=1, works=3500)
    query = Query(kind="artworks", word="イラスト", s_mode="s_tag", mode="all")
    expected = Search(world).results(query)
    assert len(expected) >= 1000
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    args = {"word": "イラスト", "s_mode": "s_tag", "details": "1"}
    with running_replica(3500, 1) as origin:
        replica = ReplicaClient(origin)
        settings = {"PIXIV_FILES_IMAGE_SIZE": "none", "PIXIV_API_CONCURRENCY": "8"}
        first = await run_crawl("search", args, replica=replica, db_url=db_url, tmp_path=tmp_path, settings=settings)
        assert first.stats["finish_reason"] == "finished", first.output
        first_requests = replica.control("health")["requests"]
        # the App API's placeholders were fetched whole from the web (the crawl has the cookie)
        hidden = sum(1 for w in expected if world.restricted(w))
        assert first.stats.get("pixiv/works/recovered", 0) == hidden
        assert table_rows(db_url, "select count(*) from illust_pages where page = 0") == [(len(expected),)]
        replica.clear()
        again = await run_crawl("search", {**args, "incremental": "1"}, replica=replica, db_url=db_url,
                                tmp_path=tmp_path, settings=settings)
        assert again.stats["finish_reason"] == "finished", again.output
        second_requests = replica.control("health")["requests"]
    assert first_requests > len(expected)
    assert second_requests < 0.05 * first_requests
    assert again.stats["pixiv/incremental/stopped_listings"] >= 1
    assert table_rows(db_url, "select count(*) from search_hits") == [(len(expected),)]


@coroutine_test
async def test_incremental_series_stops_after_known_works(replica, world, tmp_path):
    series = next(iter(world.illust_series.values()))  # 75 works, newest first: 3 pages
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    settings = {"PIXIV_FILES_IMAGE_SIZE": "none", "PIXIV_INCREMENTAL_STOP": "30"}
    first = await run_crawl("illust_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                            tmp_path=tmp_path, settings=settings)
    replica.clear()
    again = await run_crawl("illust_series", {"series_id": series.id, "incremental": "1"}, replica=replica,
                            db_url=db_url, tmp_path=tmp_path, settings=settings)
    assert again.stats["finish_reason"] == "finished", again.output
    pages = [r for r in replica.requests() if r["path"] == "/v1/illust/series"]
    assert len(pages) == 1 and first.stats["downloader/request_count"] > 3
    assert [r for r in replica.requests() if r["path"] == "/v1/ugoira/metadata"] == []
    assert again.stats["pixiv/incremental/stopped_listings"] == 1


@coroutine_test
async def test_incremental_ranking_skips_stored_days(replica, tmp_path):
    world_summary = replica.control("world")
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    args = {"mode": "monthly", "date_from": world_summary["ranking_week_start"],
            "date_to": world_summary["latest_ranking_date"], "incremental": "1"}
    first = await run_crawl("ranking", args, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert first.stats["finish_reason"] == "finished", first.output
    rows = table_rows(db_url, "select count(*) from rankings")
    replica.clear()
    again = await run_crawl("ranking", args, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert again.stats["pixiv/incremental/days_skipped"] == 7
    assert [r for r in replica.requests() if r["path"] == "/ranking.php"] == []
    assert table_rows(db_url, "select count(*) from rankings") == rows


@coroutine_test
async def test_duplicates_in_a_run_are_dropped_before_storage(replica, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("commission", {"section": "complete", "type": "illust"}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    dropped = result.stats["pixiv/items/dropped_duplicate"]
    assert dropped > 0  # requests recommended on several pages
    assert result.stats["item_dropped_count"] == dropped
    assert result.stats["pixiv/db/items"] == result.stats["item_scraped_count"]


def test_dedupe_keeps_a_whole_record_after_a_listing_record():
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from pixivcrawl.parsers.app_api import parse_illust

    from .captures import load_fixture

    # the crawl memory the pipeline classifies with is an extension of the crawler (pixivcrawl.db.memory)
    pipeline = DedupePipeline(get_crawler(settings_dict={"DATABASE_URL": "",
                                                         "EXTENSIONS": {"pixivcrawl.db.memory.CrawlMemory": 0}}))
    whole = parse_illust(load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json")["illust"])
    listed = parse_illust(load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json")["illust"])
    listed.whole = False
    assert pipeline.process_item(listed) is listed
    assert pipeline.process_item(whole) is whole  # a whole record still passes after a listing record
    with pytest.raises(DropItem):
        pipeline.process_item(listed)
    with pytest.raises(DropItem):
        pipeline.process_item(whole)
    assert pipeline.stats.get_value("pixiv/items/dropped_duplicate") == 2
    assert pipeline.stats.get_value("pixiv/items/new") == 1 and pipeline.stats.get_value("pixiv/items/updated") == 1


@coroutine_test
async def test_a_killed_crawls_temporaries_are_removed_when_the_next_starts(replica, world, tmp_path):
    """A crawl killed mid-write leaves ``.<name>.<random>.part`` files; the next crawl on the same FILES_STORE
    removes them (and only them) and leaves none of its own."""
    series = min(world.illust_series.values(), key=lambda s: sum(world.work(w).page_count for w in s.member_ids))
    first = world.work(series.member_ids[0])
    store = tmp_path / "files"
    folder = store / "works" / f"{first.id // 1_000_000:04d}" / str(first.id)
    stale = [folder / f".{first.id}_p0.jpg.x1y2z3_a.part",  # beside a file this crawl stores
             store / "works" / "0999" / "999000001" / ".999000001_p3.png.abcdefgh.part"]
    kept = store / "works" / "0999" / "999000001" / "999000001_p3.png"
    for path in [*stale, kept]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a file")
        os.utime(path, (time.time() - 600, time.time() - 600))
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_FILES_IMAGE_SIZE": "small"})
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/media/stale_parts_removed"] == len(stale)
    assert not any(path.exists() for path in stale) and kept.read_bytes() == b"half a file"
    assert list(store.rglob("*.part")) == []
    stored = table_rows(db_url, "select path from media where status = 'downloaded'")
    assert stored and all((store / path).is_file() for (path,) in stored)
