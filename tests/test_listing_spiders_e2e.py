"""search, ranking and commission spiders end to end against the replica, into SQLite and PostgreSQL.

The crawls run logged in (PHPSESSID set), so searches in mode "all" include R-18 works, as on pixiv.

Expected results are computed with the replica's own search, ranking and commission models over the same
deterministic world, never typed in.
"""

from __future__ import annotations

import urllib.parse
from datetime import date, timedelta

import pytest

from pixivcrawl.replica.commissions import Commissions
from pixivcrawl.replica.rankings import Rankings
from pixivcrawl.replica.search import Query, Search

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test


@pytest.fixture(scope="module")
def models(world):
    return {"search": Search(world), "rankings": Rankings(world), "commissions": Commissions(world)}


def _common_tag(world) -> str:
    counts: dict[str, int] = {}
    for work in world.works:
        for tag in world.work_tags(work.id):
            counts[tag.name] = counts.get(tag.name, 0) + 1
    return max(counts, key=lambda name: (counts[name], name))


def _log_queries(replica, path_prefix: str) -> list[dict]:
    return [dict(urllib.parse.parse_qsl(r["query"])) for r in replica.requests() if r["path"].startswith(path_prefix)]


# -- search ------------------------------------------------------------------------------------------

@coroutine_test
async def test_search_pages_to_the_last_page(replica, world, models, db_url, tmp_path):
    word = "漫画"  # partial tag match: a suffix of many tags
    expected = models["search"].results(Query(kind="artworks", word=word, s_mode="s_tag", mode="all"))
    assert len(expected) > 3 * 60  # several pages
    replica.clear()
    result = await run_crawl("search", {"word": word, "s_mode": "s_tag"}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    hits = table_rows(db_url, "select work_id, page, position from search_hits order by page, position")
    assert [h[0] for h in hits] == list(expected)  # newest first, page by page, nothing missing
    pages = sorted(int(q["p"]) for q in _log_queries(replica, "/ajax/search/artworks/"))
    assert pages == list(range(1, -(-len(expected) // 60) + 1))
    stored = {r[0] for r in table_rows(db_url, "select id from illusts")}
    assert stored == set(expected)
    tags = table_rows(db_url, f"select tag from illust_tags where illust_id = {expected[0]} order by position")
    assert [t[0] for t in tags] == [t.name for t in world.work_tags(expected[0])]
    key = table_rows(db_url, "select distinct query_key from search_hits")
    assert key == [(f"artworks:{word}?mode=all&order=date_d&s_mode=s_tag",)]


@coroutine_test
async def test_search_slices_dates_past_the_page_cap(fresh_replica, world, models, db_url, tmp_path):
    fresh_replica.control("config", {"search_page_cap": 2})
    expected = models["search"].results(Query(kind="artworks", word="イラスト", s_mode="s_tag", mode="all"))
    assert len(expected) > 5 * 2 * 60  # several times more results than two pages reach
    result = await run_crawl("search", {"word": "イラスト", "s_mode": "s_tag"}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/search/windows_split"] > 0
    assert result.stats["pixiv/search/hits"] == len(expected)  # each work reached exactly once
    assert {r[0] for r in table_rows(db_url, "select work_id from search_hits")} == set(expected)
    windows = [q for q in _log_queries(fresh_replica, "/ajax/search/") if q.get("p") == "1" and "scd" in q]
    assert windows and all(int(q["p"]) <= 2 for q in _log_queries(fresh_replica, "/ajax/search/"))


@coroutine_test
async def test_search_filters(replica, world, models, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    word = _common_tag(world)
    args = {"word": word, "type": "illustrations", "order": "popular_d", "content": "illust", "wlt": "600",
            "hgt": "1500", "ratio": "-0.5", "scd": "2020-01-01", "ecd": "2024-12-31", "blt": "5", "ai_type": "1"}
    q = Query(kind="illustrations", word=word, order="popular_d", mode="all", type="illust", wlt=600, hgt=1500,
              ratio=-0.5, scd=date(2020, 1, 1), ecd=date(2024, 12, 31), blt=5, ai_type=1)
    expected = models["search"].results(q)
    assert 0 < len(expected) < len(models["search"].results(Query(kind="illustrations", word=word, mode="all")))
    result = await run_crawl("search", args, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    hits = table_rows(db_url, "select work_id from search_hits order by page, position")
    assert [h[0] for h in hits] == list(expected)


@coroutine_test
async def test_search_novels_with_language_and_max_pages(replica, world, models, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    word = "漫画"
    expected = models["search"].results(Query(kind="novels", word=word, s_mode="s_tag", mode="all", work_lang="ja"))
    assert len(expected) > 24
    result = await run_crawl("search", {"word": word, "s_mode": "s_tag", "type": "novels", "work_lang": "ja",
                                        "max_pages": "1"},
                             replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert [r[0] for r in table_rows(db_url, "select work_id from search_hits order by position")] == \
        list(expected[:24])
    assert table_rows(db_url, "select count(*) from novels where language = 'ja'") == [(24,)]
    assert result.stats["pixiv/search/stopped_at_max_pages"] == 1


@coroutine_test
async def test_search_details_fetch_whole_works(replica, world, models, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    word = _common_tag(world)
    expected = models["search"].results(Query(kind="manga", word=word, mode="all", type="manga"))
    result = await run_crawl("search", {"word": word, "type": "manga", "details": "1"}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    pages = dict(table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id"))
    assert pages == {w: world.work(w).page_count for w in expected}


@coroutine_test
async def test_search_r18_needs_the_cookie_and_gets_r18_works(replica, world, models, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    word = _common_tag(world)
    refused = await run_crawl("search", {"word": word, "mode": "r18"}, replica=replica, db_url=db_url,
                              tmp_path=tmp_path, credentials=False)
    assert refused.stats["finish_reason"] == "missing_credentials"
    assert "The search spider needs a pixiv phpsessid: set PIXIV_PHPSESSID" in refused.output
    result = await run_crawl("search", {"word": word, "mode": "r18"}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    expected = models["search"].results(Query(kind="artworks", word=word, mode="r18"))
    assert expected and [r[0] for r in table_rows(db_url, "select work_id from search_hits order by page, position")] \
        == list(expected)
    assert all(world.work_detail(w).x_restrict for w in expected)



# -- ranking -----------------------------------------------------------------------------------------

@coroutine_test
async def test_ranking_range_of_days(replica, world, models, db_url, tmp_path):
    rankings = models["rankings"]
    days = [rankings.latest - timedelta(days=n) for n in (2, 1, 0)]
    args = {"mode": "weekly", "content": "manga", "date_from": days[0].strftime("%Y%m%d"),
            "date_to": days[-1].isoformat()}
    for _attempt in range(2):  # a re-crawl of the same days replaces nothing wrongly and duplicates nothing
        result = await run_crawl("ranking", args, replica=replica, db_url=db_url, tmp_path=tmp_path)
        assert result.stats["finish_reason"] == "finished", result.output
        for d in days:
            expected = rankings.ranked(d, "weekly", "manga")
            rows = table_rows(db_url, "select rank, work_id, previous_rank from rankings where date = :d "
                                      "and source = 'web' and mode = 'weekly' and content = 'manga' order by rank",
                              d=d)
            assert [r[:2] for r in rows] == [(i + 1, w) for i, w in enumerate(expected)]
            assert [r[2] for r in rows] == [rankings.rank_of(d - timedelta(days=1), "weekly", "manga", w)
                                            for w in expected]
        total = sum(len(rankings.ranked(d, "weekly", "manga")) for d in days)
        assert table_rows(db_url, "select count(*) from rankings") == [(total,)]
    assert all(world.work(r[0]).type == "manga" for r in table_rows(db_url, "select id from illusts"))


@coroutine_test
async def test_ranking_latest_day_and_r18(replica, world, models, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("ranking", {"mode": "daily_r18"}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    latest = models["rankings"].latest
    expected = models["rankings"].ranked(latest, "daily_r18", "all")
    rows = table_rows(db_url, "select work_id from rankings order by rank")
    assert [r[0] for r in rows] == list(expected) and all(world.work_detail(w).x_restrict == 1 for w in expected)
    assert table_rows(db_url, "select distinct date from rankings")[0][0] in (latest, latest.isoformat())


@pytest.mark.parametrize(("work", "mode", "path"), [("illust", "day_manga", "/v1/illust/ranking"),
                                                    ("novel", "week", "/v1/novel/ranking")])
@coroutine_test
async def test_app_api_rankings(replica, world, models, tmp_path, work, mode, path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    d = models["rankings"].latest - timedelta(days=3)
    result = await run_crawl("ranking", {"api": "app", "work": work, "mode": mode, "date": d.isoformat()},
                             replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    if work == "illust":
        expected = models["rankings"].ranked(d, "daily", "manga")
    else:
        expected = models["rankings"].novels_ranked(d, mode)
    rows = table_rows(db_url, "select rank, work_id, work_type, source from rankings order by rank")
    assert rows == [(i + 1, w, work, "app") for i, w in enumerate(expected)]
    table = "illusts" if work == "illust" else "novels"
    assert {r[0] for r in table_rows(db_url, f"select id from {table}")} == set(expected)



# -- commission --------------------------------------------------------------------------------------

@coroutine_test
async def test_commission_every_listing(replica, world, models, db_url, tmp_path):
    c: Commissions = models["commissions"]
    replica.clear()
    result = await run_crawl("commission", {}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    expected = {r.id for t in ("illust", "manga", "ugoira") for r in c.listing("complete", t, "all")}
    expected |= {r.id for r in c.listing("inProgress", "all", "all")}
    expected |= {r.id for t in ("illust", "manga", "novel") for r in c.listing("complete", t, "all")[:24]}
    rows = table_rows(db_url, "select id, status, creator_user_id, fan_user_id, price, post_work_id, currency "
                              "from commission_requests")
    assert {r[0] for r in rows} == expected
    for rid, status, creator, fan, price, post, currency in rows:
        req = c.by_id[rid]
        assert (status, creator, fan, price, post, currency) == \
            (req.status, req.creator_id, req.fan_id, req.price, req.post_work_id, "JPY")
    for t in ("illust", "manga", "ugoira"):
        creators = table_rows(db_url, "select user_id from commission_creators where work_type = :t", t=t)
        assert {r[0] for r in creators} == set(c.creators_for(t, "all"))
    # the works that fulfilled requests are stored too
    posted = {r[0] for r in table_rows(db_url, "select post_work_id from commission_requests "
                                               "where post_work_id is not null and work_type != 'novel'")}
    assert posted <= {r[0] for r in table_rows(db_url, "select id from illusts")}
    # every listing was paged to its end
    for section, types in (("complete", ("illust", "manga", "ugoira")), ("in_progress", ("all", "illust", "manga",
                                                                                          "ugoira"))):
        for t in types:
            n = len(c.listing("complete" if section == "complete" else "inProgress", t, "all"))
            pages = sorted(int(q["p"]) for q in _log_queries(replica, f"/ajax/commission/page/request/{section}/{t}"))
            assert pages == list(range(1, max(1, -(-n // 24)) + 1))


@coroutine_test
async def test_commission_section_type_and_mode(replica, world, models, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    c: Commissions = models["commissions"]
    result = await run_crawl("commission", {"section": "in_progress", "type": "manga,ugoira", "mode": "safe"},
                             replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    expected = {r.id for t in ("manga", "ugoira") for r in c.listing("inProgress", t, "safe")}
    assert {r[0] for r in table_rows(db_url, "select id from commission_requests")} == expected
    assert table_rows(db_url, "select count(*) from commission_requests where adult") == [(0,)]
