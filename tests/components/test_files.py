"""PixivFilesPipeline: which files a work has (per PIXIV_FILES_IMAGE_SIZE / PIXIV_FILES_IMAGE_TYPES), where they go,
pixiv's placeholders, and whole items through process_item with a stand-in engine that serves image bytes."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import logging
import os
import time
import zipfile
from pathlib import PurePosixPath

import pytest
from PIL import Image
from scrapy import Request
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.db.rows import item_rows
from pixivcrawl.db.store import Batch, Store
from pixivcrawl.parsers.app_api import parse_illust
from pixivcrawl.pipelines import filestore as files_module
from pixivcrawl.pipelines.files import (
    PixivFilesPipeline,
    is_placeholder,
    media_path,
    regular_url,
)
from pixivcrawl.pipelines.filestore import write_atomically
from pixivcrawl.replica import app_objects
from tests.decorators import coroutine_test

from .helpers import FakeEngine, illust_item, make_crawler, work_ids, world

STAMP = "2019/01/03/22/09/13"


def files_pipeline(tmp_path, answer=None, **settings) -> PixivFilesPipeline:
    settings.setdefault("FILES_STORE", str(tmp_path / "files"))
    crawler = make_crawler(**settings)
    crawler.engine = FakeEngine(answer or serve_images)
    pipeline = build_from_crawler(PixivFilesPipeline, crawler)
    pipeline.open_spider()
    return pipeline


def image_bytes(url: str) -> bytes:
    """A small real image in the format the URL names, its size derived from the URL (so each page differs)."""
    name = PurePosixPath(url).name
    page = int(name.split("_p")[1].split("_")[0].split(".")[0]) if "_p" in name else 0
    out = io.BytesIO()
    Image.new("RGB", (8 + page, 6 + page), (page * 20 % 256, 10, 200)).save(
        out, format="PNG" if url.endswith(".png") else "JPEG")
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        # a fixed time: two calls give the same bytes (writestr would stamp the current time, to 2 seconds)
        archive.writestr(zipfile.ZipInfo("000000.jpg", date_time=(2024, 1, 1, 0, 0, 0)), b"frame")
    return out.getvalue()


def serve_images(request: Request) -> Response:
    body = zip_bytes() if request.url.endswith(".zip") else image_bytes(request.url)
    return Response(request.url, body=body, request=request)


def store_path(pipeline: PixivFilesPipeline, path: str):
    return pipeline.store._get_filesystem_path(path)


def stat(pipeline, name):
    return pipeline.crawler.stats.get_value(f"pixiv/media/{name}")


# -- paths and URLs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("work_id", "kind", "page", "url", "expected"), [
    (123456789, "page", 0, f"https://i.pximg.net/img-original/img/{STAMP}/123456789_p0.png",
     "works/0123/123456789/123456789_p0.png"),
    (5, "page", 12, f"https://i.pximg.net/img-original/img/{STAMP}/5_p12.JPEG?x=1",
     "works/0000/5/5_p12.jpg"),
    (100000000, "ugoira_zip", 0, f"https://i.pximg.net/img-zip-ugoira/img/{STAMP}/100000000_ugoira1920x1080.zip",
     "works/0100/100000000/100000000_ugoira.zip"),
    (7, "page", 1, "https://i.pximg.net/img-original/img/x/7_p1.php", "works/0000/7/7_p1.bin"),
    (7, "page", 0, "https://i.pximg.net/../../../etc/passwd", "works/0000/7/7_p0.bin"),
])
def test_media_path_is_made_of_numbers_and_an_allowed_extension(work_id, kind, page, url, expected):
    assert media_path(work_id, kind, page, url) == expected


@pytest.mark.parametrize(("url", "placeholder"), [
    ("https://s.pximg.net/common/images/limit_sanity_level_360.png", True),
    ("https://s.pximg.net/common/images/limit_unknown_360.png", True),
    ("https://s.pximg.net/common/images/no_profile.png", True),
    ("https://s.pximg.net/common/images/logo.png", False),
    (f"https://i.pximg.net/img-original/img/{STAMP}/1_p0.png", False),
    ("https://example.com/common/images/limit_sanity_level_360.png", False),
])
def test_placeholders_are_recognised(url, placeholder):
    assert is_placeholder(url) is placeholder


def test_regular_url_is_the_1200px_master_of_the_same_page():
    original = f"https://i.pximg.net/img-original/img/{STAMP}/9_p3.png"
    assert regular_url(original) == f"https://i.pximg.net/img-master/img/{STAMP}/9_p3_master1200.jpg"
    assert regular_url(None) is None and regular_url("https://s.pximg.net/common/images/limit_x.png") is None


# -- which files -----------------------------------------------------------------------------------------

def test_every_page_of_a_manga_is_requested_in_order(tmp_path):
    pipeline = files_pipeline(tmp_path)
    item = illust_item(work_ids("manga", pages=3)[0])
    requests = pipeline.get_media_requests(item, pipeline.spiderinfo)
    assert [r.url for r in requests] == [p.original_url for p in item.pages]
    assert [r.meta["pixiv_media"] for r in requests] == [(item.id, "page", p.page) for p in item.pages]
    assert all(r.headers["Referer"] == b"https://www.pixiv.net/" and r.meta["pixiv_auth"] is False
               for r in requests)
    assert [pipeline.file_path(r) for r in requests] == [
        media_path(item.id, "page", p.page, p.original_url) for p in item.pages]


@pytest.mark.parametrize(("size", "pick"), [
    ("regular", lambda page: regular_url(page.original_url)),
    ("small", lambda page: page.medium_url),
])
def test_image_size_picks_the_url_of_each_page(tmp_path, size, pick):
    pipeline = files_pipeline(tmp_path, PIXIV_FILES_IMAGE_SIZE=size)
    item = illust_item(work_ids("manga", pages=2)[0])
    assert [r.url for r in pipeline.get_media_requests(item, pipeline.spiderinfo)] == [pick(p) for p in item.pages]


@pytest.mark.parametrize(("size", "zip_size"), [("original", "1920x1080"), ("regular", "600x600")])
def test_an_ugoira_is_one_zip(tmp_path, size, zip_size):
    pipeline = files_pipeline(tmp_path, PIXIV_FILES_IMAGE_SIZE=size)
    item = illust_item(work_ids("ugoira")[0])
    (request,) = pipeline.get_media_requests(item, pipeline.spiderinfo)
    assert request.url == item.ugoira_zip_url.replace("600x600", zip_size)
    assert request.meta["pixiv_media"] == (item.id, "ugoira_zip", 0)
    assert pipeline.file_path(request) == f"works/{item.id // 10**6:04d}/{item.id}/{item.id}_ugoira.zip"


def test_an_ugoira_without_metadata_is_counted(tmp_path):
    pipeline = files_pipeline(tmp_path)
    item = illust_item(work_ids("ugoira")[0])
    item.ugoira_zip_url = None
    assert pipeline.get_media_requests(item, pipeline.spiderinfo) == []
    assert stat(pipeline, "no_url") == 1


def test_image_types_choose_the_work_types(tmp_path):
    pipeline = files_pipeline(tmp_path, PIXIV_FILES_IMAGE_TYPES=["ugoira", "illust"])
    manga, illust, ugoira = (illust_item(work_ids(kind)[0]) for kind in ("manga", "illust", "ugoira"))
    assert pipeline.get_media_requests(manga, pipeline.spiderinfo) == []
    assert len(pipeline.get_media_requests(illust, pipeline.spiderinfo)) == illust.page_count
    assert len(pipeline.get_media_requests(ugoira, pipeline.spiderinfo)) == 1


def test_listing_records_and_other_items_download_nothing(tmp_path):
    pipeline = files_pipeline(tmp_path)
    listed = illust_item(work_ids("illust")[0])
    listed.whole = False
    assert pipeline.get_media_requests(listed, pipeline.spiderinfo) == []
    assert pipeline.get_media_requests({"id": 1}, pipeline.spiderinfo) == []


def test_a_hidden_record_is_neither_requested_nor_recorded(tmp_path):
    pipeline = files_pipeline(tmp_path)
    item = illust_item(work_ids("illust", visible=False)[0])
    assert item.visible is False and item.restriction == "sanity_level" and is_placeholder(item.pages[0].original_url)
    assert pipeline.get_media_requests(item, pipeline.spiderinfo) == []
    assert item.media == []  # no media row that would replace the record of a file downloaded earlier
    assert stat(pipeline, "skipped_hidden") == 1 and stat(pipeline, "placeholder") is None


@pytest.mark.parametrize("kind", ["manga", "ugoira"])
def test_a_visible_record_with_placeholder_urls_downloads_nothing(tmp_path, kind):
    """pixiv's sanity-limited works keep ``visible: true`` but every URL is the placeholder (case 07)."""
    pipeline = files_pipeline(tmp_path)
    obj = app_objects.illust_obj(world(), work_ids(kind)[0], detail=True)
    app_objects.as_visible_placeholder(obj)
    item = parse_illust(obj)
    item.ugoira_zip_url = app_objects.placeholder_url() if kind == "ugoira" else None
    assert item.visible is True and item.restriction == "sanity_level"
    assert pipeline.get_media_requests(item, pipeline.spiderinfo) == [] and item.media == []
    assert stat(pipeline, "skipped_hidden") == 1


