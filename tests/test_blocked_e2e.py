"""Answers that are not what the endpoint returns — Cloudflare's "Just a moment..." page, whatever its status — on
every host (App API, web, the token endpoint, the CDN) and for every spider family: retried like a 5xx, given up
after the last retry in one log line (``pixiv/errors/blocked``); the token refresh retried while the requests that
need it wait. Blocks come from the replica's ``POST /_replica/block`` rules, so each test knows exactly which
answer is blocked.

Expected results come from the replica's own world and models, never typed in."""

from __future__ import annotations

import urllib.parse
from datetime import timedelta
from pathlib import Path

import pytest

from pixivcrawl.demo import running_replica
from pixivcrawl.protocol import APP_API_HOST, IMAGE_HOST, OAUTH_HOST, WEB_HOST
from pixivcrawl.replica.commissions import Commissions
from pixivcrawl.replica.rankings import Rankings
from pixivcrawl.replica.search import Query, Search

from .conftest import SEED, WORKS, ReplicaClient, run_crawl, table_rows
from .decorators import coroutine_test

FAST = {"PIXIV_RETRY_BACKOFF": "0.05"}
BLOCKED_LINE = "pixiv or Cloudflare blocked "


@pytest.fixture(scope="module")
def module_replica(image_cache):
    """One replica for this module's tests: each leaves no rule or log behind (see ``blocking``)."""
    with running_replica(WORKS, SEED, ["--image-cache", str(image_cache)]) as origin:
        yield ReplicaClient(origin)


@pytest.fixture
def blocking(module_replica):
    """The module's replica with no block rule and an empty request log."""
    module_replica.control("block", {"clear": True})
    module_replica.clear()
    yield module_replica
    module_replica.control("block", {"clear": True})


def block(replica: ReplicaClient, host: str, path: str | None = None, status: int = 403, times: int = 1,
          **query) -> None:
    rule = {"host": host, "path": path, "status": status, "times": times, "query": query}
    assert replica.control("block", rule)["blocks"], rule


def answers(replica: ReplicaClient, path: str, **query) -> list[tuple[int, str | None]]:
    """(status, fault) of every request the replica saw for ``path`` with these query values, in order."""
    wanted = {k: str(v) for k, v in query.items()}
    return [(r["status"], r["fault"]) for r in replica.requests()
            if r["path"] == path and wanted.items() <= dict(urllib.parse.parse_qsl(r["query"])).items()]


def quiet(result) -> None:
    """Nothing was given up: no blocked line, no "not JSON" from a spider, no failed request."""
    assert result.stats["finish_reason"] == "finished", result.output
    assert BLOCKED_LINE not in result.output and "not JSON" not in result.output, result.output
    assert "pixiv/errors/blocked" not in result.stats and "pixiv/errors/request_failed" not in result.stats


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'x.db'}"


# -- series --------------------------------------------------------------------------------------------

@coroutine_test
async def test_case_08_a_cloudflare_403_on_a_series_page_is_retried(blocking, world, db_url, tmp_path):
    """Bug case 08 on the replica: page 2 of an illust series answers once with Cloudflare's HTML 403."""
    series = list(world.illust_series.values())[1]
    assert len(series.member_ids) > 30  # two pages
    block(blocking, APP_API_HOST, "/v1/illust/series", illust_series_id=series.id, offset=30)
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings=FAST)
    quiet(result)
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(series.member_ids)
    assert answers(blocking, "/v1/illust/series", offset=30) == [(403, "blocked"), (200, None)]
    assert result.stats["retry/reason_count/pixiv_bad_body"] == 1


@coroutine_test
async def test_novel_series_page_and_webview_blocked_once(blocking, world, tmp_path):
    """A series page with Cloudflare's 403, and one novel's webview with the page served as 200 (HTML where HTML is
    expected, but not the webview): both retried, every novel stored with its text."""
    series = next(iter(world.novel_series.values()))
    assert len(series.member_ids) > 30
    block(blocking, APP_API_HOST, "/v2/novel/series", series_id=series.id, last_order=30)
    block(blocking, APP_API_HOST, "/webview/v2/novel", status=200, id=series.member_ids[3])
    db_url = sqlite(tmp_path)
    result = await run_crawl("novel_series", {"series_id": series.id}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings=FAST)
    quiet(result)
    rows = table_rows(db_url, "select id from novels where text is not null")
    assert sorted(r[0] for r in rows) == sorted(series.member_ids)
    assert answers(blocking, "/webview/v2/novel", id=series.member_ids[3]) == [(200, "blocked"), (200, None)]
    assert answers(blocking, "/v2/novel/series", last_order=30) == [(403, "blocked"), (200, None)]


