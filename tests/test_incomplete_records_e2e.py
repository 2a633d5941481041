"""A record in hand is never thrown away: when the request that would complete a work fails for good (its
detail, its ugoira metadata, its text), the record the crawl already has is stored, marked incomplete
(``illusts.incomplete`` / ``novels.incomplete``), and the next crawl completes it. One test per spider family,
in-process crawls against a replica of their own whose failing paths are chosen with the ``fault_paths`` knob
(or whose answers fail at random with ``fault_5xx``)."""

from __future__ import annotations

import json
import urllib.parse
from datetime import timedelta

import pytest

from pixivcrawl.replica.rankings import Rankings
from pixivcrawl.replica.search import Query, Search

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test

#: a request that fails is retried once, quickly: failures for good come within a second
FAIL_FAST = {"RETRY_TIMES": "1", "PIXIV_RETRY_BACKOFF": "0.02"}
#: a tag of 27 works: one search page
RARE_TAG = "きぎご"

DANGLING_HITS = ("select h.work_id from search_hits h left join {table} w on w.id = h.work_id where w.id is null")
DANGLING_RANKS = ("select r.work_id from rankings r left join {table} w on w.id = r.work_id where w.id is null")


def _frames(value):
    return json.loads(value) if isinstance(value, str) else value


def _failed_for_good_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "Request failed for good" in line]


def _paths(replica, prefix: str) -> list[dict]:
    return [r for r in replica.requests() if r["path"].startswith(prefix)]


# -- search ------------------------------------------------------------------------------------------