def test_a_placeholder_url_on_a_record_not_flagged_hidden_is_not_requested(tmp_path):
    pipeline = files_pipeline(tmp_path)
    item = illust_item(work_ids("manga", pages=3)[0])
    item.pages[1].original_url = app_objects.placeholder_url("unknown")
    assert item.restriction is None
    requests = pipeline.get_media_requests(item, pipeline.spiderinfo)
    assert [r.url for r in requests] == [p.original_url for p in item.pages if p.page != 1]
    assert item.media == [] and stat(pipeline, "placeholder") == 1


@pytest.mark.parametrize(("settings", "error", "message"), [
    ({"PIXIV_FILES_IMAGE_SIZE": "none"}, NotConfigured, None),
    ({"PIXIV_FILES_IMAGE_SIZE": "huge"}, ValueError,
     "PIXIV_FILES_IMAGE_SIZE must be one of original, regular, small, none"),
    ({"PIXIV_FILES_IMAGE_TYPES": ["illust", "novel"]}, ValueError,
     "PIXIV_FILES_IMAGE_TYPES takes illust, manga, ugoira, not novel"),
])
def test_settings_that_switch_the_pipeline_off_or_are_refused(tmp_path, settings, error, message):
    with pytest.raises(error, match=message):
        files_pipeline(tmp_path, **settings)