@coroutine_test
async def test_a_page_blocked_for_good_is_one_line_and_one_stat(blocking, world, tmp_path):
    """Page 2 stays blocked through every try: one log line with the status and the page's title, counted in
    ``pixiv/errors/blocked``; the spider logs nothing more about it, the crawl goes on and ends ``finished`` with
    the other page's works stored."""
    series = list(world.illust_series.values())[1]
    block(blocking, APP_API_HOST, "/v1/illust/series", times=10, illust_series_id=series.id, offset=30)
    db_url = sqlite(tmp_path)
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings={**FAST, "RETRY_TIMES": "2"})
    assert result.stats["finish_reason"] == "finished", result.output
    url = (f"https://app-api.pixiv.net/v1/illust/series?illust_series_id={series.id}&filter=for_ios&offset=30")
    lines = [line for line in result.output.splitlines() if BLOCKED_LINE in line]
    assert len(lines) == 1 and lines[0].endswith(f"{BLOCKED_LINE}{url}: HTTP 403 «Just a moment...» after 3 tries")
    assert result.stats["pixiv/errors/blocked"] == 1 and result.stats["pixiv/errors/request_failed"] == 1
    assert "not JSON" not in result.output and "Request failed for good" not in result.output
    assert "Gave up retrying" not in result.output
    assert answers(blocking, "/v1/illust/series", offset=30) == [(403, "blocked")] * 3
    newest_first = series.member_ids[::-1]
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(newest_first[:30])


# -- search, ranking, commission -----------------------------------------------------------------------

@coroutine_test
async def test_search_ajax_page_blocked_once(blocking, world, tmp_path):
    word = "漫画"
    expected = Search(world).results(Query(kind="artworks", word=word, s_mode="s_tag", mode="all"))[:3 * 60]
    block(blocking, WEB_HOST, status=503, p=2)
    db_url = sqlite(tmp_path)
    result = await run_crawl("search", {"word": word, "s_mode": "s_tag", "max_pages": "3"}, replica=blocking,
                             db_url=db_url, tmp_path=tmp_path, settings=FAST)
    quiet(result)
    assert [r[0] for r in table_rows(db_url, "select work_id from search_hits order by page, position")] == \
        list(expected)
    assert answers(blocking, f"/ajax/search/artworks/{word}", p=2) == [(503, "blocked"), (200, None)]


@pytest.mark.parametrize("status", [200, 403])
@coroutine_test
async def test_web_ranking_page_blocked_once(blocking, world, tmp_path, status):
    rankings = Rankings(world)
    block(blocking, WEB_HOST, "/ranking.php", status=status, p=2)
    db_url = sqlite(tmp_path)
    result = await run_crawl("ranking", {"mode": "daily", "max_pages": "2"}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings=FAST)
    quiet(result)
    expected = rankings.ranked(rankings.latest, "daily", "all")[:100]
    assert [r[0] for r in table_rows(db_url, "select work_id from rankings order by rank")] == list(expected)
    assert answers(blocking, "/ranking.php", p=2) == [(status, "blocked"), (200, None)]


@coroutine_test
async def test_app_ranking_page_blocked_once(blocking, world, tmp_path):
    rankings = Rankings(world)
    day = rankings.latest - timedelta(days=3)
    block(blocking, APP_API_HOST, "/v1/illust/ranking", offset=30)
    db_url = sqlite(tmp_path)
    result = await run_crawl("ranking", {"api": "app", "mode": "day_manga", "date": day.isoformat(), "max_pages": "2"},
                             replica=blocking, db_url=db_url, tmp_path=tmp_path, settings=FAST)
    quiet(result)
    expected = rankings.ranked(day, "daily", "manga")[:60]
    assert [r[0] for r in table_rows(db_url, "select work_id from rankings order by rank")] == list(expected)
    assert answers(blocking, "/v1/illust/ranking", offset=30) == [(403, "blocked"), (200, None)]