@coroutine_test
async def test_search_details_failing_for_good_keep_the_listing_records(fresh_replica, world, db_url, tmp_path):
    """search details=1 with every /v1/illust/detail failing: the listing records are stored, marked
    ``listing``, every hit resolves; the next plain run stores them whole."""
    expected = Search(world).results(Query(kind="artworks", word=RARE_TAG, mode="all"))
    assert 10 < len(expected) <= 60
    fresh_replica.control("config", {"fault_paths": "/v1/illust/detail"})
    args = {"word": RARE_TAG, "details": "1"}
    first = await run_crawl("search", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                            settings=FAIL_FAST)
    assert first.stats["finish_reason"] == "finished", first.output
    assert {r[0] for r in table_rows(db_url, "select work_id from search_hits")} == set(expected)
    assert table_rows(db_url, DANGLING_HITS.format(table="illusts")) == []
    rows = table_rows(db_url, "select id, incomplete, title from illusts")
    assert {r[0] for r in rows} == set(expected)
    assert {r[1] for r in rows} == {"listing"}
    assert all(r[2] == world.work_detail(r[0]).title for r in rows)
    assert table_rows(db_url, "select count(*) from illust_pages") == [(0,)]
    # their users are stored too, from the listing
    assert table_rows(db_url, "select i.id from illusts i left join users u on u.id = i.user_id "
                              "where u.id is null") == []
    n = len(expected)
    assert first.stats["pixiv/works/incomplete"] == n and first.stats["pixiv/works/incomplete/listing"] == n
    assert first.stats["pixiv/errors/http_503"] == n and first.stats["pixiv/errors/request_failed"] == n
    # the final error line names the status and the retries, not Scrapy's "Ignoring non-200 response"
    lines = _failed_for_good_lines(first.output)
    assert len(lines) == n and all(line.endswith("(HTTP 503 after 1 retry)") for line in lines), lines[:3]
    assert "Ignoring non-200 response" not in first.output

    fresh_replica.control("config", {"fault_paths": ""})
    second = await run_crawl("search", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                             settings=FAIL_FAST)
    assert second.stats["finish_reason"] == "finished", second.output
    # every work pixiv shows is whole now; a work the App API hides (its placeholder) keeps its listing record
    shown = set(expected)  # the replica's App API placeholders are recovered from the web (the crawl has a cookie)
    assert {r[0] for r in table_rows(db_url, "select id from illusts where visible and incomplete is null")} == shown
    assert table_rows(db_url, "select id from illusts where not visible") == []
    pages = dict(table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id"))
    assert pages == {w: world.work(w).page_count for w in shown}
    captions = dict(table_rows(db_url, "select id, caption from illusts where visible"))
    assert captions == {w: world.work_detail(w).caption for w in shown}
    assert second.stats["pixiv/items/updated"] == n and "pixiv/works/incomplete" not in second.stats


@pytest.mark.parametrize(("fault", "cause"), [
    ({"fault_paths": "/v2/novel/detail"}, "HTTP 503"),
    ({"fault_reset": 1.0, "fault_hosts": ["app-api.pixiv.net"]}, "ConnectionLost"),
], ids=["5xx", "reset"])
@coroutine_test
async def test_search_novel_details_failing_for_good_keep_the_listing_records(fresh_replica, world, tmp_path, fault,
                                                                              cause):
    """The same for novels, whether /v2/novel/detail answers 503 or drops the connection: the listing records
    are stored; the next run that is only incremental (known works are skipped) still fetches them, with their
    text."""
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    expected = Search(world).results(Query(kind="novels", word="漫画", s_mode="s_tag", mode="all"))[:24]
    fresh_replica.control("config", fault)
    args = {"word": "漫画", "s_mode": "s_tag", "type": "novels", "max_pages": "1", "details": "1"}
    first = await run_crawl("search", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                            settings=FAIL_FAST)
    assert first.stats["finish_reason"] == "finished", first.output
    assert table_rows(db_url, DANGLING_HITS.format(table="novels")) == []
    rows = table_rows(db_url, "select id, incomplete, text from novels")
    assert {r[0] for r in rows} == set(expected) and {(r[1], r[2]) for r in rows} == {("listing", None)}
    assert first.stats["pixiv/works/incomplete/listing"] == len(expected)
    assert first.stats["pixiv/errors/request_failed"] == len(expected)
    key = "http_503" if cause == "HTTP 503" else "connection_lost"
    assert first.stats[f"pixiv/errors/{key}"] == len(expected)
    lines = _failed_for_good_lines(first.output)
    assert len(lines) == len(expected) and all(f"({cause} after 1 retry" in line for line in lines), lines[:3]

    fresh_replica.control("config", {"fault_paths": "", "fault_reset": 0.0})
    fresh_replica.clear()
    second = await run_crawl("search", {**args, "incremental": "1"}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings=FAIL_FAST)
    assert second.stats["finish_reason"] == "finished", second.output
    assert len(_paths(fresh_replica, "/v2/novel/detail")) == len(expected)
    texts = dict(table_rows(db_url, "select id, text from novels where incomplete is null"))
    assert texts == {nid: world.novel_detail(nid).text for nid in expected}


@coroutine_test
async def test_search_details_at_60_percent_5xx_leave_no_hit_without_its_work(fresh_replica, world, tmp_path):
    """The issue's case: 60% of App API answers are 5xx. Every hit still points at a stored work; those whose
    detail or ugoira metadata failed for good are stored incomplete, as counted; the next run completes them."""
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    expected = Search(world).results(Query(kind="artworks", word=RARE_TAG, mode="all"))
    fresh_replica.control("config", {"fault_5xx": 0.6, "fault_seed": 3, "fault_hosts": ["app-api.pixiv.net"]})
    args = {"word": RARE_TAG, "details": "1"}
    first = await run_crawl("search", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                            settings={"RETRY_TIMES": "2", "PIXIV_RETRY_BACKOFF": "0.02"})
    assert first.stats["finish_reason"] == "finished", first.output
    assert {r[0] for r in table_rows(db_url, "select work_id from search_hits")} == set(expected)
    assert table_rows(db_url, DANGLING_HITS.format(table="illusts")) == []
    incomplete = table_rows(db_url, "select incomplete, count(*) from illusts where incomplete is not null "
                                    "group by incomplete")
    assert sum(n for _, n in incomplete) == first.stats["pixiv/works/incomplete"] > 0
    for what, n in incomplete:
        assert first.stats[f"pixiv/works/incomplete/{what}"] == n
    # the App API records have their pages (ugoira whose metadata failed too), the listing records none
    detailed = {r[0] for r in table_rows(db_url, "select id from illusts where visible and "
                                                 "(incomplete is null or incomplete = 'ugoira_frames')")}
    assert detailed == {r[0] for r in table_rows(db_url, "select distinct illust_id from illust_pages")}
    lines = _failed_for_good_lines(first.output)
    assert lines and all("(HTTP 50" in line and "after 2 retries)" in line for line in lines), lines[:3]

    fresh_replica.control("config", {"fault_5xx": 0.0})
    second = await run_crawl("search", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path)
    assert second.stats["finish_reason"] == "finished", second.output
    shown = set(expected)  # the replica's App API placeholders are recovered from the web (the crawl has a cookie)
    assert {r[0] for r in table_rows(db_url, "select id from illusts where visible and incomplete is null")} == shown
    pages = dict(table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id"))
    assert pages == {w: world.work(w).page_count for w in shown}


# -- series ------------------------------------------------------------------------------------------

@coroutine_test
async def test_illust_series_keeps_ugoira_whose_metadata_fails(fresh_replica, world, tmp_path):
    """Every /v1/ugoira/metadata fails: the ugoira are stored whole but without frames, marked and counted;
    an incremental run fetches exactly their metadata, and a further one fetches nothing again."""
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    series = list(world.illust_series.values())[2]
    ugoira = {m for m in series.member_ids if world.work(m).type == "ugoira"}
    assert ugoira and len(series.member_ids) < 30
    fresh_replica.control("config", {"fault_paths": "/v1/ugoira/metadata"})
    first = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                            tmp_path=tmp_path, settings=FAIL_FAST)
    assert first.stats["finish_reason"] == "finished", first.output
    rows = table_rows(db_url, "select id, incomplete, ugoira_frames from illusts")
    assert {r[0] for r in rows} == set(series.member_ids)
    assert {r[0]: r[1] for r in rows} == {m: "ugoira_frames" if m in ugoira else None for m in series.member_ids}
    assert all(r[2] is None for r in rows)
    pages = dict(table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id"))
    assert pages == {m: world.work(m).page_count for m in series.member_ids}  # whole records otherwise
    assert first.stats["pixiv/works/incomplete/ugoira_frames"] == len(ugoira)
    assert first.stats["pixiv/works/incomplete"] == len(ugoira)

    fresh_replica.control("config", {"fault_paths": ""})
    fresh_replica.clear()
    second = await run_crawl("illust_series", {"series_id": series.id, "incremental": "1"}, replica=fresh_replica,
                             db_url=db_url, tmp_path=tmp_path)
    assert second.stats["finish_reason"] == "finished", second.output
    fetched = [int(urllib.parse.parse_qs(r["query"])["illust_id"][0])
               for r in _paths(fresh_replica, "/v1/ugoira/metadata")]
    assert sorted(fetched) == sorted(ugoira)
    frames = dict(table_rows(db_url, "select id, ugoira_frames from illusts where type = 'ugoira'"))
    assert {w: [f["delay"] for f in _frames(v)] for w, v in frames.items()} == \
        {w: list(world.work_detail(w).frames) for w in ugoira}
    assert table_rows(db_url, "select count(*) from illusts where incomplete is not null") == [(0,)]

    fresh_replica.clear()
    third = await run_crawl("illust_series", {"series_id": series.id, "incremental": "1"}, replica=fresh_replica,
                            db_url=db_url, tmp_path=tmp_path)
    assert third.stats["finish_reason"] == "finished", third.output
    assert _paths(fresh_replica, "/v1/ugoira/metadata") == []
    # the known ugoira, yielded without frames, stay whole: their frames are kept
    assert table_rows(db_url, "select count(*) from illusts where incomplete is not null "
                              "or (type = 'ugoira' and ugoira_frames is null)") == [(0,)]


@coroutine_test
async def test_novel_series_keeps_novels_whose_text_fails(fresh_replica, world, db_url, tmp_path):
    """Every /webview/v2/novel fails: the novels are stored without text, marked and counted; a plain re-run
    stores their text."""
    series = list(world.novel_series.values())[1]
    fresh_replica.control("config", {"fault_paths": "/webview/v2/novel"})
    first = await run_crawl("novel_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                            tmp_path=tmp_path, settings=FAIL_FAST)
    assert first.stats["finish_reason"] == "finished", first.output
    rows = table_rows(db_url, "select id, incomplete, text, title from novels order by series_order")
    assert [r[0] for r in rows] == series.member_ids
    assert {(r[1], r[2]) for r in rows} == {("text", None)}
    assert [r[3] for r in rows] == [world.novel_detail(n).title for n in series.member_ids]
    n = len(series.member_ids)
    assert first.stats["pixiv/works/incomplete/text"] == n and first.stats["pixiv/errors/http_503"] == n

    fresh_replica.control("config", {"fault_paths": ""})
    second = await run_crawl("novel_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert second.stats["finish_reason"] == "finished", second.output
    texts = dict(table_rows(db_url, "select id, text from novels where incomplete is null"))
    assert texts == {nid: world.novel_detail(nid).text for nid in series.member_ids}
    assert second.stats["pixiv/items/updated"] == n


# -- ranking -----------------------------------------------------------------------------------------

@coroutine_test
async def test_app_ranking_keeps_ugoira_whose_metadata_fails(fresh_replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    rankings = Rankings(world)
    day = rankings.latest - timedelta(days=1)
    ranked = rankings.ranked(day, "daily", "all")[:30]
    ugoira = {w for w in ranked if world.work(w).type == "ugoira"}
    assert ugoira
    fresh_replica.control("config", {"fault_paths": "/v1/ugoira/metadata"})
    args = {"api": "app", "mode": "day", "date": day.isoformat(), "max_pages": "1"}
    first = await run_crawl("ranking", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                            settings=FAIL_FAST)
    assert first.stats["finish_reason"] == "finished", first.output
    assert [r[0] for r in table_rows(db_url, "select work_id from rankings order by rank")] == list(ranked)
    assert table_rows(db_url, DANGLING_RANKS.format(table="illusts")) == []
    assert {r[0] for r in table_rows(db_url, "select id from illusts where incomplete = 'ugoira_frames'")} == ugoira
    assert first.stats["pixiv/works/incomplete/ugoira_frames"] == len(ugoira)

    fresh_replica.control("config", {"fault_paths": ""})
    second = await run_crawl("ranking", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path)
    assert second.stats["finish_reason"] == "finished", second.output
    frames = dict(table_rows(db_url, "select id, ugoira_frames from illusts where type = 'ugoira'"))
    assert {w: [f["delay"] for f in _frames(v)] for w, v in frames.items()} == \
        {w: list(world.work_detail(w).frames) for w in ugoira}
    assert table_rows(db_url, "select count(*) from illusts where incomplete is not null") == [(0,)]


@coroutine_test
async def test_web_ranking_rows_always_have_their_works_under_faults(fresh_replica, world, tmp_path):
    """ranking.php pages carry their works: a page is stored whole or, when it fails for good, not at all."""
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    rankings = Rankings(world)
    days = [rankings.latest - timedelta(days=n) for n in range(6)]
    fresh_replica.control("config", {"fault_5xx": 0.6, "fault_seed": 5, "fault_hosts": ["www.pixiv.net"]})
    result = await run_crawl("ranking", {"mode": "daily", "date_from": days[-1].isoformat(),
                                         "date_to": days[0].isoformat(), "max_pages": "1"},
                             replica=fresh_replica, db_url=db_url, tmp_path=tmp_path, settings=FAIL_FAST)
    assert result.stats["finish_reason"] == "finished", result.output
    served = {urllib.parse.parse_qs(r["query"])["date"][0] for r in _paths(fresh_replica, "/ranking.php")
              if r["status"] == 200}
    assert served and result.stats.get("pixiv/errors/request_failed", 0) == len(days) - len(served)
    stored = table_rows(db_url, "select date, rank, work_id from rankings order by date, rank")
    expected = [(d, n + 1, w) for d in sorted(days) if d.strftime("%Y%m%d") in served
                for n, w in enumerate(rankings.ranked(d, "daily", "all")[:50])]
    assert [(str(d)[:10], r, w) for d, r, w in stored] == [(d.isoformat(), r, w) for d, r, w in expected]
    assert table_rows(db_url, DANGLING_RANKS.format(table="illusts")) == []


# -- commission --------------------------------------------------------------------------------------

@coroutine_test
async def test_commission_pages_keep_every_request_and_work_under_faults(fresh_replica, world, tmp_path):
    """Commission listings at 60% 5xx: every page that was served is stored whole (its requests, and the works
    that fulfilled them), and a page that failed for good loses nothing else."""
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    fresh_replica.control("config", {"fault_5xx": 0.6, "fault_seed": 11, "fault_hosts": ["www.pixiv.net"]})
    result = await run_crawl("commission", {"section": "complete,in_progress"}, replica=fresh_replica,
                             db_url=db_url, tmp_path=tmp_path, settings=FAIL_FAST)
    assert result.stats["finish_reason"] == "finished", result.output
    served = {(r["path"], r["query"]) for r in _paths(fresh_replica, "/ajax/commission/") if r["status"] == 200}
    failed = {(r["path"], r["query"]) for r in _paths(fresh_replica, "/ajax/commission/")} - served
    assert served and failed and result.stats["pixiv/errors/request_failed"] == len(failed)
    # what the served pages held: asked again, without faults
    fresh_replica.control("config", {"fault_5xx": 0.0})
    expected: set[int] = set()
    for path, query in served:
        status, body = fresh_replica.json(f"{path}?{query}", host="www.pixiv.net")
        assert status == 200
        expected |= {int(r["requestId"]) for r in body["body"]["requests"]}
    assert {r[0] for r in table_rows(db_url, "select id from commission_requests")} == expected
    assert table_rows(db_url, "select c.id from commission_requests c left join illusts i on i.id = c.post_work_id "
                              "where c.post_work_id is not null and i.id is null") == []


def test_fault_paths_knob_fails_only_those_paths(fresh_replica):
    """The replica's fault_paths knob: the named paths fail every time with fault_paths_status, others answer."""
    fresh_replica.control("config", {"fault_paths": "/v1/illust/detail,/webview/", "fault_paths_status": 502})
    token = fresh_replica.token()
    status, _, body = fresh_replica.call("/v1/illust/detail?illust_id=100000018",
                                         headers={"Authorization": f"Bearer {token}"})
    assert status == 502 and b"Server Error" in body
    status, _, _ = fresh_replica.call("/v1/illust/series?illust_series_id=10000",
                                      headers={"Authorization": f"Bearer {token}"})
    assert status == 200
    assert [r["fault"] for r in fresh_replica.requests() if r["path"] == "/v1/illust/detail"] == ["path"]