# -- whole items -----------------------------------------------------------------------------------------

@coroutine_test
async def test_a_work_is_stored_page_by_page_with_its_media_records(tmp_path):
    pipeline = files_pipeline(tmp_path)
    item = illust_item(work_ids("manga", pages=3)[0])
    assert await pipeline.process_item(item) is item
    assert [(m.kind, m.page, m.status) for m in item.media] == [("page", p.page, "downloaded")
                                                                         for p in item.pages]
    total = 0
    for page, media in zip(item.pages, item.media, strict=True):
        body = image_bytes(page.original_url)
        total += len(body)
        path = store_path(pipeline, media.path)
        assert media.path == media_path(item.id, "page", page.page, page.original_url)
        assert path.read_bytes() == body  # the exact bytes pixiv sent
        assert media.sha256 == hashlib.sha256(body).hexdigest() and media.size == len(body)
        assert (media.width, media.height) == Image.open(io.BytesIO(body)).size
    assert not list(store_path(pipeline, item.media[0].path).parent.glob("*.part"))
    assert stat(pipeline, "downloaded") == item.page_count and stat(pipeline, "bytes") == total


@coroutine_test
async def test_an_ugoira_zip_is_stored(tmp_path):
    pipeline = files_pipeline(tmp_path)
    item = illust_item(work_ids("ugoira")[0])
    await pipeline.process_item(item)
    (media,) = item.media
    assert media.status == "downloaded" and media.url.endswith("_ugoira1920x1080.zip")
    assert store_path(pipeline, media.path).read_bytes() == zip_bytes()
    assert (media.width, media.height) == (None, None)


