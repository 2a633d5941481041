"""A distributed worker whose Redis goes away mid-crawl: a redis-server of the test's own, on a port of its own,
stopped by its PID and started again — with its data (every work stored, no request or file failed), empty (the
worker stops as ``frontier_lost``, never ``finished``), or never (the worker stops after
``PIXIV_REDIS_OUTAGE_MAX``)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import redis

from .conftest import run_crawl, table_rows
from .decorators import coroutine_test

WORD = "イラスト"
ARGS = {"word": WORD, "s_mode": "s_tag", "details": "1", "max_pages": "1"}


class OwnRedis:
    """A redis-server of the test's own. ``persistent``: an append-only file synced on every write, in
    ``folder``, so a restart has all its data; else nothing is saved and a restart is empty."""

    def __init__(self, folder: Path, persistent: bool) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder = folder
        self.persistent = persistent
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = (["--appendonly", "yes", "--appendfsync", "always"] if self.persistent
                       else ["--appendonly", "no"])
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--dir", str(self.folder), *persistence],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert self.proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def keys(self, pattern: str) -> list[bytes]:
        client = redis.Redis(port=self.port)
        try:
            return list(client.scan_iter(pattern))
        finally:
            client.close()


@pytest.fixture
def own_redis(request, tmp_path):
    servers: list[OwnRedis] = []

    def make(persistent: bool) -> OwnRedis:
        folder = tmp_path / f"redis-{len(servers)}"
        folder.mkdir()
        server = OwnRedis(folder, persistent)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


def details_seen(replica) -> int:
    return sum(1 for r in replica.requests() if r["path"] == "/v1/illust/detail" and r["status"] == 200)


async def outage(server: OwnRedis, replica, *, after_details: int, seconds: float | None) -> None:
    """Stop ``server`` (SIGKILL by PID) once the replica answered ``after_details`` detail requests, and start it
    again ``seconds`` later (None: never)."""
    deadline = time.monotonic() + 60
    while await asyncio.to_thread(details_seen, replica) < after_details:
        assert time.monotonic() < deadline, "the crawl never got going"
        await asyncio.sleep(0.05)
    await asyncio.to_thread(server.stop)
    if seconds is not None:
        await asyncio.sleep(seconds)
        await asyncio.to_thread(server.start)


def settings(server: OwnRedis, **extra) -> dict:
    return {"PIXIV_REDIS_URL": server.url, "PIXIV_THROTTLE_APP_RATE": "20", "PIXIV_REDIS_LEASE_SECONDS": "2",
            "PIXIV_DB_FLUSH_INTERVAL": "0.5", **extra}


@coroutine_test
async def test_redis_restarted_with_its_data_loses_nothing(fresh_replica, own_redis, tmp_path):
    """Redis away for 2.5 s (longer than a lease) mid-crawl, images included: every request and every file waits,
    none fails, every work is stored whole; one WARNING when Redis goes away, one INFO when it is back."""
    server = own_redis(persistent=True)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result, _ = await asyncio.gather(
        run_crawl("search", ARGS, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path, images=True,
                  settings=settings(server, PIXIV_REDIS_OUTAGE_MAX="60"), stop_after=90),
        outage(server, fresh_replica, after_details=15, seconds=2.5))
    stats, output = result.stats, result.output
    assert result.returncode == 0 and stats["finish_reason"] == "finished", output[-3000:]
    warnings = [line for line in output.splitlines() if " WARNING: " in line]
    assert stats["pixiv/redis/outages"] == 1 and stats["pixiv/redis/outage_seconds"] >= 2.0, warnings
    assert output.count("Redis at PIXIV_REDIS_URL is not answering") == 1
    assert output.count("Redis is answering again") == 1
    assert "Traceback" not in output and "failed for good" not in output
    assert not any(key.startswith("pixiv/errors/") for key in stats), stats
    # every hit of the page stored whole, each fetched (its detail) at least once
    hits = {row[0] for row in table_rows(db_url, "select work_id from search_hits")}
    assert len(hits) == 60
    whole = {row[0] for row in table_rows(db_url, "select id from illusts where incomplete is null")}
    assert whole == hits
    fetched = {int(parse_qs(r["query"])["illust_id"][0]) for r in fresh_replica.requests()
               if r["path"] == "/v1/illust/detail" and r["status"] == 200}
    assert fetched == hits
    # every file downloaded, none failed
    statuses = table_rows(db_url, "select status, count(*) from media group by status")
    assert dict(statuses).keys() == {"downloaded"}, statuses
    pages = table_rows(db_url, "select sum(page_count) from illusts where type != 'ugoira'")[0][0]
    ugoira = table_rows(db_url, "select count(*) from illusts where type = 'ugoira'")[0][0]
    assert dict(statuses)["downloaded"] == pages + ugoira
    # the finished frontier was removed from the restarted Redis
    assert server.keys("pixivcrawl:frontier:*") == []


@coroutine_test
async def test_redis_restarted_empty_is_frontier_lost(fresh_replica, own_redis, tmp_path):
    """Redis comes back without the frontier: the worker stops with one sentence as ``frontier_lost`` (never
    ``finished``), and leaves no piece of a frontier in the new Redis for a later run to take for the crawl."""
    server = own_redis(persistent=False)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    started = time.monotonic()
    result, _ = await asyncio.gather(
        run_crawl("search", ARGS, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                  settings=settings(server, PIXIV_REDIS_OUTAGE_MAX="60"), stop_after=60),
        outage(server, fresh_replica, after_details=15, seconds=1.0))
    output = result.output
    assert result.stats["finish_reason"] == "frontier_lost", output[-3000:]
    assert time.monotonic() - started < 30
    errors = [line for line in output.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and "vanished from Redis" in errors[0], errors
    assert "Traceback" not in output
    assert server.keys("pixivcrawl:frontier:*") == []


@coroutine_test
async def test_redis_that_stays_away_stops_the_worker(fresh_replica, own_redis, tmp_path):
    """An outage longer than PIXIV_REDIS_OUTAGE_MAX: one sentence, ``frontier_lost``, within seconds."""
    server = own_redis(persistent=False)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result, _ = await asyncio.gather(
        run_crawl("search", ARGS, replica=fresh_replica, db_url=db_url, tmp_path=tmp_path,
                  settings=settings(server, PIXIV_REDIS_OUTAGE_MAX="1.5"), stop_after=30),
        outage(server, fresh_replica, after_details=15, seconds=None))
    output = result.output
    assert result.returncode == 0 and result.stats["finish_reason"] == "frontier_lost", output[-3000:]
    errors = [line for line in output.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and "PIXIV_REDIS_OUTAGE_MAX" in errors[0], errors
    assert output.count("Redis at PIXIV_REDIS_URL is not answering") == 1
    assert "Traceback" not in output
    assert result.stats["pixiv/redis/outages"] == 1 and 1.5 <= result.stats["pixiv/redis/outage_seconds"] < 10
