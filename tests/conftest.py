"""Shared fixtures: the replica as a real subprocess, databases (SQLite file and the PostgreSQL service),
and helpers that crawl in this process against the replica the way ``scrapy crawl`` does (Scrapy's own suite runs
its crawls in process on the asyncio reactor that pytest-twisted installs: ``--reactor=asyncio`` in pyproject.toml)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import traceback
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_twisted
import redis
import sqlalchemy as sa
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro

from pixivcrawl.demo import running_replica
from pixivcrawl.protocol import CLIENT_ID, CLIENT_SECRET
from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.world import World

from .settings import FROM_ENVIRONMENT, project_settings

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("PIXIVCRAWL_TEST_REDIS", "redis://127.0.0.1:6379/0")
PG_URL = os.environ.get("PIXIVCRAWL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

#: the world every session-wide replica serves; tests compute their expectations from the same World
SEED, WORKS = 1, 3000


@dataclass
class ReplicaClient:
    origin: str

    def call(self, path: str, host: str = "app-api.pixiv.net", headers: dict | None = None,
             data: bytes | None = None, method: str | None = None) -> tuple[int, dict, bytes]:
        req = urllib.request.Request(f"{self.origin}{path}", data=data, method=method,
                                     headers={"X-Forwarded-Host": host, **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def json(self, path: str, **kwargs) -> tuple[int, object]:
        status, _, body = self.call(path, **kwargs)
        return status, json.loads(body)

    def control(self, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        return self.json(f"/_replica/{path}", data=data, method="POST" if data is not None else None)[1]

    def requests(self) -> list[dict]:
        return self.control("requests")["requests"]

    def clear(self) -> None:
        self.call("/_replica/requests/clear", method="POST", data=b"")

    def token(self, account: int = 0) -> str:
        form = (f"client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&grant_type=refresh_token"
                f"&refresh_token={replica_account(account).refresh_token}").encode()
        status, body = self.json("/auth/token", host="oauth.secure.pixiv.net", data=form,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, body
        return body["access_token"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow run first: pytest-xdist then fills the other workers with the short ones instead of
    leaving one worker with a long test at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def world() -> World:
    return World(seed=SEED, works=WORKS)


@pytest.fixture(scope="session")
def image_cache(tmp_path_factory) -> Path:
    """One folder of rendered replica images for the whole test run, shared by pytest-xdist's workers."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "replica-images"


@pytest.fixture(scope="session")
def replica(image_cache) -> ReplicaClient:
    """A replica shared by tests that do not change its knobs."""
    with running_replica(WORKS, SEED, ["--image-cache", str(image_cache)]) as origin:
        yield ReplicaClient(origin)


@pytest.fixture
def fresh_replica(image_cache) -> ReplicaClient:
    """A replica of its own, for tests that turn knobs (faults, limits, token lifetime, re-uploads)."""
    with running_replica(WORKS, SEED, ["--image-cache", str(image_cache)]) as origin:
        yield ReplicaClient(origin)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError as exc:  # the service must be up: .ci/run starts it
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc}")
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A new, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pixivcrawl.db'}"
        return
    with new_pg_database(request.getfixturevalue("pg_server_url")) as url:
        yield url


@pytest.fixture
def store(db_url):
    """A :class:`pixivcrawl.db.store.Store` on ``db_url``, migrated to the newest schema."""
    from pixivcrawl.db.store import Store

    s = Store(db_url)
    s.upgrade()
    yield s
    s.dispose()


@pytest.fixture
def pg_db_url(pg_server_url) -> str:
    """A new, empty PostgreSQL database."""
    with new_pg_database(pg_server_url) as url:
        yield url


@contextlib.contextmanager
def new_pg_database(base: str):
    name = f"pixivcrawl_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class RedisSpace:
    client: redis.Redis
    prefix: str  # every key a test makes starts with it; removed afterwards


@pytest.fixture
def redis_space() -> RedisSpace:
    """The Redis service, with a key prefix of the test's own."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:  # the service must be up: .ci/run starts it
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    space = RedisSpace(client, f"pixivcrawl-test-{uuid.uuid4().hex[:8]}")
    yield space
    for key in client.scan_iter(f"{space.prefix}:*"):
        client.delete(key)
    client.close()


@dataclass
class CrawlResult:
    returncode: int
    output: str
    stats: dict


def crawl_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment without the developer's own credentials (HOME points at an empty folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIXIV_", "DATABASE_URL"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env["HOME"] = str(home)
    env.update(extra)
    return env


def crawl_command(spider: str, args: dict, settings: dict) -> list[str]:
    """``python -m scrapy crawl spider -a k=v … -s K=V …``."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in args.items():
        cmd += ["-a", f"{key}={value}"]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


