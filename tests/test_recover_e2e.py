"""Works the App API hides from an account (``limit_sanity_level`` placeholders) and the web shows it: with
``PIXIV_PHPSESSID`` they are fetched whole from the web Ajax API, without it they are stored as hidden with
one hint per crawl. One test per spider family that reads the App API (series, search ``details=1``,
ranking ``api=app``); commission and ``ranking api=web`` read the web only.

Each test lowers account 0's App API sanity limit on a replica of its own, crawls once without the cookie
and once with it into the same database (the hidden rows then become whole), and checks rows, stats, the
log and the replica's request log. Expectations come from the replica's World.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.app_objects import novel_sanity_level
from pixivcrawl.replica.rankings import Rankings
from pixivcrawl.replica.search import Query, Search
from pixivcrawl.spiders.recover import HINT

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test

ACCOUNT = replica_account(0)
#: the App API shows account 0 only works of sanity level 2 in these tests: levels 4 and 6 are hidden there
LIMIT = 2
#: no PHPSESSID: only the refresh token
APP_ONLY = {"credentials": False, "env": {"PIXIV_REFRESH_TOKEN": ACCOUNT.refresh_token}}


def _lower_limit(replica) -> None:
    assert replica.control("account", {"account": ACCOUNT.index, "app_sanity_limit": LIMIT})["ok"] is True


def _hint(n: int) -> str:
    return HINT % n


def _ajax(replica, kind: str = "illust") -> list[dict]:
    return [r for r in replica.requests() if r["host"] == "www.pixiv.net" and r["path"].startswith(f"/ajax/{kind}/")]


def _ajax_ids(log: list[dict], suffix: str = "") -> list[int]:
    """Work ids of the Ajax work-page requests ending in ``suffix`` ("" for the work itself)."""
    out = []
    for r in log:
        parts = r["path"].split("/")  # "", "ajax", kind, id[, pages|ugoira_meta]
        if (f"/{parts[4]}" if len(parts) > 4 else "") == suffix:
            out.append(int(parts[3]))
    return sorted(out)


def _carried_the_cookie(log: list[dict]) -> bool:
    return bool(log) and all(r["auth"] == "cookie" and r["account"] == ACCOUNT.user_id and r["status"] == 200
                             for r in log)


def _truthy(value) -> bool:
    return value in (True, 1)


def _frames(value) -> list[int]:
    frames = value if isinstance(value, list) else json.loads(value)
    return [f["delay"] for f in frames]


def _hidden_illusts(world, ids) -> list[int]:
    """The works the App API shows account 0 as placeholders: above its sanity limit, or hidden from every
    account (World.restricted)."""
    return sorted(w for w in ids if world.work_detail(w).sanity_level > LIMIT or world.restricted(w))


# -- illust_series ----------------------------------------------------------------------------------

def _series_with_hidden(world):
    """The smallest illust series with a hidden ugoira and a hidden illust or manga."""
    for series in sorted(world.illust_series.values(), key=lambda s: len(s.member_ids)):
        hidden = _hidden_illusts(world, series.member_ids)
        types = {world.work(w).type for w in hidden}
        if "ugoira" in types and types - {"ugoira"}:
            return series, hidden
    raise AssertionError("the test world has no series with hidden ugoira and illusts")


@coroutine_test
async def test_illust_series_recovers_hidden_works_with_the_cookie(fresh_replica, world, db_url, tmp_path):
    series, hidden = _series_with_hidden(world)
    _lower_limit(fresh_replica)

    without = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                              tmp_path=tmp_path, **APP_ONLY)
    assert without.stats["finish_reason"] == "finished", without.output
    assert without.stats["pixiv/works/hidden_unrecovered"] == len(hidden)
    assert "pixiv/works/recovered" not in without.stats
    assert without.output.count(_hint(len(hidden))) == 1
    assert without.output.index(_hint(len(hidden))) < without.output.index("Crawl summary: ")  # the summary is last
    assert _ajax(fresh_replica) == []
    rows = table_rows(db_url, "select id, visible, title from illusts order by id")
    assert [r[0] for r in rows] == sorted(series.member_ids)
    assert [r[0] for r in rows if not _truthy(r[1])] == hidden and all(r[2] == "" for r in rows if r[0] in hidden)

    fresh_replica.clear()
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/works/recovered"] == len(hidden)
    assert "pixiv/works/hidden" not in result.stats  # the App API hid them, but none is stored hidden
    assert "pixiv/works/hidden_unrecovered" not in result.stats and "stored as hidden" not in result.output
    # every hidden work, and only those, was fetched from the web with the account's cookie
    log = _ajax(fresh_replica)
    assert _carried_the_cookie(log)
    ugoira = [w for w in hidden if world.work(w).type == "ugoira"]
    assert _ajax_ids(log) == hidden and _ajax_ids(log, "/pages") == hidden
    assert _ajax_ids(log, "/ugoira_meta") == ugoira
    assert not [r for r in fresh_replica.requests() if r["path"] == "/v1/ugoira/metadata"
                and int(parse_qs(r["query"])["illust_id"][0]) in hidden]
    # and is stored whole: visible, titled, every page, tags, frames
    rows = {r[0]: r[1:] for r in table_rows(db_url, "select id, visible, title, page_count, sanity_level "
                                                    "from illusts")}
    for wid in hidden:
        d = world.work_detail(wid)
        assert _truthy(rows[wid][0]) and rows[wid][1:] == (d.title, world.work(wid).page_count, d.sanity_level)
    pages = dict(table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id"))
    assert {w: pages.get(w) for w in hidden} == {w: world.work(w).page_count for w in hidden}
    for wid in hidden:
        tags = table_rows(db_url, f"select tag from illust_tags where illust_id = {wid} order by position")
        assert [t[0] for t in tags] == [t.name for t in world.work_detail(wid).tags]
    for wid in ugoira:
        frames = table_rows(db_url, f"select ugoira_frames from illusts where id = {wid}")[0][0]
        assert _frames(frames) == list(world.work_detail(wid).frames)


@coroutine_test
async def test_recovered_work_files_are_downloaded(fresh_replica, world, tmp_path):
    wid = next(w.id for w in world.works if w.series_id is None and w.type == "illust" and w.page_count == 1
               and world.work_detail(w.id).sanity_level > LIMIT and not world.restricted(w.id))
    _lower_limit(fresh_replica)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"illust_id": wid}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, images=True)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/works/recovered"] == 1 and result.stats["pixiv/media/downloaded"] == 1
    (kind, status, path, url), = table_rows(db_url, "select kind, status, path, url from media")
    assert (kind, status) == ("page", "downloaded") and "/img-original/" in url
    parts = urlsplit(url)
    code, _, original = fresh_replica.call(parts.path, host=parts.hostname, headers={"Referer": "https://www.pixiv.net/"})
    assert code == 200 and (tmp_path / "files" / path).read_bytes() == original


@coroutine_test
async def test_a_web_failure_keeps_the_hidden_record(fresh_replica, world, tmp_path):
    series, hidden = _series_with_hidden(world)
    _lower_limit(fresh_replica)
    fresh_replica.control("config", {"fault_5xx": 1.0, "fault_hosts": ["www.pixiv.net"]})
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"RETRY_TIMES": "0"})
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/works/recovery_failed"] == len(hidden)
    assert "pixiv/works/recovered" not in result.stats
    rows = table_rows(db_url, "select id, visible from illusts order by id")
    assert [r[0] for r in rows] == sorted(series.member_ids)  # nothing lost
    assert [r[0] for r in rows if not _truthy(r[1])] == hidden
    assert "Request failed for good: https://www.pixiv.net/ajax/illust/" in result.output


# -- novel_series -----------------------------------------------------------------------------------

@coroutine_test
async def test_novel_series_recovers_hidden_novels_with_their_text(fresh_replica, world, tmp_path):
    series = min((s for s in world.novel_series.values()
                  if any(novel_sanity_level(world, n) > LIMIT for n in s.member_ids)),
                 key=lambda s: len(s.member_ids))
    hidden = sorted(n for n in series.member_ids if novel_sanity_level(world, n) > LIMIT)
    _lower_limit(fresh_replica)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"

    without = await run_crawl("novel_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                              tmp_path=tmp_path, **APP_ONLY)
    assert without.stats["finish_reason"] == "finished", without.output
    assert without.stats["pixiv/works/hidden_unrecovered"] == len(hidden)
    assert without.output.count(_hint(len(hidden))) == 1
    assert _ajax(fresh_replica, "novel") == []
    rows = table_rows(db_url, "select id, visible, text from novels order by id")
    assert [r[0] for r in rows] == sorted(series.member_ids)
    assert [r[0] for r in rows if not _truthy(r[1])] == hidden and all(r[2] is None for r in rows if r[0] in hidden)

    fresh_replica.clear()
    result = await run_crawl("novel_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/works/recovered"] == len(hidden)
    log = _ajax(fresh_replica, "novel")
    assert _carried_the_cookie(log) and _ajax_ids(log) == hidden
    webviews = [int(parse_qs(r["query"])["id"][0]) for r in fresh_replica.requests()
                if r["path"] == "/webview/v2/novel"]
    assert sorted(webviews) == sorted(set(series.member_ids) - set(hidden))  # the hidden texts came from the web
    rows = {r[0]: r[1:] for r in table_rows(db_url, "select id, visible, title, text, series_id, series_order "
                                                    "from novels")}
    for nid in hidden:
        d = world.novel_detail(nid)
        assert _truthy(rows[nid][0])
        assert rows[nid][1:] == (d.title, d.text, series.id, series.member_ids.index(nid) + 1)


# -- search details=1 -------------------------------------------------------------------------------

@coroutine_test
async def test_search_details_recovers_hidden_hits(fresh_replica, world, tmp_path):
    word = world.work_tags(world.works[0].id)[0].name
    # mode=safe: without a session pixiv searches safe works only, so both crawls see the same page
    first_page = Search(world).results(Query(kind="illustrations", word=word, s_mode="s_tag", mode="safe",
                                             type="illust_and_ugoira"))[:59]
    hidden = _hidden_illusts(world, first_page)
    assert hidden, "the first result page holds works the App API hides"
    _lower_limit(fresh_replica)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    args = {"word": word, "type": "illustrations", "s_mode": "s_tag", "mode": "safe", "details": "1",
            "max_pages": "1"}

    without = await run_crawl("search", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path, **APP_ONLY)
    assert without.stats["finish_reason"] == "finished", without.output
    assert {r[0] for r in table_rows(db_url, "select work_id from search_hits")} == set(first_page)
    assert without.stats["pixiv/works/hidden_unrecovered"] == len(hidden)
    assert without.output.count(_hint(len(hidden))) == 1
    assert [r[0] for r in table_rows(db_url, "select id from illusts where visible = :f order by id",
                                     f=False)] == hidden

    fresh_replica.clear()
    result = await run_crawl("search", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/works/recovered"] == len(hidden)
    log = _ajax(fresh_replica)
    assert _carried_the_cookie(log) and _ajax_ids(log) == hidden
    assert table_rows(db_url, "select count(*) from illusts where visible = :f", f=False) == [(0,)]
    pages = dict(table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id"))
    assert {w: pages.get(w) for w in hidden} == {w: world.work(w).page_count for w in hidden}


# -- ranking api=app --------------------------------------------------------------------------------

@pytest.mark.parametrize(("work", "mode"), [("illust", "day"), ("novel", "week")])
@coroutine_test
async def test_app_ranking_recovers_hidden_works(fresh_replica, world, tmp_path, work, mode):
    rankings = Rankings(world)
    day = rankings.latest - timedelta(days=1)
    if work == "illust":
        ranked = list(rankings.ranked(day, "daily", "all"))[:30]
        hidden = _hidden_illusts(world, ranked)
    else:
        ranked = list(rankings.novels_ranked(day, mode))[:30]
        hidden = sorted(n for n in ranked if novel_sanity_level(world, n) > LIMIT)
    assert hidden, "the first ranking page holds works the App API hides"
    _lower_limit(fresh_replica)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    args = {"api": "app", "work": work, "mode": mode, "date": day.isoformat(), "max_pages": "1"}
    table = "illusts" if work == "illust" else "novels"

    without = await run_crawl("ranking", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path, **APP_ONLY)
    assert without.stats["finish_reason"] == "finished", without.output
    assert without.stats["pixiv/works/hidden_unrecovered"] == len(hidden)
    assert without.output.count(_hint(len(hidden))) == 1
    assert [r[0] for r in table_rows(db_url, f"select id from {table} where visible = :f order by id",
                                     f=False)] == hidden

    fresh_replica.clear()
    result = await run_crawl("ranking", args, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/works/recovered"] == len(hidden)
    log = _ajax(fresh_replica, work)
    assert _carried_the_cookie(log) and _ajax_ids(log) == hidden
    assert [r[0] for r in table_rows(db_url, "select work_id from rankings order by rank")] == ranked
    assert table_rows(db_url, f"select count(*) from {table} where visible = :f", f=False) == [(0,)]
    titles = dict(table_rows(db_url, f"select id, title from {table}"))
    detail = world.work_detail if work == "illust" else world.novel_detail
    assert {w: titles[w] for w in hidden} == {w: detail(w).title for w in hidden}


def _series_pages_walked(replica, series) -> list[int]:
    """The members (newest first, as the App API pages them) of the series pages the crawl requested."""
    members = series.member_ids[::-1]
    walked = []
    for r in replica.requests():
        if r["host"] == "app-api.pixiv.net" and r["path"] == "/v1/illust/series" and r["status"] == 200:
            offset = int(parse_qs(r["query"]).get("offset", ["0"])[0])
            walked += members[offset:offset + 30]
    return walked


@coroutine_test
async def test_incremental_runs_recover_what_was_stored_hidden_and_then_leave_it(fresh_replica, world, tmp_path):
    """A work stored as pixiv's stand-in by a crawl without the cookie is not "known" to an incremental crawl that
    has the cookie: it is recovered, and it does not count towards the known works that stop the listing. A full
    run reaches the rest. Once recovered, an incremental crawl fetches it from the web no more."""
    series = min((s for s in world.illust_series.values() if len(s.member_ids) > 30
                  and _hidden_illusts(world, s.member_ids[::-1][30:])), key=lambda s: len(s.member_ids))
    hidden = _hidden_illusts(world, series.member_ids)
    _lower_limit(fresh_replica)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    incremental = {"series_id": series.id, "incremental": "1"}
    settings = {"PIXIV_INCREMENTAL_STOP": "1"}

    without = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                              tmp_path=tmp_path, **APP_ONLY)
    assert without.stats["pixiv/works/hidden_unrecovered"] == len(hidden)
    assert f"{len(hidden)} work(s) hidden by the App API" in without.output

    fresh_replica.clear()
    first = await run_crawl("illust_series", incremental, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                            settings=settings)
    assert first.stats["finish_reason"] == "finished", first.output
    walked = _series_pages_walked(fresh_replica, series)
    stand_ins = _hidden_illusts(world, walked)
    assert stand_ins and _ajax_ids(_ajax(fresh_replica)) == stand_ins
    assert first.stats["pixiv/works/recovered"] == len(stand_ins)
    assert first.stats["pixiv/incremental/known"] == len(walked) - len(stand_ins)  # stand-ins are not "known"

    fresh_replica.clear()
    full = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                           tmp_path=tmp_path)
    assert full.stats["pixiv/works/recovered"] == len(hidden)  # a full run fetches every placeholder again
    assert table_rows(db_url, "select id from illusts where not visible or restriction is not null") == []

    fresh_replica.clear()
    again = await run_crawl("illust_series", incremental, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                            settings=settings)
    assert again.stats["finish_reason"] == "finished", again.output
    assert _ajax(fresh_replica) == [] and "pixiv/works/recovered" not in again.stats
    assert again.stats["pixiv/incremental/known_recovered"] == len(_hidden_illusts(world, _series_pages_walked(
        fresh_replica, series)))
    assert table_rows(db_url, "select id from illusts where not visible or restriction is not null") == []


@coroutine_test
async def test_a_series_started_from_a_hidden_work_recovers_each_work_once(fresh_replica, world, tmp_path):
    """``illust_id=`` of a hidden member: the start work and then its series listing (which holds it again)
    cost one web recovery per work, not two."""
    series, hidden = _series_with_hidden(world)
    _lower_limit(fresh_replica)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"illust_id": hidden[0]}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/works/recovered"] == len(hidden)
    assert _ajax_ids(_ajax(fresh_replica)) == hidden
    ugoira = [w for w in hidden if world.work(w).type == "ugoira"]
    assert _ajax_ids(_ajax(fresh_replica), "/ugoira_meta") == ugoira
    metadata = [r for r in fresh_replica.requests() if r["path"] == "/v1/ugoira/metadata"]
    shown_ugoira = [w for w in series.member_ids if world.work(w).type == "ugoira" and w not in hidden]
    assert sorted(int(parse_qs(r["query"])["illust_id"][0]) for r in metadata) == sorted(shown_ugoira)
