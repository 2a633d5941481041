"""``scrapy crawl`` of the series spiders against the replica, into SQLite and PostgreSQL.

Expectations come from the same deterministic World the replica serves, never from hard-coded numbers.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from pixivcrawl.replica.accounts import replica_account

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test


def _series(world, kind: str, index: int):
    series = world.illust_series if kind == "illust" else world.novel_series
    return list(series.values())[index]


@coroutine_test
async def test_illust_series_by_id(replica, world, db_url, tmp_path):
    series = _series(world, "illust", 0)
    replica.clear()
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, images=True)
    assert result.returncode == 0, result.output
    assert result.stats["finish_reason"] == "finished"
    members = series.member_ids
    works = [world.work(m) for m in members]

    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(members)
    pages = table_rows(db_url, "select illust_id, count(*) from illust_pages group by illust_id")
    assert dict(pages) == {w.id: w.page_count for w in works}
    tag_links = table_rows(db_url, "select illust_id, tag from illust_tags order by illust_id, position")
    expected_links = [(w.id, t.name) for w in sorted(works, key=lambda w: w.id) for t in world.work_detail(w.id).tags]
    assert tag_links == expected_links
    assert table_rows(db_url, "select id, work_count, user_id from illust_series") == \
        [(series.id, len(members), series.user_id)]
    assert table_rows(db_url, "select id from users") == [(series.user_id,)]
    # the real pixiv URLs are stored, not the replica's
    originals = [r[0] for r in table_rows(db_url, "select original_url from illust_pages")]
    assert originals and all(u.startswith("https://i.pximg.net/img-original/img/") for u in originals)
    # raw JSON kept beside the columns
    raw = table_rows(db_url, f"select raw from illusts where id = {members[0]}")[0][0]
    assert '"meta_pages"' in raw if isinstance(raw, str) else "meta_pages" in raw

    # ugoira works got their frames from /v1/ugoira/metadata
    ugoiras = [w for w in works if w.type == "ugoira"]
    assert ugoiras, "the first series of the test world holds ugoira"
    for work in ugoiras:
        frames = table_rows(db_url, f"select ugoira_frames from illusts where id = {work.id}")[0][0]
        frames = frames if isinstance(frames, list) else __import__("json").loads(frames)
        assert [f["delay"] for f in frames] == list(world.work_detail(work.id).frames)

    # pagination ran to the end through next_url, every request went through the mirror
    log = [r for r in replica.requests() if r["path"] == "/v1/illust/series"]
    offsets = sorted(int(dict(p.split("=") for p in r["query"].split("&")).get("offset", 0)) for r in log)
    assert offsets == list(range(0, len(members), 30))
    assert {r["host"] for r in replica.requests()} == {"app-api.pixiv.net", "oauth.secure.pixiv.net", "i.pximg.net"}
    assert sum(1 for r in replica.requests() if r["path"] == "/auth/token") == 1


@coroutine_test
async def test_recrawl_updates_and_never_duplicates(replica, world, db_url, tmp_path):
    series = _series(world, "illust", 2)
    counts_sql = ("select (select count(*) from illusts), (select count(*) from illust_pages), "
                  "(select count(*) from illust_tags), (select count(*) from users), (select count(*) from tags)")
    first = await run_crawl("illust_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                            tmp_path=tmp_path)
    assert first.returncode == 0, first.output
    before = table_rows(db_url, counts_sql)
    stamp = table_rows(db_url, f"select first_seen_at, updated_at from illusts where id = {series.member_ids[0]}")
    second = await run_crawl("illust_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_DB_BATCH_SIZE": "7"})
    assert second.returncode == 0, second.output
    assert table_rows(db_url, counts_sql) == before
    assert before[0][0] == len(series.member_ids)
    again = table_rows(db_url, f"select first_seen_at, updated_at from illusts where id = {series.member_ids[0]}")
    assert again[0][0] == stamp[0][0] and again[0][1] > stamp[0][1]
    # a small batch size means several transactions, and every scraped item was written
    assert second.stats["pixiv/db/batches"] >= 2
    assert second.stats["pixiv/db/items"] == second.stats["item_scraped_count"]


@coroutine_test
async def test_illust_series_from_a_work_id(replica, world, db_url, tmp_path):
    series = _series(world, "illust", 1)
    result = await run_crawl("illust_series", {"illust_id": series.member_ids[-1]}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.returncode == 0, result.output
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(series.member_ids)


@coroutine_test
async def test_work_outside_any_series_is_stored_alone(replica, world, db_url, tmp_path):
    work = next(w for w in world.works if w.series_id is None and w.type != "ugoira")
    result = await run_crawl("illust_series", {"illust_id": work.id}, replica=replica, db_url=db_url, tmp_path=tmp_path)
    assert result.returncode == 0, result.output
    assert table_rows(db_url, "select id, page_count from illusts") == [(work.id, work.page_count)]
    assert result.stats["pixiv/series/not_in_series"] == 1
    assert "is not part of a series" in result.output


@coroutine_test
async def test_novel_series_with_text(replica, world, db_url, tmp_path):
    series = _series(world, "novel", 0)
    replica.clear()
    result = await run_crawl("novel_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.returncode == 0, result.output
    rows = table_rows(db_url, "select id, text, series_order, text_length from novels order by series_order")
    assert [r[0] for r in rows] == series.member_ids
    for nid, text, _order, length in rows:
        assert text == world.novel_detail(nid).text and length == len(text)
    assert [r[2] for r in rows] == list(range(1, len(series.member_ids) + 1))
    assert table_rows(db_url, "select id, content_count from novel_series") == [(series.id, len(series.member_ids))]
    texts = [r for r in replica.requests() if r["path"] == "/webview/v2/novel"]
    assert len(texts) == len(series.member_ids)
    orders = [r["query"] for r in replica.requests() if r["path"] == "/v2/novel/series"]
    assert any("last_order=30" in q for q in orders) == (len(series.member_ids) > 30)


@coroutine_test
async def test_novel_series_from_a_novel_id(replica, world, db_url, tmp_path):
    series = _series(world, "novel", 1)
    result = await run_crawl("novel_series", {"novel_id": series.member_ids[0]}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.returncode == 0, result.output
    assert sorted(r[0] for r in table_rows(db_url, "select id from novels")) == sorted(series.member_ids)



@coroutine_test
async def test_missing_credential_stops_at_start(replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"series_id": _series(world, "illust", 0).id}, replica=replica,
                             db_url=db_url, tmp_path=tmp_path, credentials=False)
    assert result.stats["finish_reason"] == "missing_credentials"
    assert ("The illust_series spider needs a pixiv refresh token: set PIXIV_REFRESH_TOKEN (environment or -s) "
            "or run `pixivcrawl login`.") in result.output
    assert result.stats.get("downloader/request_count", 0) == 0
    assert table_rows(db_url, "select count(*) from illusts") == [(0,)]


@coroutine_test
async def test_rejected_refresh_token_stops_the_crawl(replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"series_id": _series(world, "illust", 0).id}, replica=replica,
                             db_url=db_url, tmp_path=tmp_path, credentials=False,
                             env={"PIXIV_REFRESH_TOKEN": "revoked-token-value"})
    assert result.stats["finish_reason"] == "auth_failed"
    assert "pixiv rejected the refresh token (invalid_grant)" in result.output
    assert "revoked-token-value" not in result.output


@coroutine_test
async def test_credentials_file_must_be_private(replica, world, tmp_path):
    creds = tmp_path / "creds.json"
    creds.write_text(f'{{"refresh_token": "{replica_account(0).refresh_token}"}}')
    creds.chmod(0o644)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    args = {"series_id": _series(world, "illust", 3).id}
    result = await run_crawl("illust_series", args, replica=replica, db_url=db_url, tmp_path=tmp_path,
                             credentials=False, env={"PIXIV_CREDENTIALS_FILE": str(creds)})
    assert result.stats["finish_reason"] == "missing_credentials"
    assert f"run: chmod 600 {creds}" in result.output
    creds.chmod(0o600)
    result = await run_crawl("illust_series", args, replica=replica, db_url=db_url, tmp_path=tmp_path,
                             credentials=False, env={"PIXIV_CREDENTIALS_FILE": str(creds)})
    assert result.stats["finish_reason"] == "finished"
    assert table_rows(db_url, "select count(*) from illusts") == [(len(_series(world, "illust", 3).member_ids),)]


@pytest.mark.parametrize(("margin", "reactive", "concurrency"), [("1", False, 1), ("-100", True, 1), ("-100", True, 4)])
@coroutine_test
async def test_expiring_tokens_are_refreshed_and_no_request_is_lost(fresh_replica, world, tmp_path, margin, reactive,
                                                                    concurrency):
    """With a 2 s token lifetime the middleware refreshes before expiry (margin 1 s); with a clock that trusts
    tokens 100 s too long (margin -100) pixiv refuses them, and each refused request is refreshed and replayed.
    (Credentials are added when a request enters the downloader, so the margin must cover the time a request
    waits in its slot: one request at a time here.)"""
    fresh_replica.control("config", {"token_lifetime": 2})
    series = _series(world, "novel", 0)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("novel_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_AUTH_REFRESH_MARGIN": margin,
                                                          "PIXIV_THROTTLE_APP_RATE": "10",
                                                          "PIXIV_THROTTLE_WEB_RATE": "10",
                                                          "PIXIV_API_CONCURRENCY": str(concurrency),
                                                          "CONCURRENT_REQUESTS": str(concurrency),
                                                          "PIXIV_FILES_IMAGE_SIZE": "none"})
    assert result.stats["finish_reason"] == "finished", result.output
    rows = table_rows(db_url, "select id from novels where text is not null")
    assert sorted(r[0] for r in rows) == sorted(series.member_ids)
    log = fresh_replica.requests()
    refreshes = sum(1 for r in log if r["path"] == "/auth/token")
    assert refreshes >= 2 and result.stats["pixiv/auth/token_refreshes"] == refreshes
    refused = [r for r in log if r["host"] == "app-api.pixiv.net" and r["status"] == 400]
    assert len(refused) == result.stats.get("pixiv/auth/retried_requests", 0)
    assert (len(refused) > 0) == reactive
    assert result.stats.get("pixiv/auth/failed_requests", 0) == 0
    # the token endpoint is hit once per expiry, however many requests were waiting (no refresh storm)
    expiries = result.stats["elapsed_time_seconds"] / (2 - max(0.0, float(margin)))
    assert refreshes <= expiries + 2


@coroutine_test
async def test_a_token_that_lives_no_longer_than_the_margin_is_not_refreshed_per_request(fresh_replica, world,
                                                                                          tmp_path):
    """The replica's --token-lifetime 20 under the default PIXIV_AUTH_REFRESH_MARGIN (60 s): each token is used
    until a quarter of its life is left, not refreshed before every request."""
    fresh_replica.control("config", {"token_lifetime": 20})
    fresh_replica.clear()
    series = _series(world, "novel", 0)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("novel_series", {"series_id": series.id}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_THROTTLE_APP_RATE": "0",
                                                          "PIXIV_THROTTLE_WEB_RATE": "0",
                                                          "PIXIV_FILES_IMAGE_SIZE": "none"})
    assert result.stats["finish_reason"] == "finished", result.output
    log = fresh_replica.requests()
    api = [r for r in log if r["host"] == "app-api.pixiv.net"]
    refreshes = sum(1 for r in log if r["path"] == "/auth/token")
    assert len(api) >= 4 and all(r["status"] == 200 for r in api)
    assert result.stats["pixiv/auth/token_refreshes"] == refreshes
    assert refreshes <= 1 + result.stats["elapsed_time_seconds"] // 15, (refreshes, len(api))


@coroutine_test
async def test_credentials_never_leave_the_process(replica, world, db_url, tmp_path):
    series = _series(world, "novel", 2)
    account = replica_account(0)
    result = await run_crawl("novel_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0
    secrets = [account.refresh_token, account.phpsessid, "Bearer", "access_token"]
    stats_text = repr(result.stats)
    for secret in secrets:
        assert secret not in result.output and secret not in stats_text
    dump = repr(table_rows(db_url, "select * from novels")) + repr(table_rows(db_url, "select * from users")) + \
        repr(table_rows(db_url, "select * from novel_series"))
    for secret in secrets:
        assert secret not in dump


@coroutine_test
async def test_long_series_pages_are_requested_at_once(replica, world, tmp_path):
    """The first page says how many works there are: every other page is requested at once, each once."""
    series = max(world.illust_series.values(), key=lambda s: len(s.member_ids))
    assert len(series.member_ids) > 60
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    replica.clear()
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path)
    assert result.stats["finish_reason"] == "finished", result.output
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(series.member_ids)
    pages = [parse_qs(r["query"]).get("offset", ["0"])[0] for r in replica.requests()
             if r["path"] == "/v1/illust/series"]
    expected = ["0"] + [str(o) for o in range(30, len(series.member_ids), 30)]
    assert sorted(pages, key=int) == expected
    assert result.stats["pixiv/series/pages_requested_at_once"] == len(expected) - 1