@coroutine_test
async def test_files_an_earlier_run_stored_are_not_downloaded_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'pixivcrawl.db'}"
    store = Store(url)
    store.upgrade()
    first = files_pipeline(tmp_path, DATABASE_URL=url)
    item = illust_item(work_ids("manga", pages=3)[0])
    await first.process_item(item)
    batch = Batch()
    batch.add(item_rows(item))  # the media records go to the database with the work
    store.write(batch)
    store.dispose()
    missing = store_path(first, item.media[0].path)
    missing.unlink()  # a file deleted from the store since: fetched again

    second = files_pipeline(tmp_path, DATABASE_URL=url)
    again = illust_item(item.id)
    await second.process_item(again)
    assert [r.url for r in second.crawler.engine.downloads] == [item.pages[0].original_url]
    assert stat(second, "skipped_known") == item.page_count - 1
    assert [m.page for m in again.media] == [0] and missing.read_bytes() == image_bytes(item.media[0].url)


def broken_second_page(kind: str):
    def answer(request: Request) -> Response:
        if request.meta["pixiv_media"][2] != 1:
            return serve_images(request)
        body = image_bytes(request.url)
        if kind == "truncated":
            return Response(request.url, body=body[: len(body) // 2], request=request,
                            headers={"Content-Length": str(len(body))})
        if kind == "html":
            return Response(request.url, body=b"<html>Just a moment...</html>", request=request,
                            headers={"Content-Type": "text/html"})
        return Response(request.url, status=404, body=b"", request=request)
    return answer


@pytest.mark.parametrize("kind", ["truncated", "html", "missing"])
@coroutine_test
async def test_a_failed_page_is_recorded_and_leaves_no_file(tmp_path, kind):
    pipeline = files_pipeline(tmp_path, broken_second_page(kind))
    item = illust_item(work_ids("manga", pages=3)[0])
    await pipeline.process_item(item)
    assert [m.status for m in item.media] == ["downloaded", "failed"] + ["downloaded"] * (item.page_count - 2)
    failed = item.media[1]
    assert failed.path is None and failed.sha256 is None
    folder = store_path(pipeline, item.media[0].path).parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(PurePosixPath(m.path).name for m in item.media
                                                              if m.path)
    assert stat(pipeline, "failed") == 1 and stat(pipeline, "downloaded") == item.page_count - 1


@pytest.mark.parametrize(("kind", "cause"), [("truncated", "truncated"), ("html", "not an image"),
                                             ("missing", "HTTP 404")])
@coroutine_test
async def test_the_error_of_a_failed_page_names_its_cause(tmp_path, kind, cause):
    pipeline = files_pipeline(tmp_path, broken_second_page(kind))
    item = illust_item(work_ids("manga", pages=2)[0])
    await pipeline.process_item(item)
    assert cause in item.media[1].error


@coroutine_test
async def test_a_failed_page_is_one_log_line_naming_its_status(tmp_path, caplog):
    """Scrapy's own per-file lines (``File (code: 503)``, ``File (unknown-error)``, the media pipeline's
    traceback) give way to one line per failed file, with the status and the retries."""
    def unavailable(request: Request) -> Response:
        if request.meta["pixiv_media"][2] != 1:
            return serve_images(request)
        request.meta["retry_times"] = 5
        return Response(request.url, status=503, body=b"<html>Server Error</html>", request=request,
                        headers={"Content-Type": "text/html"})

    pipeline = files_pipeline(tmp_path, unavailable)
    item = illust_item(work_ids("manga", pages=2)[0])
    with caplog.at_level(logging.DEBUG):
        await pipeline.process_item(item)
    assert item.media[1].status == "failed" and item.media[1].error == "HTTP 503 after 5 retries"
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in failures] == [
        f"Gave up downloading page of work {item.id} page 1: HTTP 503 after 5 retries"]
    assert not any(r.exc_info for r in caplog.records)


@coroutine_test
async def test_stored_files_get_the_mode_the_umask_gives_new_files(tmp_path):
    """mkstemp makes its files 0600: a stored page must be readable as any file the process writes."""
    pipeline = files_pipeline(tmp_path, serve_images)
    item = illust_item(work_ids("illust")[0])
    await pipeline.process_item(item)
    reference = tmp_path / "reference"
    reference.write_bytes(b"")
    path = store_path(pipeline, item.media[0].path)
    assert path.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


