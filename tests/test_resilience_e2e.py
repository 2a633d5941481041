"""Throttling and resilience against the replica's limit and fault knobs."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from pixivcrawl.demo import running_replica
from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.rankings import Rankings
from pixivcrawl.replica.search import Query, Search
from pixivcrawl.replica.world import World

from .conftest import ROOT, ReplicaClient, crawl_env, run_crawl, table_rows
from .decorators import coroutine_test

FAST = {"PIXIV_RETRY_BACKOFF": "0.05"}


#: the replica's limit in the learning tests: LIMIT requests in any WINDOW seconds, per account and API
LIMIT, WINDOW, SAFETY = 3, 2.0, 0.8
#: the crawl learns over the same window, pauses as long, keeps SAFETY below the limit, one request in flight
#: (with more, requests already on the wire when the first limit arrives are refused too)
LEARNING = {"PIXIV_THROTTLE_WINDOW": str(WINDOW), "PIXIV_THROTTLE_BACKOFF_BASE": str(WINDOW),
            "PIXIV_THROTTLE_SAFETY": str(SAFETY), "PIXIV_API_CONCURRENCY": "1", "PIXIV_FILES_IMAGE_SIZE": "none"}


def _limited(log: list[dict]) -> list[dict]:
    return [r for r in log if r["status"] in (429, 403) and r.get("limited")]


@coroutine_test
async def test_web_rate_limit_is_learned_and_then_never_hit(tmp_path):
    """A 500-work search against a limit of 3 requests in any 2 s, starting far too fast.

    The limit is low and its window long, and the learned rate keeps 20% below it (PIXIV_THROTTLE_SAFETY): on a
    busy test machine one request can be delayed by a tenth of a second or more, and the next one then follows
    it closely; with the default 5% of a 1 s window (50 ms) such a pair meets the limit again."""
    world = World(seed=1, works=1750)
    expected = Search(world).results(Query(kind="artworks", word="イラスト", s_mode="s_tag", mode="all"))
    assert len(expected) >= 500
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    with running_replica(1750, 1) as origin:
        replica = ReplicaClient(origin)
        replica.control("config", {"rate_limit": LIMIT, "rate_window": WINDOW})
        result = await run_crawl("search", {"word": "イラスト", "s_mode": "s_tag"}, replica=replica, db_url=db_url,
                                 tmp_path=tmp_path, settings={"PIXIV_THROTTLE_WEB_RATE": "50", **LEARNING})
        log = [r for r in replica.requests() if r["host"] == "www.pixiv.net"]
    assert result.stats["finish_reason"] == "finished", result.output
    assert {r[0] for r in table_rows(db_url, "select work_id from search_hits")} == set(expected)
    limited = _limited(log)
    assert len(limited) == 1 and result.stats["pixiv/ratelimit/hits"] == 1  # none after the first back-off
    first = log.index(limited[0])
    served = [r["t"] for r in log[first + 1:] if r["status"] == 200]
    assert served and all(sum(1 for u in served if t - WINDOW < u <= t) <= LIMIT for t in served)
    assert served[0] - limited[0]["t"] >= 0.9 * WINDOW  # the whole budget paused (WINDOW s, ±10% jitter)
    limit_rate = LIMIT / WINDOW
    assert 0.9 * SAFETY * limit_rate <= result.stats["pixiv/budget/web/rate"] <= SAFETY * limit_rate


@coroutine_test
async def test_app_rate_limit_body_is_recognised(fresh_replica, world, tmp_path):
    """The App API says "Rate Limit" in a 403 error body: recognised, learned, the crawl completes (the limit
    and the learning of the web test)."""
    fresh_replica.control("config", {"rate_limit": LIMIT, "rate_window": WINDOW, "app_limit_status": 403})
    rankings = Rankings(world)
    days = [rankings.latest]
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("ranking", {"api": "app", "mode": "day_manga", "date_from": days[0].isoformat(),
                                         "date_to": days[-1].isoformat()}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_THROTTLE_APP_RATE": "40", **LEARNING})
    assert result.stats["finish_reason"] == "finished", result.output
    expected = sum(len(rankings.ranked(d, "daily", "manga")) for d in days)
    assert table_rows(db_url, "select count(*) from rankings") == [(expected,)]
    limited = _limited(fresh_replica.requests())
    assert len(limited) == 1 and limited[0]["status"] == 403


@coroutine_test
async def test_retry_after_is_honoured(fresh_replica, world, tmp_path):
    # one request in any 2 s: the second is refused, however slowly this machine sends it
    fresh_replica.control("config", {"rate_limit": 1, "rate_window": 2.0, "retry_after": 2})
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("search", {"word": "漫画", "s_mode": "s_tag", "max_pages": "6"}, replica=fresh_replica,
                             db_url=db_url, tmp_path=tmp_path,
                             settings={"PIXIV_THROTTLE_WEB_RATE": "100", "PIXIV_THROTTLE_WINDOW": "2",
                                       "PIXIV_THROTTLE_BACKOFF_BASE": "30",
                                       # one in flight: an answer to a request sent before the pause can still arrive
                                       # after it (a known defect of the throttle, filed to be fixed)
                                       "PIXIV_API_CONCURRENCY": "1"})
    assert result.stats["finish_reason"] == "finished", result.output
    log = [r for r in fresh_replica.requests() if r["host"] == "www.pixiv.net"]
    limited = _limited(log)
    assert limited
    after = [r for r in log if r["t"] > limited[0]["t"]]
    assert 1.9 <= after[0]["t"] - limited[0]["t"] < 10  # Retry-After (2 s), not the 30 s backoff
    assert table_rows(db_url, "select count(*) from search_hits") == [(6 * 60,)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_a_long_pause_ends_the_crawl(fresh_replica, tmp_path, signum):
    """`scrapy crawl` with two requests in flight meets a limit and pauses 10 minutes; SIGTERM (or SIGINT) ends it
    within seconds, with every page fetched before stored and finish_reason `shutdown`."""
    fresh_replica.control("config", {"rate_limit": 3, "rate_window": 600.0})
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    stats_file = tmp_path / "stats.json"
    env = crawl_env(tmp_path, DATABASE_URL=db_url, PIXIV_MIRROR=fresh_replica.origin,
                    PIXIV_PHPSESSID=replica_account(0).phpsessid)
    log = tmp_path / "crawl.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "search", "-a", "word=漫画", "-a", "s_mode=s_tag",
             "-a", "max_pages=8", "-s", "PIXIV_THROTTLE_WEB_RATE=100", "-s", "PIXIV_API_CONCURRENCY=2",
             "-s", "PIXIV_THROTTLE_BACKOFF_BASE=600", "-s", "PIXIV_FILES_IMAGE_SIZE=none",
             "-s", f"PIXIV_STATS_FILE={stats_file}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while not _limited(fresh_replica.requests()):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        time.sleep(1)  # the pause has begun: every request left is waiting for the budget
        signalled = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=30)
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert took < 5, output[-3000:]
    assert output.count("Traceback") == 0, output[-3000:]
    # the requests dropped from the pause: one line for all of them, none "failed for good"
    assert output.count("The crawl is closing: requests still waiting") == 1, output[-3000:]
    assert "Request failed for good" not in output, output[-3000:]
    stats = json.loads(stats_file.read_text())
    assert stats["finish_reason"] == "shutdown"
    assert stats["pixiv/ratelimit/events"] == 1
    served = [r for r in fresh_replica.requests() if r["host"] == "www.pixiv.net" and r["status"] == 200]
    assert len(served) == 3  # the limit: the pages before it, all stored
    assert table_rows(db_url, "select count(*) from search_hits") == [(3 * 60,)]


@pytest.mark.parametrize("policy", ["skip", "stop"])
@coroutine_test
async def test_rate_limit_policies(fresh_replica, tmp_path, policy):
    """pixiv keeps refusing (2 requests per 10 minutes): skip drops refused pages, stop closes the spider (after
    3 refusals: pages 3 to 5)."""
    fresh_replica.control("config", {"rate_limit": 2, "rate_window": 600.0})
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("search", {"word": "漫画", "s_mode": "s_tag", "max_pages": "5"}, replica=fresh_replica,
                             db_url=db_url, tmp_path=tmp_path,
                             settings={"PIXIV_THROTTLE_WEB_RATE": "100", "PIXIV_THROTTLE_POLICY": policy,
                                       "PIXIV_THROTTLE_BACKOFF_BASE": "0.1", "PIXIV_THROTTLE_WINDOW": "1",
                                       "PIXIV_THROTTLE_STOP_AFTER": "3", "PIXIV_API_CONCURRENCY": "1"})
    if policy == "stop":
        assert result.stats["finish_reason"] == "rate_limited"
        assert "Stopping: pixiv refused 3 requests in a row for rate limits" in result.output
    else:
        assert result.stats["finish_reason"] == "finished"
        assert result.stats["pixiv/ratelimit/skipped_requests"] >= 1
        assert table_rows(db_url, "select count(*) from search_hits")[0][0] == 2 * 60


@pytest.mark.slow
@coroutine_test
async def test_faults_lose_nothing(fresh_replica, world, tmp_path):
    """5% 5xx, 2% resets, 1% truncated bodies and 1% HTML pages on the App API, the web and the CDN."""
    fresh_replica.control("config", {"fault_5xx": 0.05, "fault_reset": 0.02, "fault_truncate": 0.01,
                                     "fault_html": 0.01, "fault_seed": 7})
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    series = list(world.illust_series.values())[:3]
    for s in series:
        result = await run_crawl("illust_series", {"series_id": s.id}, replica=fresh_replica, db_url=db_url,
                                 tmp_path=tmp_path, settings=FAST, images=True)
        assert result.stats["finish_reason"] == "finished", result.output
    search = await run_crawl("search", {"word": "漫画", "s_mode": "s_tag"}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings=FAST, images=True)
    assert search.stats["finish_reason"] == "finished", search.output
    members = {w for s in series for w in s.member_ids}
    full = {r[0] for r in table_rows(db_url, "select distinct illust_id from illust_pages")}
    assert members <= full
    files = sum(1 if world.work(w).type == "ugoira" else world.work(w).page_count for w in members)
    assert table_rows(db_url, "select count(*) from media where status = 'downloaded'") == [(files,)]
    hits = Search(world).results(Query(kind="artworks", word="漫画", s_mode="s_tag", mode="all"))
    assert table_rows(db_url, "select count(*) from search_hits") == [(len(hits),)]
    faults = {r["fault"] for r in fresh_replica.requests() if r["fault"]}
    assert faults == {"5xx", "reset", "truncate", "html"}


@pytest.mark.slow
def test_kill_and_resume_gives_the_clean_database(tmp_path):
    """SIGKILL a 500-work crawl at random moments, resume it with the same JOBDIR, compare with a clean run."""
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    args = ["-a", "word=イラスト", "-a", "s_mode=s_tag", "-a", "details=1"]
    settings = ["-s", "PIXIV_THROTTLE_APP_RATE=0", "-s", "PIXIV_THROTTLE_WEB_RATE=0",
                "-s", "PIXIV_API_CONCURRENCY=8", "-s", "PIXIV_FILES_IMAGE_SIZE=none",
                "-s", "LOG_LEVEL=WARNING"]
    world = World(seed=1, works=1750)
    expected = Search(world).results(Query(kind="artworks", word="イラスト", s_mode="s_tag", mode="all"))
    assert len(expected) >= 500
    with running_replica(1750, 1) as origin:
        def crawl(db: str, jobdir: str | None) -> subprocess.Popen:
            env = crawl_env(tmp_path, DATABASE_URL=db, PIXIV_MIRROR=origin,
                            PIXIV_REFRESH_TOKEN=replica_account(0).refresh_token,
                            PIXIV_PHPSESSID=replica_account(0).phpsessid)
            extra = ["-s", f"JOBDIR={jobdir}"] if jobdir else []
            log = tmp_path / f"crawl-{len(list(tmp_path.glob('crawl-*.log')))}.log"
            with log.open("w") as out:
                return subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "search", *args, *settings, *extra],
                                        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=out)

        def last_log() -> str:
            return max(tmp_path.glob("crawl-*.log"), key=lambda p: int(p.stem.split("-")[1])).read_text()[-3000:]

        clean = f"sqlite:///{tmp_path / 'clean.db'}"
        started = time.monotonic()
        assert crawl(clean, None).wait(timeout=600) == 0, last_log()
        duration = time.monotonic() - started
        resumed = f"sqlite:///{tmp_path / 'resumed.db'}"
        jobdir = str(tmp_path / "job")
        kills = []
        for _ in range(3):
            proc = crawl(resumed, jobdir)
            moment = rng.uniform(0.15, 0.8) * duration
            time.sleep(moment)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills.append(round(moment, 2))
            proc.wait(timeout=60)
        assert kills, f"no kill landed (seed {seed})"
        assert crawl(resumed, jobdir).wait(timeout=600) == 0, f"kills at {kills} s (seed {seed}): {last_log()}"
    for table in ("illusts", "illust_pages", "illust_tags", "tags", "users", "search_hits"):
        columns = {
            "illusts": "id, user_id, type, title, page_count, width, height, total_view, ugoira_frames, image_stamp",
            "illust_pages": "illust_id, page, original_url, width, height",
            "illust_tags": "illust_id, tag, position", "tags": "name, translated_name",
            "users": "id, name, account", "search_hits": "query_key, work_id, page, position"}[table]
        order = columns.split(",")[0] + ", " + columns.split(",")[1]
        a = table_rows(clean, f"select {columns} from {table} order by {order}")
        b = table_rows(resumed, f"select {columns} from {table} order by {order}")
        assert a == b, f"{table} differs after kills at {kills} s (seed {seed})"
    assert len(table_rows(clean, "select id from illusts")) == len(expected)
