"""The files pipeline's cheaper per-file steps: a file's extension read from its URL as pathlib reads it, and the
download cache keyed by URL still downloading a file two works name once."""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath

import pytest

from pixivcrawl.pipelines.files import _suffix, media_path
from tests.decorators import coroutine_test

from .helpers import illust_item, work_ids
from .test_files import files_pipeline


@pytest.mark.parametrize("path", ["/img/1_p0.jpg", "/img/1_p0.JPEG", "/img/1_p0", "/img/.jpg", "/img/1_p0.",
                                  "/img/1_p0.png/", "/img/1_p0.png/.", "/img/..", "/", "", "1_p0.png",
                                  "/img/1.tar.gz", "/img//1_p0.gif", "/../../etc/passwd", "/img/1..", "/img/..png"])
def test_the_extension_is_pathlibs(path):
    assert _suffix(path) == PurePosixPath(path).suffix
    if path.startswith("/"):
        assert media_path(7, "page", 0, f"https://i.pximg.net{path}") == media_path(
            7, "page", 0, f"https://i.pximg.net/x/7_p0{PurePosixPath(path).suffix}")


@coroutine_test
async def test_a_file_two_works_in_hand_name_is_downloaded_once(tmp_path):
    pipeline = files_pipeline(tmp_path)
    wid = work_ids("manga", pages=3)[0]
    first, second = illust_item(wid), illust_item(wid)
    await asyncio.gather(pipeline.process_item(first), pipeline.process_item(second))
    assert sorted(r.url for r in pipeline.crawler.engine.downloads) == sorted(p.original_url for p in first.pages)
    assert [m.path for m in first.media] == [m.path for m in second.media]
    assert all(m.status == "downloaded" for m in first.media + second.media)


@coroutine_test
async def test_each_file_of_a_work_is_its_own_download(tmp_path):
    pipeline = files_pipeline(tmp_path)
    item = illust_item(work_ids("manga", pages=3)[0])
    await pipeline.process_item(item)
    assert [r.url for r in pipeline.crawler.engine.downloads] == [p.original_url for p in item.pages]
    assert len({m.sha256 for m in item.media}) == item.page_count
