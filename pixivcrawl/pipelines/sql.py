"""SQL storage pipeline: items become rows, written in batched upserts, one transaction per batch.

Settings: ``DATABASE_URL`` (default ``sqlite:///pixivcrawl.db``), ``PIXIV_DB_BATCH_SIZE`` (items per
batch), ``PIXIV_DB_FLUSH_INTERVAL`` (seconds; a slow crawl still writes regularly) and
``PIXIV_DB_AUTO_MIGRATE`` (run alembic migrations at start). An empty ``DATABASE_URL`` switches the
pipeline off. Writes run in a thread so the crawl never waits on the database. After each write the
pipeline sends the ``items_stored`` signal with the batch's items (a distributed worker releases a
request only when its items are stored).

A database that cannot be used when the crawl starts (pixivcrawl.db.store.open_store: a server that does not
answer, a corrupted SQLite file, a missing folder, an unknown scheme or driver) stops it before any request, with
one ERROR sentence naming ``DATABASE_URL`` (password hidden) and the cause, finish reason ``start_failed``.

Stats: ``pixiv/db/batches``, ``pixiv/db/items``, ``pixiv/db/rows/<table>``, ``pixiv/db/failed_batches``,
``pixiv/db/failed_items``, ``pixiv/db/transient_retries`` (transactions PostgreSQL aborted for a deadlock or a
serialization failure and that were written again).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import sqlalchemy as sa
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call

from pixivcrawl.db.rows import item_rows
from pixivcrawl.db.store import Batch, Store, UnusableDatabase, database_problem, open_store
from pixivcrawl.signals import items_stored

logger = logging.getLogger(__name__)


class SQLStoragePipeline:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.url = settings.get("DATABASE_URL") or ""
        if not self.url:
            raise NotConfigured("DATABASE_URL is empty")
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = max(1, settings.getint("PIXIV_DB_BATCH_SIZE", 500))
        self.interval = settings.getfloat("PIXIV_DB_FLUSH_INTERVAL", 5.0)
        self.auto_migrate = settings.getbool("PIXIV_DB_AUTO_MIGRATE", True)
        self.store: Store | None = None
        self.batch = Batch()
        self.batch_items: list[Any] = []  # the items of ``batch``, announced with ``items_stored`` once written
        self._lock = asyncio.Lock()
        self._timer = None
        self._flushes: set[asyncio.Task] = set()  # timer flushes in flight, kept so they are not collected mid-run
        #: the sentence of a database that failed as a whole (then nothing more is written)
        self.failing: str | None = None
        self._closing: asyncio.Task | None = None  # the close_spider task, kept so it is not collected mid-run

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    async def open_spider(self) -> None:
        """Reach the database (and migrate it with ``PIXIV_DB_AUTO_MIGRATE``). A database that cannot be used
        stops the crawl before any request: one ERROR sentence naming ``DATABASE_URL`` and the cause (stat
        ``pixiv/errors/start_failed``), finish reason ``start_failed``."""
        try:
            self.store = await asyncio.to_thread(open_store, self.url, migrate=self.auto_migrate)
        except UnusableDatabase as exc:
            logger.error("%s", exc)
            self.stats.set_value("pixiv/errors/start_failed", str(exc))
            raise CloseSpider("start_failed") from None
        logger.info("Storing items in %s", self.store.describe())
        if self.interval > 0:
            self._timer = create_looping_call(self._on_timer)
            self._timer.start(self.interval, now=False)

    async def process_item(self, item: Any) -> Any:
        try:
            rows = item_rows(item)
        except (TypeError, ValueError, KeyError) as exc:
            logger.error("Not storing %s: %s", type(item).__name__, exc)
            self.stats.inc_value("pixiv/db/unstorable_items")
            self.crawler.signals.send_catch_log(items_stored, items=[item])
            return item
        self.batch.add(rows)
        self.batch_items.append(item)
        if len(self.batch) >= self.batch_size:
            await self.flush()
        return item

    def _on_timer(self) -> None:
        if len(self.batch) and not self._lock.locked():
            task = asyncio.ensure_future(self.flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def flush(self) -> None:
        async with self._lock:
            batch, self.batch = self.batch, Batch()
            items, self.batch_items = self.batch_items, []
            if not len(batch):
                return
            assert self.store is not None
            lost = 0
            if self.failing is not None:  # the database failed: nothing more is written (leases are kept)
                self.stats.inc_value("pixiv/db/failed_items", len(batch))
                return
            try:
                counts = await asyncio.to_thread(self.store.write, batch)
            except Exception as exc:  # the batch was rolled back as a whole: nothing half-written
                if database_failing(exc):
                    self.stats.inc_value("pixiv/db/failed_items", len(batch))
                    self._stop(exc)
                    return
                logger.warning("Database write of %d items was refused (%s: %s); writing them one by one.",
                               len(batch), type(exc).__name__, _first_line(exc))
                self.stats.inc_value("pixiv/db/failed_batches")
                counts, lost = await asyncio.to_thread(self._write_one_by_one, batch)
            self.stats.inc_value("pixiv/db/batches")
            self.stats.inc_value("pixiv/db/items", len(batch) - lost)
            if self.store.transient_retries:
                self.stats.set_value("pixiv/db/transient_retries", self.store.transient_retries)
            for table, n in counts.items():
                self.stats.inc_value(f"pixiv/db/rows/{table}", n)
            self.crawler.signals.send_catch_log(items_stored, items=items)

    def _stop(self, exc: Exception) -> None:
        """The database itself fails (its file is corrupted, its disk is full, its server went away): one ERROR
        sentence, finish reason ``storage_failed``; the batch and every later item are not written (counted in
        ``pixiv/db/failed_items``, never announced as stored, so a resumed job or another worker fetches them
        again) rather than each failing with its own error."""
        assert self.store is not None
        self.failing = (f"Stopping: the database DATABASE_URL={self.store.describe()} cannot store items: "
                        f"{database_problem(exc)}.")
        logger.error("%s", self.failing)
        self.stats.set_value("pixiv/errors/storage_failed", self.failing)
        self._closing = asyncio.get_running_loop().create_task(
            self.crawler.engine.close_spider_async(reason="storage_failed"))

    def _write_one_by_one(self, batch: Batch) -> tuple[dict[str, int], int]:
        """Each item in its own transaction, so that only the item the database refuses is lost; returns the
        rows written per table and how many items were lost."""
        counts: dict[str, int] = {}
        lost = 0
        for member in batch.members:
            single = Batch()
            single.add(member)
            try:
                written = self.store.write(single)
            except Exception as exc:
                lost += 1
                parent = member.parent or next(iter(member.rows), "?")
                logger.error("Not stored (the database refused it, nothing written): %s: %s: %s", parent,
                             type(exc).__name__, _first_line(exc))
                self.stats.inc_value("pixiv/db/failed_items")
                continue
            for table, n in written.items():
                counts[table] = counts.get(table, 0) + n
        return counts, lost

    async def close_spider(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        await self.flush()
        if self.store is not None:
            self.store.dispose()


def database_failing(exc: BaseException) -> bool:
    """Whether a write failed because of the database rather than the rows: an operational error (a corrupted
    file, a full disk, a lost server) or another driver error that is not about the data (integrity, values,
    SQL the schema refuses), which writing the items one by one would only repeat."""
    if isinstance(exc, sa.exc.OperationalError):
        return True
    return isinstance(exc, sa.exc.DatabaseError) and not isinstance(
        exc, (sa.exc.IntegrityError, sa.exc.DataError, sa.exc.ProgrammingError))


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