# -- temporaries: synced before the rename, a killed process's removed at the next start ---------------------

def _plant(path, age: float, body: bytes = b"half a file") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    then = time.time() - age
    os.utime(path, (then, then))


@coroutine_test
async def test_a_killed_crawls_temporaries_are_removed_at_start(tmp_path):
    """write_atomically's ``.<name>.<random>.part`` files older than the crawl, under ``works/``, are removed when
    the files pipeline opens; anything else — a fresh temporary (another crawl's write in progress), a file that
    only looks alike, a stored file, a temporary outside ``works/`` — stays."""
    store = tmp_path / "files"
    folder = store / "works" / "0100" / "100000275"
    stale = [folder / ".100000275_p0.jpg.k3x_9abc.part", folder / ".100000275_ugoira.zip.abcdefgh.part",
             store / "works" / "0100" / "100000276" / ".100000276_p1.png.zzzzzzzz.part"]
    for path in stale:
        _plant(path, age=3600)
    kept = [folder / "100000275_p0.jpg", folder / "notes.part", folder / ".100000275_p0.jpg.part",
            store / "other" / ".a.jpg.abcdefgh.part"]
    for path in kept:
        _plant(path, age=3600)
    fresh = folder / ".100000275_p1.jpg.qqqqqqqq.part"
    pipeline = files_pipeline(tmp_path)  # opens the pipeline, which starts the sweep in the background
    _plant(fresh, age=0)  # written after the crawl started
    await pipeline.close_spider()  # waits for the sweep
    assert not any(path.exists() for path in stale)
    assert all(path.read_bytes() == b"half a file" for path in kept)
    assert fresh.exists()
    assert pipeline.crawler.stats.get_value("pixiv/media/stale_parts_removed") == len(stale)


@coroutine_test
async def test_a_store_without_stale_temporaries_counts_none(tmp_path):
    _plant(tmp_path / "files" / "works" / "0100" / "100000275" / "100000275_p0.jpg", age=60)
    pipeline = files_pipeline(tmp_path)
    await pipeline.close_spider()
    assert pipeline.crawler.stats.get_value("pixiv/media/stale_parts_removed") is None
    assert (tmp_path / "files" / "works" / "0100" / "100000275" / "100000275_p0.jpg").exists()


def test_a_stored_file_is_synced_before_its_rename(tmp_path, monkeypatch):
    """The file's bytes reach the disk (fsync) before the name points at them, and the folder is synced after."""
    events = []
    real_fsync, real_replace = os.fsync, files_module.Path.replace

    def fsync(fd):
        events.append(("fsync", files_module.Path(f"/proc/self/fd/{fd}").is_dir()))
        return real_fsync(fd)

    def replace(self, target):
        events.append(("rename", False))
        return real_replace(self, target)

    monkeypatch.setattr(files_module.os, "fsync", fsync)
    monkeypatch.setattr(files_module.Path, "replace", replace)
    target = tmp_path / "works" / "0100" / "100000275" / "100000275_p0.jpg"
    write_atomically(target, b"page bytes")
    assert target.read_bytes() == b"page bytes"
    assert events == [("fsync", False), ("rename", False), ("fsync", True)]
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left


def test_a_temporary_removed_before_its_rename_is_written_again(tmp_path, monkeypatch):
    """Another crawl starting on the same store may take a temporary being written for a killed process's."""
    real_replace = files_module.Path.replace
    calls = []

    def replace(self, target):
        calls.append(self.name)
        if len(calls) == 1:
            self.unlink()  # the other crawl's sweep
        return real_replace(self, target)

    monkeypatch.setattr(files_module.Path, "replace", replace)
    target = tmp_path / "works" / "0100" / "100000275" / "100000275_p0.jpg"
    write_atomically(target, b"page bytes")
    assert target.read_bytes() == b"page bytes" and len(calls) == 2
    assert [p.name for p in target.parent.iterdir()] == [target.name]


# -- a store that cannot be written ------------------------------------------------------------------------