@coroutine_test
async def test_commission_listing_page_blocked_once(blocking, world, tmp_path):
    listing = Commissions(world).listing("complete", "illust", "all")
    assert len(listing) > 24  # two pages
    path = "/ajax/commission/page/request/complete/illust"
    block(blocking, WEB_HOST, path, p=2)
    db_url = sqlite(tmp_path)
    result = await run_crawl("commission", {"section": "complete", "type": "illust"}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings=FAST)
    quiet(result)
    assert {r[0] for r in table_rows(db_url, "select id from commission_requests")} == {r.id for r in listing}
    assert answers(blocking, path, p=2) == [(403, "blocked"), (200, None)]


# -- the token endpoint --------------------------------------------------------------------------------

@coroutine_test
async def test_token_endpoint_blocked_at_start_keeps_the_start_request(blocking, world, tmp_path):
    """Issue 12's held-back variant: the first two refreshes get Cloudflare's page; the start request waits for the
    third, and every work is stored."""
    series = list(world.illust_series.values())[3]
    block(blocking, OAUTH_HOST, "/auth/token", times=2)
    db_url = sqlite(tmp_path)
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings=FAST)
    quiet(result)
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(series.member_ids)
    assert answers(blocking, "/auth/token") == [(403, "blocked"), (403, "blocked"), (200, None)]
    assert answers(blocking, "/v1/illust/series") == [(200, None)]  # sent once, with the token
    assert result.stats["pixiv/auth/token_retries"] == 2 and result.stats["pixiv/auth/token_refreshes"] == 1


@coroutine_test
async def test_token_endpoint_blocked_for_good_stops_the_crawl(blocking, world, tmp_path):
    series = list(world.illust_series.values())[3]
    block(blocking, OAUTH_HOST, "/auth/token", times=10)
    db_url = sqlite(tmp_path)
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings={**FAST, "RETRY_TIMES": "2"})
    assert result.stats["finish_reason"] == "blocked", result.output
    sentence = ("Could not get an access token from pixiv's token endpoint: HTTP 403 «Just a moment...» after 3 tries; "
                "stopping the crawl.")
    errors = [line for line in result.output.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and errors[0].endswith(sentence), result.output
    assert result.stats["pixiv/errors/blocked"] == 1
    assert answers(blocking, "/auth/token") == [(403, "blocked")] * 3
    assert [r for r in blocking.requests() if r["host"] == APP_API_HOST] == []
    assert table_rows(db_url, "select count(*) from illusts") == [(0,)]


@coroutine_test
async def test_token_endpoint_resets_for_good_stop_the_crawl_as_unavailable(fresh_replica, world, tmp_path):
    """Faults reach the token endpoint when its host is in ``fault_hosts``: every refresh is reset."""
    fresh_replica.control("config", {"fault_reset": 1.0, "fault_hosts": [OAUTH_HOST]})
    series = list(world.illust_series.values())[3]
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=fresh_replica,
                             db_url=sqlite(tmp_path), tmp_path=tmp_path, settings={**FAST, "RETRY_TIMES": "1"})
    assert result.stats["finish_reason"] == "auth_unavailable", result.output
    assert "Could not reach pixiv: its token endpoint did not answer 2 tries (" in result.output
    assert "pixiv/errors/blocked" not in result.stats
    assert [r["fault"] for r in fresh_replica.requests() if r["host"] == OAUTH_HOST] == ["reset", "reset"]


# -- the CDN and rate limits ---------------------------------------------------------------------------

@coroutine_test
async def test_an_image_blocked_once_is_downloaded(blocking, world, tmp_path):
    series = list(world.illust_series.values())[3]
    block(blocking, IMAGE_HOST, status=403)
    db_url = sqlite(tmp_path)
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings=FAST, images=True)
    quiet(result)
    files = sum(world.work(w).page_count for w in series.member_ids)  # no ugoira in this series
    rows = table_rows(db_url, "select status, path from media")
    assert len(rows) == files and {r[0] for r in rows} == {"downloaded"}
    assert all((tmp_path / "files" / r[1]).stat().st_size > 0 for r in rows)
    cdn = [r for r in blocking.requests() if r["host"] == IMAGE_HOST]
    (blocked,) = [r for r in cdn if r["fault"] == "blocked"]
    assert [r["status"] for r in cdn if r["path"] == blocked["path"]] == [403, 200]