@contextlib.contextmanager
def environment(env: dict[str, str]):
    """``os.environ`` is exactly ``env`` inside the block (credentials and HOME, as a subprocess would see them)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class LogCapture(logging.Handler):
    """Every log record of a crawl, formatted as ``scrapy crawl`` prints it."""

    def __init__(self, level: str):
        super().__init__(logging.getLevelName(level))
        self.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @contextlib.contextmanager
    def installed(self):
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(self)
        root.setLevel(min(self.level, old_level or logging.WARNING))
        try:
            yield self
        finally:
            root.removeHandler(self)
            root.setLevel(old_level)


async def run_crawl(spider: str, args: dict, *, replica: ReplicaClient | None, db_url: str, tmp_path: Path,
                    settings: dict | None = None, account: int = 0, credentials: bool = True,
                    env: dict | None = None, images: bool = False, stop_after: float = 240) -> CrawlResult:
    """One crawl in this process, as ``scrapy crawl spider -a … -s …`` runs it, against the replica.

    Image downloads are off unless ``images`` (or ``PIXIV_FILES_IMAGE_SIZE`` in ``settings``) asks for them. The
    environment the crawl sees is the one a subprocess would get from :func:`crawl_env`. A crawl still running
    after ``stop_after`` seconds is stopped and ends with return code -1."""
    stats_file = tmp_path / f"stats-{uuid.uuid4().hex[:8]}.json"
    extra = {"DATABASE_URL": db_url}
    if replica is not None:
        extra["PIXIV_MIRROR"] = replica.origin
    if credentials:
        extra["PIXIV_REFRESH_TOKEN"] = replica_account(account).refresh_token
        extra["PIXIV_PHPSESSID"] = replica_account(account).phpsessid
    full_env = crawl_env(tmp_path, **extra)
    full_env.update(env or {})
    overrides = {"PIXIV_THROTTLE_APP_RATE": "0", "PIXIV_THROTTLE_WEB_RATE": "0", "PIXIV_API_CONCURRENCY": "4",
                 "LOG_LEVEL": "INFO",
                 "PIXIV_STATS_FILE": str(stats_file), "FILES_STORE": str(tmp_path / "files"),
                 "PIXIV_FILES_IMAGE_SIZE": "original" if images else "none",
                 **{key: full_env.get(key, "") for key in FROM_ENVIRONMENT},
                 **(settings or {})}
    crawl_settings = Settings(project_settings(overrides))
    capture = LogCapture(crawl_settings.get("LOG_LEVEL"))
    returncode = 0
    with environment(full_env), capture.installed():
        try:
            crawler = AsyncCrawlerRunner(crawl_settings).create_crawler(spider)
            stopped = []

            def stop() -> None:
                stopped.append(stop_after)
                crawler.stop()

            watchdog = asyncio.get_running_loop().call_later(stop_after, stop)
            try:
                await crawler.crawl_async(**args)
            finally:
                watchdog.cancel()
            if stopped:
                capture.lines.append(f"the crawl was stopped after {stop_after} s")
                returncode = -1
        except Exception:  # scrapy crawl prints the traceback and exits 1
            capture.lines.append(traceback.format_exc())
            returncode = 1
    # written by pixivcrawl's StatsFileExtension when the spider closes, as for a subprocess
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return CrawlResult(returncode, "\n".join(capture.lines), stats)


def run_crawl_blocking(spider: str, args: dict, **kwargs) -> CrawlResult:
    """:func:`run_crawl` for a synchronous fixture: waits for the crawl on the session's reactor (pytest-twisted
    runs fixtures outside the reactor's greenlet, so they may block on it; test bodies ``await run_crawl``)."""
    return pytest_twisted.blockon(deferred_from_coro(run_crawl(spider, args, **kwargs)))


def table_rows(db_url: str, query: str, **params) -> list[tuple]:
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query), params)]
    finally:
        engine.dispose()
