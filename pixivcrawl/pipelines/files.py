"""Image download pipeline: every page of a work (or an ugoira's frame zip) from pixiv's CDN, stored as the
exact bytes pixiv sent.

A ``FilesPipeline`` subclass (``ImagesPipeline`` would re-encode originals). Settings:

- ``PIXIV_FILES_IMAGE_SIZE``: ``original`` (default), ``regular`` (1200 px master), ``small`` (540 px) or ``none``
  (pipeline off).
- ``PIXIV_FILES_IMAGE_TYPES``: which work types to download (default ``illust,manga,ugoira``).
- ``FILES_STORE``: where files go (a local folder by default, ``files``; any store Scrapy supports).

Paths are made from numeric ids and page numbers only (``works/<id // 10^6>/<id>/<id>_p<page>.<ext>``,
``…/<id>_ugoira.zip``), never from titles or server-chosen names; the extension comes from a short
allow-list. Local files are written to a temporary name (``.<name>.<random>.part`` beside it), synced to disk
and renamed into place, so a crash never leaves a partial file where a later run would take it as complete; the
temporaries a killed process left under ``works/`` are removed when the next crawl starts (those last modified
before it started; ``pixiv/media/stale_parts_removed``; see pixivcrawl.pipelines.filestore). A file already
downloaded from the same URL
(the database's ``media`` table) is not downloaded again; a re-uploaded work has new URLs and is. pixiv's
placeholder images (``s.pximg.net/common/images/limit_*``) are never downloaded nor recorded: a hidden or
placeholder record (pixivcrawl.parsers.restriction.is_hidden) gets no request and no ``media`` row, so the row
and the file of a page downloaded earlier stay as they are. Results go to the item's ``media`` list (one
pixivcrawl.items.MediaRecord per file) and from
there to the ``media`` table. Stats under ``pixiv/media/…``: downloaded, bytes, failed, skipped_known,
skipped_hidden (hidden records, one per work), placeholder (a placeholder URL on a record not flagged hidden:
not requested), store_failed, skipped_stopping.

A local ``FILES_STORE`` that cannot be written stops the crawl when the spider opens (``start_failed``, one
ERROR sentence). An OS error writing a file is logged once per cause and recorded in the file's ``media.error``
(``could not store: [Errno 28] No space left on device``); after ``PIXIV_FILES_MAX_ERRORS`` files in a row
failed for the same cause the crawl stops (``storage_failed``, one ERROR sentence) and the files not yet
downloaded are skipped (no ``media`` row: a later run downloads them).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import time
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException
from scrapy.utils.defer import ensure_awaitable

from pixivcrawl.db.memory import crawl_memory
from pixivcrawl.endpoints import follow
from pixivcrawl.exceptions import GivenUp
from pixivcrawl.items import IllustItem, MediaRecord
from pixivcrawl.parsers.restriction import is_hidden
from pixivcrawl.protocol import STATIC_HOST

from .filestore import AtomicFSFilesStore, StoreFailed, os_problem

logger = logging.getLogger(__name__)


class _OneLinePerFile(logging.Filter):
    """Drops Scrapy's own per-file failure records — ``File (code: 503): …``, ``File (unknown-error): …`` and the
    traceback ``scrapy.pipelines.media`` logs for every failed file — of the loggers it is attached to:
    :meth:`PixivFilesPipeline.item_completed` logs one line per failed file, with its cause."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "scrapy.pipelines.media":
            value = getattr(record.msg, "value", None)  # Scrapy logs the Failure object itself
            return not isinstance(value, FileException)
        return not (isinstance(record.msg, str) and record.msg.startswith("File (")
                    and record.levelno <= logging.WARNING)


_ONE_LINE = _OneLinePerFile()
for _name in ("scrapy.pipelines.media", "scrapy.pipelines.files"):
    if _ONE_LINE not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_ONE_LINE)

