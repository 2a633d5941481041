"""Ugoira animations keep pixiv's frame delays, end to end: an ugoira with odd delays (6, 6, 0 and 15 ms, the
replica's ``ugoira_delays`` knob) crawled with each PIXIV_UGOIRA_FORMAT, the written file read back frame by
frame against the delays stored in ``illusts.ugoira_frames`` (added up over runs of identical frames, which the
writers merge; the replica draws every frame differently, so each frame keeps its own delay)."""

from __future__ import annotations

import json
import zipfile

import pytest

from pixivcrawl.pipelines.ugoira import gif_delays

from .animations import expected_durations, frame_delays, identical_runs
from .conftest import run_crawl, table_rows
from .decorators import coroutine_test

ODD_DELAYS = [6, 6, 0, 15]


@pytest.mark.parametrize("fmt", ["webp", "apng", "gif"])
@coroutine_test
async def test_odd_frame_delays_are_kept(fresh_replica, world, tmp_path, fmt):
    assert fresh_replica.control("config", {"ugoira_delays": ODD_DELAYS})["ugoira_delays"] == ODD_DELAYS
    ugoira = next(w.id for w in world.works if w.type == "ugoira" and not w.series_id and not world.restricted(w.id))
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    result = await run_crawl("illust_series", {"illust_id": ugoira}, replica=fresh_replica, db_url=db_url,
                             tmp_path=tmp_path, settings={"PIXIV_UGOIRA_FORMAT": fmt}, images=True)
    assert result.stats["finish_reason"] == "finished", result.output
    assert result.stats["pixiv/media/converted"] == 1 and "pixiv/media/conversion_failed" not in result.stats

    (stored,) = table_rows(db_url, f"select ugoira_frames from illusts where id = {ugoira}")[0]
    frames = json.loads(stored) if isinstance(stored, str) else stored
    assert frames == [{"file": f"{k:06d}.jpg", "delay": d} for k, d in enumerate(ODD_DELAYS)]  # stored exactly
    (path,) = table_rows(db_url, f"select path from media where work_id = {ugoira} and kind = 'ugoira_{fmt}' "
                                 "and status = 'converted'")[0]
    delays = frame_delays((tmp_path / "files" / path).read_bytes())
    (zip_path,) = table_rows(db_url, f"select path from media where work_id = {ugoira} and kind = 'ugoira_zip'")[0]
    zip_bytes = (tmp_path / "files" / zip_path).read_bytes()
    with zipfile.ZipFile(tmp_path / "files" / zip_path) as zf:  # the replica's zip has a frame per delay
        assert zf.namelist() == [f["file"] for f in frames]
    assert identical_runs(zip_bytes, frames) == [[0], [1], [2], [3]]  # four different pictures
    assert delays == expected_durations(zip_bytes, frames, fmt)
    if fmt == "gif":  # whole centiseconds, none under 2 cs: 27 ms of frames play as the shortest 4 can, 80 ms
        assert delays == [cs * 10 for cs in gif_delays(ODD_DELAYS)] == [20, 20, 20, 20]
    else:
        assert delays == ODD_DELAYS  # exact, the 0 ms frame included
    zips = [r for r in fresh_replica.requests() if r["path"].endswith("_ugoira1920x1080.zip")]
    assert len(zips) == 1 and zips[0]["status"] == 200


@coroutine_test
async def test_a_new_format_converts_the_zip_an_earlier_run_stored(replica, world, tmp_path):
    """Crawled with gif, then with webp: the second run does not download the zip again, converts the stored one
    to WebP, and a third run with webp converts nothing."""
    ugoira = next(w.id for w in world.works if w.type == "ugoira" and not w.series_id and not world.restricted(w.id))
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    runs = {}
    for n, fmt in enumerate(["gif", "webp", "webp"]):
        replica.clear()
        runs[n] = await run_crawl("illust_series", {"illust_id": ugoira}, replica=replica, db_url=db_url,
                                  tmp_path=tmp_path, settings={"PIXIV_UGOIRA_FORMAT": fmt}, images=True)
        assert runs[n].stats["finish_reason"] == "finished", runs[n].output
        zips = [r for r in replica.requests() if r["path"].endswith(".zip")]
        assert len(zips) == (1 if n == 0 else 0)
    assert [runs[n].stats.get("pixiv/media/converted", 0) for n in range(3)] == [1, 1, 0]
    kinds = dict(table_rows(db_url, f"select kind, path from media where work_id = {ugoira} and status = 'converted'"))
    assert sorted(kinds) == ["ugoira_gif", "ugoira_webp"]
    assert frame_delays((tmp_path / "files" / kinds["ugoira_webp"]).read_bytes())  # a WebP animation on disk
