"""Distributed crawling end to end: two worker processes share one frontier and one account budget in the
real Redis, and one PostgreSQL database, crawling a 640-work search (with details) from the replica."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from pixivcrawl.demo import running_replica
from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.search import Query, Search
from pixivcrawl.replica.world import World

from .conftest import REDIS_URL, ROOT, ReplicaClient, crawl_command, crawl_env, run_crawl, table_rows
from .decorators import coroutine_test

WORKS, SEED = 2000, 1
WORD = "イラスト"
RATE = 50  # the account's budget per API, requests per second, shared by the workers
LEASE = 3.0


@pytest.fixture(scope="module")
def expected() -> set[int]:
    works = Search(World(seed=SEED, works=WORKS)).results(Query(kind="artworks", word=WORD, s_mode="s_tag",
                                                                mode="all"))
    assert len(works) >= 500
    return set(works)


def start_worker(name: str, origin: str, db_url: str, prefix: str, tmp_path: Path) -> subprocess.Popen:
    settings = {"PIXIV_REDIS_URL": REDIS_URL, "PIXIV_REDIS_PREFIX": prefix, "PIXIV_THROTTLE_APP_RATE": RATE,
                "PIXIV_THROTTLE_WEB_RATE": RATE, "PIXIV_API_CONCURRENCY": 4, "PIXIV_FILES_IMAGE_SIZE": "none",
                "PIXIV_REDIS_LEASE_SECONDS": LEASE, "PIXIV_DB_FLUSH_INTERVAL": 1, "LOG_LEVEL": "INFO",
                "PIXIV_STATS_FILE": tmp_path / f"{name}.stats.json", "LOG_FILE": tmp_path / f"{name}.log"}
    cmd = crawl_command("search", {"word": WORD, "s_mode": "s_tag", "details": "1"}, settings)
    env = crawl_env(tmp_path, DATABASE_URL=db_url, PIXIV_MIRROR=origin,
                    PIXIV_REFRESH_TOKEN=replica_account(0).refresh_token,
                    PIXIV_PHPSESSID=replica_account(0).phpsessid)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish(proc: subprocess.Popen, name: str, tmp_path: Path) -> dict:
    code = proc.wait(timeout=400)
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert code == 0, log[-3000:]
    stats = json.loads((tmp_path / f"{name}.stats.json").read_text())
    assert stats["finish_reason"] == "finished", log[-3000:]
    return stats


def detail_requests(log: list[dict]) -> Counter:
    return Counter(int(parse_qs(r["query"])["illust_id"][0]) for r in log
                   if r["path"] == "/v1/illust/detail" and r["status"] == 200)


def busiest(times: list[float], seconds: float) -> int:
    """The most requests in any window of ``seconds``."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def frontier_keys(space) -> list[bytes]:
    return list(space.client.scan_iter(f"{space.prefix}:frontier:*"))


@pytest.mark.slow
def test_two_workers_share_frontier_and_budget(pg_db_url, redis_space, expected, tmp_path):
    with running_replica(WORKS, SEED) as origin:
        replica = ReplicaClient(origin)
        workers = [start_worker(name, origin, pg_db_url, redis_space.prefix, tmp_path) for name in ("a", "b")]
        stats = [finish(proc, name, tmp_path) for proc, name in zip(workers, ("a", "b"), strict=True)]
        log = replica.requests()

    # every work stored exactly once, and fetched exactly once by the two workers together
    stored = [row[0] for row in table_rows(pg_db_url, "select id from illusts")]
    assert len(stored) == len(set(stored)) and set(stored) == expected
    assert {row[0] for row in table_rows(pg_db_url, "select work_id from search_hits")} == expected
    fetched = detail_requests(log)
    assert set(fetched) == expected and max(fetched.values()) == 1
    # both workers took part
    taken = [s["pixiv/frontier/taken"] for s in stats]
    assert min(taken) > 0.2 * sum(taken), taken
    # together they kept to one account's budget, not twice it (times are when the replica handled each
    # request: a stalled process on this small machine can bunch a few, never double the rate)
    for host in ("app-api.pixiv.net", "www.pixiv.net"):
        times = [r["t"] for r in log if r["host"] == host]
        assert busiest(times, 1.0) <= RATE * 1.25 + 1, host
        assert busiest(times, 5.0) <= RATE * 5 * 1.05 + 1, host
    app = sorted(r["t"] for r in log if r["host"] == "app-api.pixiv.net")
    assert len(app) / (app[-1] - app[0]) <= RATE * 1.02
    # a finished crawl leaves no frontier behind: the next run of the same job starts afresh
    assert frontier_keys(redis_space) == []


@pytest.mark.slow
def test_killed_worker_loses_nothing(pg_db_url, redis_space, expected, tmp_path):
    with running_replica(WORKS, SEED) as origin:
        replica = ReplicaClient(origin)
        a = start_worker("a", origin, pg_db_url, redis_space.prefix, tmp_path)
        b = start_worker("b", origin, pg_db_url, redis_space.prefix, tmp_path)
        deadline = time.monotonic() + 120
        while sum(detail_requests(replica.requests()).values()) < 0.4 * len(expected):
            assert a.poll() is None and b.poll() is None and time.monotonic() < deadline
            time.sleep(0.5)
        os.kill(a.pid, signal.SIGKILL)
        a.wait(timeout=30)
        survivor = finish(b, "b", tmp_path)
        log = replica.requests()

    stored = [row[0] for row in table_rows(pg_db_url, "select id from illusts")]
    assert len(stored) == len(set(stored)) and set(stored) == expected
    assert {row[0] for row in table_rows(pg_db_url, "select work_id from search_hits")} == expected
    # the survivor took over the requests the dead worker held, after their leases expired
    assert survivor["pixiv/frontier/requeued_expired"] > 0
    fetched = detail_requests(log)
    assert set(fetched) == expected
    # only what the dead worker had in hand (in flight, or not yet written) was fetched twice
    assert sum(n - 1 for n in fetched.values()) <= survivor["pixiv/frontier/requeued_expired"]
    assert frontier_keys(redis_space) == []


@pytest.mark.parametrize("fault", ["fault_5xx", "fault_reset"])
@coroutine_test
async def test_a_request_that_fails_for_good_is_done_not_held(fault, fresh_replica, redis_space, tmp_path):
    """An error answer (HttpError to the errback) or a dead connection (download failure) after the last retry:
    the worker logs it, releases the lease and finishes, instead of waiting for its own lease forever."""
    fresh_replica.control("config", {fault: 1.0, "fault_hosts": ["www.pixiv.net"]})
    result = await run_crawl("search", {"word": WORD}, replica=fresh_replica, db_url=f"sqlite:///{tmp_path / 'x.db'}",
                             tmp_path=tmp_path, stop_after=60,
                             settings={"PIXIV_REDIS_URL": REDIS_URL, "PIXIV_REDIS_PREFIX": redis_space.prefix,
                                       "RETRY_TIMES": 1, "PIXIV_RETRY_BACKOFF": 0.05})
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/errors/request_failed"] == 1
    assert result.stats["pixiv/frontier/replaced"] == 1 and result.stats["pixiv/frontier/done"] == 1
    assert frontier_keys(redis_space) == []