@coroutine_test
async def test_an_image_blocked_for_good_is_one_line_and_a_failed_file(blocking, world, tmp_path):
    series = list(world.illust_series.values())[3]
    work = series.member_ids[0]
    path = f"/img-original/img/{world.work_stamp(work)}/{work}_p1.{world.work_detail(work).ext}"
    block(blocking, IMAGE_HOST, path, times=10)
    db_url = sqlite(tmp_path)
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path, settings={**FAST, "RETRY_TIMES": "2"}, images=True)
    assert result.stats["finish_reason"] == "finished", result.output
    sentence = f"{BLOCKED_LINE}https://i.pximg.net{path}: HTTP 403 «Just a moment...» after 3 tries"
    lines = [line for line in result.output.splitlines() if " ERROR: " in line or " WARNING: " in line]
    assert len(lines) == 1 and lines[0].endswith(sentence), result.output
    assert result.stats["pixiv/errors/blocked"] == 1 and result.stats["pixiv/media/failed"] == 1
    failed = table_rows(db_url, "select work_id, page, path, error from media where status = 'failed'")
    assert failed == [(work, 1, None, sentence)]
    files = sum(world.work(w).page_count for w in series.member_ids)
    assert table_rows(db_url, "select count(*) from media where status = 'downloaded'") == [(files - 1,)]
    assert not list((tmp_path / "files").rglob(f"{work}_p1.*"))


@coroutine_test
async def test_a_429_page_is_a_rate_limit_not_a_block(blocking, world, tmp_path):
    """Cloudflare's rate limiting (429 with an HTML page): the throttle pauses the budget and retries; it is counted
    once, as a rate limit, and not retried by the body check."""
    series = list(world.illust_series.values())[1]
    block(blocking, APP_API_HOST, "/v1/illust/series", status=429, illust_series_id=series.id, offset=30)
    db_url = sqlite(tmp_path)
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=blocking, db_url=db_url,
                             tmp_path=tmp_path,
                             # a short pause, and a rate learned over a short window (the crawl is not paced before)
                             settings={**FAST, "PIXIV_THROTTLE_BACKOFF_BASE": "0.2", "PIXIV_THROTTLE_WINDOW": "0.2"})
    quiet(result)
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(series.member_ids)
    assert result.stats["pixiv/ratelimit/hits"] == 1 and "retry/count" not in result.stats
    assert answers(blocking, "/v1/illust/series", offset=30) == [(429, "blocked"), (200, None)]


# -- the replica's knobs -------------------------------------------------------------------------------

def test_replica_block_rules_match_host_path_and_query(blocking, world):
    first, second = world.works[0].id, world.works[1].id
    block(blocking, APP_API_HOST, "/v1/illust/detail", status=503, times=2, illust_id=first)
    auth = {"Authorization": f"Bearer {blocking.token()}"}
    assert blocking.call(f"/v1/illust/detail?illust_id={second}", headers=auth)[0] == 200  # another query
    assert blocking.call(f"/v1/illust/detail?illust_id={first}", headers=auth, host=WEB_HOST)[0] != 503  # host
    for _ in range(2):
        status, headers, body = blocking.call(f"/v1/illust/detail?illust_id={first}&filter=for_ios", headers=auth)
        assert status == 503 and headers["Server"] == "cloudflare" and headers["Content-Type"].startswith("text/html")
        assert b"<title>Just a moment...</title>" in body and b"app-api.pixiv.net needs to review" in body
    assert blocking.call(f"/v1/illust/detail?illust_id={first}", headers=auth)[0] == 200  # times used up
    assert blocking.control("block", {"host": WEB_HOST})["blocks"][0]["status"] == 403  # defaults: 403, once
    assert blocking.control("block", {"clear": True}) == {"blocks": []}
    assert blocking.json("/_replica/block", data=b'{"stauts": 403}', method="POST")[0] == 400


def test_fault_html_status_and_the_oauth_host(fresh_replica):
    fresh_replica.control("config", {"fault_html": 1.0, "fault_html_status": 403, "fault_hosts": [OAUTH_HOST]})
    status, headers, body = fresh_replica.call("/auth/token", host=OAUTH_HOST, data=b"grant_type=refresh_token",
                                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"<title>Just a moment...</title>" in body and headers["cf-mitigated"] == "challenge"
    assert fresh_replica.requests()[-1]["fault"] == "html"