SIZES = ("original", "regular", "small", "none")
WORK_TYPES = ("illust", "manga", "ugoira")
EXTENSIONS = {".jpg": ".jpg", ".jpeg": ".jpg", ".png": ".png", ".gif": ".gif", ".zip": ".zip", ".webp": ".webp"}
PIXIV_REFERER = "https://www.pixiv.net/"
#: the result of a file not downloaded because the crawl is stopping for its store (it gets no media row)
_STOPPING = "pixiv-stopping"


def media_path(work_id: int, kind: str, page: int, url: str) -> str:
    """A file's path in the store, from numbers and an allow-listed extension only."""
    suffix = EXTENSIONS.get(_suffix(urlsplit(url).path).lower(), ".bin")
    folder = f"works/{work_id // 1_000_000:04d}/{work_id}"
    if kind == "page":
        return f"{folder}/{work_id}_p{page}{suffix}"
    if kind == "ugoira_zip":
        return f"{folder}/{work_id}_ugoira.zip"
    return f"{folder}/{work_id}_{kind}{suffix}"


def _suffix(path: str) -> str:
    """``PurePosixPath(path).suffix``, without building the path for the usual ``…/name.ext``."""
    name = path[path.rfind("/") + 1:]
    if name in ("", ".", ".."):  # a path pathlib normalises first
        name = PurePosixPath(path).name
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


class _ByUrl:
    """The media pipeline's key of a file request (the requests that are one download, within a run): its URL.
    The pipeline's requests are GETs without a body, of URLs pixiv gave, so the URL tells them apart as the
    default fingerprint (sha1 of the canonical URL, method and body) would, at a fraction of its cost per file."""

    @staticmethod
    def fingerprint(request: Request) -> bytes:
        return request.url.encode()


def is_placeholder(url: str) -> bool:
    """pixiv's stand-in images for restricted, deleted or hidden works."""
    parts = urlsplit(url)
    return parts.hostname == STATIC_HOST and "/common/images/" in parts.path and (
        PurePosixPath(parts.path).name.startswith(("limit_", "no_profile")))


def regular_url(original: str | None) -> str | None:
    """The 1200 px master of a page, from its original URL (same date path and page)."""
    if not original or "/img-original/" not in original:
        return None
    base, _, _ = original.rpartition(".")
    return base.replace("/img-original/", "/img-master/") + "_master1200.jpg"


