"""Shared helpers of the component tests: crawlers built with pixivcrawl's own settings, a stand-in engine,
pixiv-shaped responses and items from the replica's deterministic world."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

import orjson
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.test import get_crawler

from pixivcrawl.db.rows import item_rows
from pixivcrawl.db.store import Batch, Store
from pixivcrawl.items import IllustItem
from pixivcrawl.parsers.app_api import parse_illust, parse_ugoira_metadata
from pixivcrawl.replica import app_objects
from pixivcrawl.replica.world import World
from pixivcrawl.spiders.illust_series import IllustSeriesSpider
from tests.settings import project_settings

#: environment variables pixivcrawl reads besides its settings (credentials, the mirror, Redis, the database)
PIXIV_ENVIRONMENT = ("PIXIV_REFRESH_TOKEN", "PIXIV_PHPSESSID", "PIXIV_CREDENTIALS_FILE", "PIXIV_REDIS_URL",
                     "PIXIV_MIRROR", "DATABASE_URL")


def isolate(monkeypatch, tmp_path) -> None:
    """Nothing of the machine that runs the tests reaches a component: no credential, mirror or Redis from the
    environment, and a home folder of the test's own (the default credentials file lives under ``~``)."""
    for name in PIXIV_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def pixiv_settings(**overrides: Any) -> dict[str, Any]:
    """pixivcrawl.settings as a dict, with the values the settings module took from the environment reset and
    then ``overrides`` applied."""
    return project_settings(overrides).copy_to_dict()


def make_crawler(spidercls: type = IllustSeriesSpider, spider_kwargs: dict[str, Any] | None = None,
                 **overrides: Any) -> Crawler:
    """A crawler with pixivcrawl's settings (add-on applied) and its spider created, as Scrapy's own component
    tests build theirs; ``spider_kwargs`` are the spider's ``-a`` arguments (default: ``series_id=1``)."""
    crawler = get_crawler(spidercls, pixiv_settings(**overrides))
    crawler.spider = crawler._create_spider(**(spider_kwargs if spider_kwargs is not None else {"series_id": "1"}))
    return crawler


def json_response(url: str, data: Any, status: int = 200, request: Request | None = None,
                  headers: dict[str, str] | None = None) -> TextResponse:
    return TextResponse(url, status=status, body=orjson.dumps(data), request=request or Request(url),
                        headers={"Content-Type": "application/json", **(headers or {})})


def token_body(access_token: str, expires_in: int = 3600) -> dict[str, Any]:
    """The token endpoint's answer, in pixiv's shape (pixivcrawl.replica.oauth.OAuth.token_response): the fields at
    the top level and again under ``response``."""
    token = {"access_token": access_token, "expires_in": expires_in, "token_type": "bearer", "scope": "",
             "refresh_token": "refresh-kept", "user": {"id": "11", "name": "name", "account": "account"}}
    return {**token, "response": token}


class FakeEngine:
    """Stands in for ``crawler.engine``: ``download_async`` answers with ``answer(request)`` (after yielding
    to the loop once, as a real download would) and records every request; ``close_spider_async`` records its
    reason."""

    def __init__(self, answer: Callable[[Request], Response]) -> None:
        self.answer = answer
        self.downloads: list[Request] = []
        self.closed: list[str] = []

    async def download_async(self, request: Request) -> Response:
        self.downloads.append(request)
        await asyncio.sleep(0)
        return self.answer(request)

    async def close_spider_async(self, *, reason: str = "cancelled") -> None:
        self.closed.append(reason)


@functools.lru_cache(maxsize=1)
def world() -> World:
    """The replica's deterministic world (built once: about half a second)."""
    return World(seed=1, works=300)


def work_ids(kind: str, *, pages: int = 1, visible: bool = True) -> list[int]:
    """Ids of the world's works of type ``kind`` with at least ``pages`` pages (shown, or pixiv placeholders)."""
    w = world()
    return [work.id for work in w.works
            if work.type == kind and work.page_count >= pages and w.restricted(work.id) != visible]


def illust_item(wid: int) -> IllustItem:
    """The whole record of a work as the spiders build it: the App API detail object, parsed, plus the ugoira
    metadata for an ugoira."""
    w = world()
    item = parse_illust(app_objects.illust_obj(w, wid, detail=True))
    if item.type == "ugoira":
        meta = parse_ugoira_metadata(app_objects.ugoira_metadata(w, wid), wid)
        item.ugoira_zip_url, item.ugoira_frames = meta.zip_url, meta.frames
    return item


#: the virtual clock's wall time at monotonic 0
WALL = 1_700_000_000.0


class VirtualClock:
    """Stands in for the ``time`` and ``asyncio`` modules inside pixivcrawl.middlewares.throttle: a sleep moves
    the clock on at once and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return WALL + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    get_running_loop = staticmethod(asyncio.get_running_loop)


def store_items(url: str, *items) -> None:
    """Write ``items`` to the database at ``url`` (migrated first) as the SQL pipeline would."""
    store = Store(url)
    store.upgrade()
    batch = Batch()
    for item in items:
        batch.add(item_rows(item))
    store.write(batch)
    store.dispose()