def _failing_writes(monkeypatch, code: int, fail: set[str] | None = None):
    """Make the store's writes fail with the OS error ``code`` (for every file, or for the names in ``fail``)."""
    real = files_module.write_atomically

    def write(target, data, **options):
        if fail is None or target.name in fail:
            raise OSError(code, os.strerror(code), str(target))
        real(target, data, **options)

    monkeypatch.setattr(files_module, "write_atomically", write)


def _three_page_items(n: int) -> list:
    return [illust_item(w) for w in work_ids("manga", pages=3) if world().work(w).page_count == 3][:n]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@coroutine_test
async def test_an_os_error_is_logged_once_per_cause_and_recorded_with_its_text(tmp_path, monkeypatch, caplog, code):
    pipeline = files_pipeline(tmp_path)
    _failing_writes(monkeypatch, code)
    items = _three_page_items(2)
    with caplog.at_level(logging.INFO):
        for item in items:
            await pipeline.process_item(item)
    cause = f"[Errno {code}] {os.strerror(code)}"
    assert {m.error for item in items for m in item.media} == {f"could not store: {cause}"}
    assert {m.status for item in items for m in item.media} == {"failed"}
    logged = [r for r in caplog.records if cause in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.exc_info or "Gave up" in r.getMessage()]
    assert stat(pipeline, "store_failed") == stat(pipeline, "failed") == 6
    assert pipeline.crawler.engine.closed == []  # 6 < PIXIV_FILES_MAX_ERRORS (20)
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


@coroutine_test
async def test_max_errors_identical_failures_in_a_row_stop_the_crawl(tmp_path, monkeypatch, caplog):
    pipeline = files_pipeline(tmp_path, PIXIV_FILES_MAX_ERRORS=4)
    _failing_writes(monkeypatch, errno.ENOSPC)
    first, second, third = _three_page_items(3)
    with caplog.at_level(logging.INFO):
        await pipeline.process_item(first)  # 3 failures: not yet
        assert pipeline.crawler.engine.closed == []
        await pipeline.process_item(second)  # the 4th in a row stops the crawl
        await asyncio.sleep(0)
    assert pipeline.crawler.engine.closed == ["storage_failed"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [(f"Stopping: 4 files in a row could not be written to FILES_STORE={tmp_path / 'files'}: "
                       "[Errno 28] No space left on device (PIXIV_FILES_MAX_ERRORS=4).")]
    # once stopping, files are not downloaded and get no media record (a later run downloads them)
    downloads = len(pipeline.crawler.engine.downloads)
    await pipeline.process_item(third)
    assert third.media == [] and len(pipeline.crawler.engine.downloads) == downloads


@coroutine_test
async def test_a_stored_file_breaks_the_row_of_failures(tmp_path, monkeypatch):
    pipeline = files_pipeline(tmp_path, PIXIV_FILES_MAX_ERRORS=2)
    items = _three_page_items(3)
    # page 0 of each work fails, pages 1 and 2 are stored: never 2 failures in a row
    failing = {PurePosixPath(media_path(i.id, "page", 0, i.pages[0].original_url)).name for i in items}
    _failing_writes(monkeypatch, errno.ENOSPC, failing)
    pipeline._in_hand = asyncio.Semaphore(1)  # one file at a time: the order of the writes is the pages' order
    for item in items:
        await pipeline.process_item(item)
    assert pipeline.crawler.engine.closed == []
    assert [[m.status for m in item.media] for item in items] == [["failed", "downloaded", "downloaded"]] * 3


def test_a_files_store_that_cannot_be_written_refuses_the_start(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    with pytest.raises(CloseSpider) as refused:
        files_pipeline(tmp_path, FILES_STORE=str(blocker / "files"))
    assert refused.value.reason == "start_failed"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        f"Cannot write files to FILES_STORE={blocker / 'files'}: [Errno 20] Not a directory."]


def test_a_read_only_files_store_refuses_the_start(tmp_path, monkeypatch, caplog):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / "files"))

    monkeypatch.setattr(files_module.tempfile, "mkstemp", read_only)
    with pytest.raises(CloseSpider) as refused:
        files_pipeline(tmp_path)
    assert refused.value.reason == "start_failed"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        f"Cannot write files to FILES_STORE={tmp_path / 'files'}: [Errno 30] Read-only file system."]