class PixivFilesPipeline(FilesPipeline):
    STORE_SCHEMES: ClassVar[dict[str, Any]] = {**FilesPipeline.STORE_SCHEMES, "": AtomicFSFilesStore,
                                               "file": AtomicFSFilesStore}

    def __init__(self, store_uri, download_func=None, *, crawler: Crawler):
        settings = crawler.settings
        self.size = settings.get("PIXIV_FILES_IMAGE_SIZE", "original")
        if self.size not in SIZES:
            raise ValueError(f"PIXIV_FILES_IMAGE_SIZE must be one of {', '.join(SIZES)}, not {self.size!r}")
        if self.size == "none":
            raise NotConfigured  # switched off on purpose: no warning
        self.types = tuple(settings.getlist("PIXIV_FILES_IMAGE_TYPES") or WORK_TYPES)
        unknown = set(self.types) - set(WORK_TYPES)
        if unknown:
            raise ValueError(f"PIXIV_FILES_IMAGE_TYPES takes {', '.join(WORK_TYPES)}, not {', '.join(sorted(unknown))}")
        super().__init__(store_uri, crawler=crawler)
        self._fingerprinter = _ByUrl()  # Scrapy's MediaPipeline keys its per-run download cache by this
        self.memory = crawl_memory(crawler)  # the files earlier runs stored
        self._done: dict[str, dict[str, Any]] = {}  # path -> size, dimensions, sha256 of a stored file
        self._pending: dict[int, list[tuple[str, int, str]]] = {}  # id(item) -> its requests, in order
        self._in_hand = asyncio.Semaphore(2 * max(1, settings.getint("PIXIV_CDN_CONCURRENCY", 8)))
        self._started = time.time()  # temporaries older than the crawl are a killed process's
        self._sweep: asyncio.Task | None = None
        self.max_store_errors = max(1, settings.getint("PIXIV_FILES_MAX_ERRORS", 20))
        self._store_causes: set[str] = set()  # OS errors already logged (once per cause)
        self._failing: tuple[str, int] = ("", 0)  # the last store failure's cause, and how many in a row
        self._closing: asyncio.Task | None = None  # the close_spider task, kept so it is not collected mid-run

    def open_spider(self, spider=None) -> None:
        """A local ``FILES_STORE`` that cannot be written (its folder cannot be made, a read-only folder) stops
        the crawl before any request: one ERROR sentence naming the setting and the OS error (stat
        ``pixiv/errors/start_failed``), finish reason ``start_failed``. Otherwise the temporaries a killed crawl
        left in the store are removed, in the background."""
        super().open_spider()
        if not isinstance(self.store, AtomicFSFilesStore):
            return
        try:
            self.store.check_writable()
        except OSError as exc:
            sentence = f"Cannot write files to FILES_STORE={self.store.basedir}: {os_problem(exc)}."
            logger.error("%s", sentence)
            self.crawler.stats.set_value("pixiv/errors/start_failed", sentence)
            raise CloseSpider("start_failed") from None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (not in a crawl): at once
            self._swept(*self.store.remove_stale_parts(self._started))
        else:  # in a crawl, in the background: a large store takes a while to walk
            self._sweep = loop.create_task(self._remove_stale_parts())

    async def process_item(self, item: Any) -> Any:
        """Scrapy's, then one sync of each folder the item's files were renamed into (the store leaves it out of
        each file's write, :meth:`_store_file`): every file is on disk under its name before the work goes on to
        the database, with one folder sync per work instead of one per page."""
        item = await super().process_item(item)
        if isinstance(self.store, AtomicFSFilesStore) and isinstance(item, IllustItem) and item.media:
            folders = {self.store.folder_of(m.path) for m in item.media if m.status == "downloaded" and m.path}
            if folders:
                await asyncio.get_running_loop().run_in_executor(None, self.store.sync_folders, folders)
        return item

    async def close_spider(self) -> None:
        if self._sweep is not None:
            await self._sweep

    async def _remove_stale_parts(self) -> None:
        assert isinstance(self.store, AtomicFSFilesStore)
        self._swept(*await asyncio.to_thread(self.store.remove_stale_parts, self._started))

    def _swept(self, removed: int, errors: list[str]) -> None:
        if removed:
            self.crawler.stats.inc_value("pixiv/media/stale_parts_removed", removed)
            logger.info("Removed %d temporary files a killed crawl left under FILES_STORE %s", removed,
                        self.store.basedir)  # type: ignore[attr-defined]
        if errors:
            logger.warning("Could not remove %d temporary files a killed crawl left under FILES_STORE (%s%s)",
                           len(errors), "" if len(errors) == 1 else "first: ", errors[0])

    # -- which files ---------------------------------------------------------------------------------

    def _targets(self, item: IllustItem) -> list[tuple[str, int, str | None]]:
        if item.type == "ugoira":
            url = item.ugoira_zip_url
            if url and self.size == "original":
                url = url.replace("_ugoira600x600.zip", "_ugoira1920x1080.zip")
            return [("ugoira_zip", 0, url)]
        pick = {"original": lambda p: p.original_url, "regular": lambda p: regular_url(p.original_url) or p.large_url,
                "small": lambda p: p.medium_url}[self.size]
        return [("page", page.page, pick(page)) for page in item.pages]

    def get_media_requests(self, item: Any, info) -> list[Request]:
        if not isinstance(item, IllustItem) or not item.whole or item.type not in self.types:
            return []
        stats = self.crawler.stats
        if is_hidden(item):  # pixiv's placeholder, not the work: what an earlier run downloaded stays
            stats.inc_value("pixiv/media/skipped_hidden")
            return []
        if self._closing is not None:  # stopping: the store fails every file; a later run downloads them
            stats.inc_value("pixiv/media/skipped_stopping")
            return []
        requests = []
        for kind, page, url in self._targets(item):
            if not url:
                if kind == "ugoira_zip":
                    stats.inc_value("pixiv/media/no_url")
                continue
            if is_placeholder(url):
                stats.inc_value("pixiv/media/placeholder")
                continue
            if self.memory.stored_file(item.id, kind, page, url):
                stats.inc_value("pixiv/media/skipped_known")
                continue
            requests.append(follow(url, callback=NO_CALLBACK, headers={"Referer": PIXIV_REFERER},
                                   meta={"pixiv_media": (item.id, kind, page), "pixiv_auth": False}))
        self._pending[id(item)] = [(*r.meta["pixiv_media"][1:], r.url) for r in requests]
        return requests

    async def media_to_download(self, request, info, *, item=None):
        # the database decides what is known (get_media_requests), not the file's age; here a file waits
        # for room among the files in hand (downloading or being stored), so that downloads faster than the
        # disk do not pile bodies up in memory
        await self._in_hand.acquire()
        if self._closing is not None:  # stopping for the store: not downloaded, no media row, a later run gets it
            self._in_hand.release()
            self.crawler.stats.inc_value("pixiv/media/skipped_stopping")
            return {"url": request.url, "path": None, "checksum": None, "status": _STOPPING}
        request.meta["pixiv_in_hand"] = True
        return None

    def _hand_back(self, request: Request) -> None:
        if request.meta.pop("pixiv_in_hand", False):
            self._in_hand.release()

    async def media_downloaded(self, response, request, info, *, item=None):
        """Scrapy's ``FilesPipeline.media_downloaded`` (the same checks, stats, result and errors) without what
        costs time per file and serves nothing here: its DEBUG line and the Referer formatted for it, a second
        :meth:`file_path`, the WARNING lines :class:`_OneLinePerFile` drops anyway."""
        try:
            if response.status != 200:  # Scrapy's says only "download-error"
                retries = request.meta.get("retry_times", 0)
                raise FileException(f"HTTP {response.status}" + (
                    f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""))
            if not response.body:
                raise FileException("empty-content")
            status = "cached" if "cached" in response.flags else "downloaded"
            self.inc_stats(status)
            path = self.file_path(request, response=response, info=info, item=item)
            try:
                checksum = await self._store_file(response, request, info, path)
            except FileException:
                raise
            except Exception as exc:  # as Scrapy's: logged with its traceback, recorded with its text
                logger.exception("File (unknown-error): Error processing file from %s", request)
                raise FileException(str(exc)) from exc
            return {"url": request.url, "path": path, "checksum": checksum, "status": status}
        finally:
            self._hand_back(request)

    def media_failed(self, failure, request, info):
        self._hand_back(request)
        if isinstance(failure.value, StoreFailed):  # its cause was logged once (_store_failed)
            raise failure.value
        try:
            return super().media_failed(failure, request, info)
        except FileException as exc:
            # Scrapy raises a bare FileException: keep the cause's words ("truncated: …", "not an image", …)
            if str(exc) or failure.value is exc:
                raise
            raise FileException(str(failure.value) or type(failure.value).__name__) from failure.value

    def file_path(self, request: Request, response=None, info=None, *, item=None) -> str:
        work_id, kind, page = request.meta["pixiv_media"]
        return media_path(work_id, kind, page, request.url)

    # -- storing -------------------------------------------------------------------------------------

    async def file_downloaded(self, response: Response, request: Request, info, *, item=None) -> str:
        return await self._store_file(response, request, info,
                                      self.file_path(request, response=response, info=info, item=item))

    async def _store_file(self, response: Response, request: Request, info, path: str) -> str:
        """Check the body (complete, a zip or an image whose size Pillow reads from its header), store it under
        ``path`` and return its sha256."""
        body = response.body
        declared = response.headers.get(b"Content-Length")
        if declared is not None and int(declared) != len(body):
            raise FileException(f"truncated: {len(body)} of {int(declared)} bytes")
        _work_id, kind, _page = request.meta["pixiv_media"]
        width = height = None
        if kind == "ugoira_zip":
            if not body.startswith(b"PK"):
                raise FileException("not a zip archive")
        else:
            from PIL import Image, UnidentifiedImageError  # here: a crawl without images never imports Pillow

            try:
                with Image.open(io.BytesIO(body)) as image:
                    width, height = image.size
            except (UnidentifiedImageError, OSError) as exc:
                raise FileException(f"not an image ({exc})") from None
        # hashing and the local write run in a thread (hashlib releases the GIL): the reactor keeps
        # downloading meanwhile instead of waiting on the disk (the largest cost of an image crawl)
        try:
            if isinstance(self.store, AtomicFSFilesStore):
                # its folder is synced once for all the files of the work (process_item)
                digest = await asyncio.get_running_loop().run_in_executor(None, self.store.hash_and_persist,
                                                                          path, body, False)
            else:
                digest = hashlib.sha256(body).hexdigest()
                await ensure_awaitable(self.store.persist_file(path, io.BytesIO(body), info))
        except OSError as exc:
            raise self._store_failed(exc, path) from None
        self._failing = ("", 0)
        self._done[path] = {"size": len(body), "width": width, "height": height, "sha256": digest}
        self.crawler.stats.inc_value("pixiv/media/downloaded")
        self.crawler.stats.inc_value("pixiv/media/bytes", len(body))
        return digest

    def _store_failed(self, exc: OSError, path: str) -> StoreFailed:
        """Count a file the store could not write; log each cause once; after ``PIXIV_FILES_MAX_ERRORS`` files in a
        row failed for the same cause, stop the crawl (finish reason ``storage_failed``, one ERROR sentence)."""
        cause = os_problem(exc)
        stats = self.crawler.stats
        stats.inc_value("pixiv/media/store_failed")
        where = getattr(self.store, "basedir", None) or self.crawler.settings.get("FILES_STORE")
        if cause not in self._store_causes:
            self._store_causes.add(cause)
            logger.warning("Cannot write to FILES_STORE=%s: %s (first %s); each file it hits is recorded as "
                           "failed with this cause.", where, cause, path)
        last, count = self._failing
        self._failing = (cause, count + 1 if cause == last else 1)
        if self._failing[1] >= self.max_store_errors and self._closing is None:
            sentence = (f"Stopping: {self._failing[1]} files in a row could not be written to FILES_STORE={where}: "
                        f"{cause} (PIXIV_FILES_MAX_ERRORS={self.max_store_errors}).")
            logger.error("%s", sentence)
            stats.set_value("pixiv/errors/storage_failed", sentence)
            self._closing = asyncio.get_running_loop().create_task(
                self.crawler.engine.close_spider_async(reason="storage_failed"))
        return StoreFailed(f"could not store: {cause}")

    def item_completed(self, results, item: Any, info) -> Any:
        """Record every file's outcome on the item, as a :class:`~pixivcrawl.items.MediaRecord` in ``item.media``
        (results come in the order of the requests)."""
        pending = self._pending.pop(id(item), [])
        for (kind, page, url), (ok, value) in zip(pending, results, strict=False):
            if ok and value.get("status") == _STOPPING:
                continue
            if ok:
                media = MediaRecord.downloaded(kind, page, url, value["path"], **self._done.pop(value["path"], {}))
                self.memory.remember_file(item.id, media)
            else:
                error = getattr(value, "value", value)
                media = MediaRecord.failed(kind, page, url, str(error) or type(error).__name__)
                self.crawler.stats.inc_value("pixiv/media/failed")
                # a GivenUp request or a store failure was logged once already, where it happened
                if not isinstance(error.__cause__, GivenUp) and not isinstance(error, StoreFailed):
                    logger.warning("Gave up downloading %s of work %s page %s: %s", kind, item.id, page,
                                   media.error)
            item.media.append(media)
        return item
